"""The signed-in start page, and Django's password views with a ceiling on attempts."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts import permissions as perms
from accounts import throttle
from accounts.http import client_ip
from accounts.models import AuditEvent, User

THROTTLED_MESSAGE = _(
    "För många försök. Vänta en stund och försök igen, eller kontakta kommunikationsavdelningen."
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show each role what waits for it."""
    user = cast(User, request.user)  # login_required
    context = {
        "roles": user.roles.all(),
        "departments": user.departments.all(),
        "recent_events": (
            AuditEvent.objects.select_related("actor")[:10]
            if perms.can(user, "accounts.view_audit")
            else []
        ),
    }
    return render(request, "accounts/home.html", context)


def _throttled(view: Any) -> HttpResponse:
    """Show the view's form again with the throttle's message, as 429 Too Many Requests."""
    kwargs = view.get_form_kwargs()
    kwargs.pop("data", None)  # an empty form: what was typed is not checked at all
    kwargs.pop("files", None)
    form = view.get_form_class()(**kwargs)
    form._errors = ErrorDict(
        {NON_FIELD_ERRORS: form.error_class([THROTTLED_MESSAGE], error_class="nonfield")}
    )
    response = view.render_to_response(view.get_context_data(form=form))
    response.status_code = 429
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, sending at most PASSWORD_RESET_LIMIT e-mails per client
    address and per account within PASSWORD_THROTTLE_MINUTES (each attempt mails a link,
    and a flood of them would bury the real one)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = client_ip(request) or ""
        account = str(request.POST.get("email", "")).strip().lower()
        limit = int(settings.PASSWORD_RESET_LIMIT)
        if (
            throttle.count("password_reset:address", address) >= limit
            or throttle.count("password_reset:account", account) >= limit
        ):
            return _throttled(self)
        throttle.add("password_reset:address", address)
        if account:
            throttle.add("password_reset:account", account)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        """Mail the link on SITE_URL: the request's Host header is the client's choice, and
        a link built from it could send the reset token to another site.

        Unlike every other notice, the reset link is sent at once and never kept in the
        outbox (accounts.OutgoingMail): a stored link would let anyone who reads the outbox
        take over the account. Django logs an SMTP failure here and answers as for an
        unknown address, so that the page never tells whether an account exists; the
        person asks again."""
        site = urlsplit(settings.SITE_URL)
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            html_email_template_name=self.html_email_template_name,
            extra_email_context=self.extra_email_context,
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, refused for PASSWORD_THROTTLE_MINUTES once an account or
    a client address has given a wrong old password PASSWORD_CHANGE_LIMIT times (a
    session left open must not become a way to guess the password)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = int(settings.PASSWORD_CHANGE_LIMIT)
        if (
            throttle.count("password_change:address", client_ip(request) or "") >= limit
            or throttle.count("password_change:account", str(request.user.pk)) >= limit
        ):
            return _throttled(self)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        if "old_password" in form.errors:
            throttle.add("password_change:address", client_ip(self.request) or "")
            throttle.add("password_change:account", str(self.request.user.pk))
        return super().form_invalid(form)
