from __future__ import annotations

from django.urls import path

from archive import views

app_name = "archive"

urlpatterns = [
    path("", views.snapshot_list, name="list"),
    path("kontor.zip", views.office_zip, name="office_zip"),
    path("saknade/", views.missing_list, name="missing"),
    path("<int:pk>/", views.snapshot_detail, name="detail"),
    path("<int:pk>/ladda-ner/", views.download, name="download"),
    path("<int:pk>/forsok-igen/", views.retry, name="retry"),
    path("<int:pk>/ladda-upp/", views.upload, name="upload"),
    path("konto/<int:account_pk>/bestall/", views.request_snapshot, name="request"),
    path("sok/", views.search, name="search"),
    path("gallring/", views.gallring_overview, name="gallring"),
    path("<int:pk>/gallra/", views.dispose, name="dispose"),
    path("konto/<int:account_pk>/gallring/", views.account_gallring, name="account_gallring"),
    path(
        "konto/<int:account_pk>/gallring/registrera/",
        views.record_thinning,
        name="record_thinning",
    ),
    path("konto/<int:account_pk>/gallringsstopp/", views.place_hold, name="place_hold"),
    path("gallringsstopp/<int:pk>/hav/", views.release_hold, name="release_hold"),
    path("paket/", views.package_list, name="packages"),
    path("paket/bestall/", views.package_request, name="package_request"),
    path("paket/<int:pk>/", views.package_detail, name="package"),
    path("paket/<int:pk>/ladda-ner/", views.package_download, name="package_download"),
    path("paket/<int:pk>/bygg-igen/", views.package_retry, name="package_retry"),
]
