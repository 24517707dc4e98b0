"""URLs of the register (/register/…) and the public channel list (/kanaler/…, REG-7)."""

from django.urls import path

from registry import views

app_name = "registry"

urlpatterns = [
    # Public, no login.
    path("kanaler/", views.public_list, name="public_list"),
    path("kanaler.json", views.public_json, name="public_json"),
    path("kanaler/verifiera/", views.verify, name="verify"),
    path("kanaler/verifiera.json", views.verify_json, name="verify_json"),
    # Staff.
    path("register/", views.account_list, name="account_list"),
    path("register/att-hantera/", views.waiting, name="waiting"),
    path("register/halsa/", views.health, name="health"),
    path("register/export.<str:fmt>", views.export_register, name="export"),
    path("register/ny/", views.account_create, name="account_create"),
    path("register/<int:pk>/", views.account_detail, name="account_detail"),
    path("register/<int:pk>/andra/", views.account_edit, name="account_edit"),
    path("register/<int:pk>/skicka-in/", views.submit, name="submit"),
    path("register/<int:pk>/godkann/", views.approve, name="approve"),
    path("register/<int:pk>/skicka-tillbaka/", views.reject, name="reject"),
    path("register/<int:pk>/aktivera/", views.activate, name="activate"),
    path("register/<int:pk>/paborja-avslut/", views.start_closing, name="start_closing"),
    path("register/<int:pk>/meddelande/", views.notice_add, name="notice_add"),
    path("register/<int:pk>/avsluta/", views.close, name="close"),
    path("register/<int:pk>/personer/", views.people, name="people"),
    path("register/<int:pk>/personer/ansvariga/", views.people_set, name="people_set"),
    path("register/<int:pk>/personer/ersattare/", views.substitute_add, name="substitute_add"),
    path(
        "register/<int:pk>/personer/ersattare/<int:item>/ta-bort/",
        views.substitute_remove,
        name="substitute_remove",
    ),
    path("register/<int:pk>/personer/inloggning/", views.holder_add, name="holder_add"),
    path(
        "register/<int:pk>/personer/inloggning/<int:item>/ta-bort/",
        views.holder_remove,
        name="holder_remove",
    ),
    path("register/<int:pk>/personer/forvaring/", views.location_set, name="location_set"),
    path("register/<int:pk>/personer/uppdrag/", views.assignment_grant, name="assignment_grant"),
    path(
        "register/<int:pk>/personer/uppdrag/<int:item>/aterkalla/",
        views.assignment_revoke,
        name="assignment_revoke",
    ),
    path("register/<int:pk>/aktivitet/", views.activity_add, name="activity_add"),
    path("register/<int:pk>/aktivitet/import/", views.activity_import, name="activity_import"),
    path("register/<int:pk>/mal/", views.target_set, name="target_set"),
]
