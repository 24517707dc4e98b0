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
]
