from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from accounts import views as account_views
from nykvarn_sm.health import healthz


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Send browsers that ask for /favicon.ico to the static file (named per request, so
    that the manifest's hashed name is read only once the site runs)."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


# Uploaded files (evidence, archive PDFs) are never served as plain media: each app
# serves its files through views that check permission first.
urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links; the file is a static one.
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    # Password reset and change with a ceiling on attempts; the rest as Django has them.
    path("konto/password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "konto/password_change/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("konto/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("moderering/", include("moderation.urls")),
    path("arkiv/", include("archive.urls")),
    path("", include("registry.urls")),
]
