"""The communications office and administrators manage people in the admin."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent, Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_administrator_adds_a_user_with_roles_and_departments(client, administrator, department_a):
    client.force_login(administrator)
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "ny.redaktor@nykvarn.se",
            "full_name": "Ny Redaktör",
            "usable_password": "true",
            "password1": "ett-långt-lösenord-2026",
            "password2": "ett-långt-lösenord-2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="ny.redaktor@nykvarn.se")
    change_url = reverse("admin:accounts_user_change", args=[user.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    response = client.post(
        change_url,
        {
            "email": user.email,
            "full_name": "Ny Redaktör",
            "title": "Fritidsledare",
            "phone": "",
            "departments": [department_a.pk],
            "roles": [Role.objects.get(code=Role.Code.OPERATOR).pk],
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-11-24",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.role_codes == {Role.Code.OPERATOR}
    assert list(user.departments.all()) == [department_a]
    # Both the creation and the change of roles are in the audit trail, with the result.
    added, changed = AuditEvent.for_object(user).order_by("created_at", "id")
    assert (added.action, added.actor) == ("accounts.user_added", administrator)
    assert changed.action == "accounts.user_changed"
    assert changed.details["roles"] == [Role.Code.OPERATOR]
    assert changed.details["departments"] == ["Fritidsfabriken"]


def test_communications_officer_sees_the_user_list(client, communications_officer):
    UserFactory.create_batch(3)
    client.force_login(communications_officer)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200


def test_password_reset_sends_a_swedish_link(client):
    UserFactory(email="anna@nykvarn.se")
    response = client.post(reverse("password_reset"), {"email": "anna@nykvarn.se"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "Välj ett nytt lösenord här" in mail.outbox[0].body
    assert mail.outbox[0].subject == "Nytt lösenord – Sociala medier"


def test_department_changes_in_the_admin_are_audited(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("admin:accounts_department_add"),
        {"name": "Ungdomsgården", "kind": "verksamhet", "parent": "", "email": ""},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.department_added")
    assert event.actor == administrator and event.target_repr == "Ungdomsgården"


def test_password_reset_with_smtp_down_answers_and_keeps_no_link(client, settings):
    """Issue 9: an SMTP outage is no 500; the answer is the one an unknown address gets
    (no account enumeration), and the reset link, which would let a reader of the outbox
    take over the account, is never stored."""
    from accounts.models import OutgoingMail
    from tests.accounts.smtp_server import free_port

    UserFactory(email="anna@nykvarn.se")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_TIMEOUT = 5
    known = client.post(reverse("password_reset"), {"email": "anna@nykvarn.se"})
    unknown = client.post(reverse("password_reset"), {"email": "okand@nykvarn.se"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert not OutgoingMail.objects.exists()
