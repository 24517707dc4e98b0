from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("", views.removal_list, name="removal_list"),
    path("logga/", views.removal_create, name="removal_create"),
    path("<int:pk>/", views.removal_detail, name="removal_detail"),
    path("<int:pk>/ratta/", views.removal_correct, name="removal_correct"),
    path("<int:pk>/diariefor/", views.removal_register, name="removal_register"),
    path("<int:pk>/export.<str:fmt>", views.removal_export_one, name="removal_export_one"),
    path("export/", views.removal_export, name="removal_export"),
    path("bevis/<int:pk>/", views.evidence_download, name="evidence"),
    path("diarieforing/", views.handoff_list, name="handoffs"),
    path("inkommet/", views.incoming_list, name="incoming_list"),
    path("inkommet/nytt/", views.incoming_create, name="incoming_create"),
    path("inkommet/<int:pk>/", views.incoming_detail, name="incoming_detail"),
    path("inkommet/<int:pk>/besked/", views.incoming_acknowledge, name="incoming_acknowledge"),
    path("inkommet/<int:pk>/avsluta/", views.incoming_close, name="incoming_close"),
    path("rapport/", views.report, name="report"),
    path("sok/", views.search_view, name="search"),
]
