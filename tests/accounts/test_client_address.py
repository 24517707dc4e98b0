"""The client's address behind the TLS proxy, and throttled password reset and change."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the TLS proxy: every request reaches the site from here
A = "198.51.100.7"
B = "203.0.113.9"


def through_proxy(client_address, spoofed=""):
    """META of a request that the proxy forwarded: it appends the address it saw."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def login(client, email, password, **meta):
    return client.post(reverse("login"), {"username": email, "password": password}, **meta)


@pytest.fixture
def behind_proxy(settings):
    settings.PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3


def test_client_address_is_the_one_the_proxy_saw(rf, settings):
    from accounts.http import client_ip

    settings.PROXY_COUNT = 1
    assert client_ip(rf.get("/", **through_proxy(A))) == A
    # Whatever the client wrote itself is to the left of what the proxy appended.
    assert client_ip(rf.get("/", **through_proxy(A, spoofed=f"{B}, 127.0.0.1"))) == A
    # Junk, or a request that did not come through the proxy: the connecting address.
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="junk")) == PROXY
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY)) == PROXY
    settings.PROXY_COUNT = 2
    assert client_ip(rf.get("/", **through_proxy(PROXY, spoofed=f"{B}, {A}"))) == A
    # Without a proxy, X-Forwarded-For is the client's own text and means nothing.
    settings.PROXY_COUNT = 0
    assert client_ip(rf.get("/", REMOTE_ADDR=A, HTTP_X_FORWARDED_FOR=B)) == A


def test_lockout_from_one_address_does_not_lock_out_another(client, behind_proxy):
    UserFactory(email="anna@nykvarn.se")
    for _ in range(3):
        login(client, "anna@nykvarn.se", "fel-lösenord", **through_proxy(A))
    assert login(client, "anna@nykvarn.se", TEST_PASSWORD, **through_proxy(A)).status_code == 429
    response = login(client, "anna@nykvarn.se", TEST_PASSWORD, **through_proxy(B))
    assert response.status_code == 302


def test_a_spoofed_forwarded_for_locks_out_only_the_sender(client, behind_proxy):
    UserFactory(email="anna@nykvarn.se")
    # The attacker at A claims to be B; the proxy appends A.
    for _ in range(3):
        login(client, "anna@nykvarn.se", "fel-lösenord", **through_proxy(A, spoofed=B))
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    response = login(client, "anna@nykvarn.se", TEST_PASSWORD, **through_proxy(B))
    assert response.status_code == 302


def test_the_audit_trail_records_the_address_the_proxy_saw(rf, settings, administrator):
    from django.http import HttpResponse

    from accounts.middleware import AuditContextMiddleware

    settings.PROXY_COUNT = 1

    def record(request):
        AuditEvent.record(actor=administrator, action="test.changed")
        return HttpResponse()

    AuditContextMiddleware(record)(rf.get("/", **through_proxy(A, spoofed=B)))
    assert AuditEvent.objects.get(action="test.changed").ip_address == A


def test_password_reset_is_throttled_per_address(client, settings, behind_proxy):
    settings.PASSWORD_RESET_LIMIT = 3
    for n in range(3):
        response = client.post(
            reverse("password_reset"), {"email": f"p{n}@nykvarn.se"}, **through_proxy(A)
        )
        assert response.status_code == 302
    throttled = client.post(
        reverse("password_reset"), {"email": "p9@nykvarn.se"}, **through_proxy(A)
    )
    assert throttled.status_code == 429
    assert "För många försök" in throttled.content.decode()
    other = client.post(reverse("password_reset"), {"email": "p9@nykvarn.se"}, **through_proxy(B))
    assert other.status_code == 302


def test_password_reset_is_throttled_per_account(client, settings, behind_proxy):
    settings.PASSWORD_RESET_LIMIT = 2
    UserFactory(email="anna@nykvarn.se")
    for address in ("192.0.2.1", "192.0.2.2"):
        response = client.post(
            reverse("password_reset"), {"email": "Anna@nykvarn.se"}, **through_proxy(address)
        )
        assert response.status_code == 302
    assert len(mail.outbox) == 2
    throttled = client.post(
        reverse("password_reset"), {"email": "anna@nykvarn.se"}, **through_proxy("192.0.2.3")
    )
    assert throttled.status_code == 429
    assert len(mail.outbox) == 2


def test_password_change_is_throttled_per_account_and_address(client, settings, behind_proxy):
    settings.PASSWORD_CHANGE_LIMIT = 2
    user = UserFactory(email="anna@nykvarn.se")
    client.force_login(user)
    new = "ett-helt-nytt-lösenord-2026"
    for _ in range(2):
        wrong = client.post(
            reverse("password_change"),
            {"old_password": "fel", "new_password1": new, "new_password2": new},
            **through_proxy(A),
        )
        assert wrong.status_code == 200
    # Now even the right old password is refused, from any address, for a while.
    throttled = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
        **through_proxy(B),
    )
    assert throttled.status_code == 429
    assert "För många försök" in throttled.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_the_reset_link_is_on_site_url_whatever_host_the_request_named(client, settings):
    # A request's Host header is the client's to choose (and ALLOWED_HOSTS may list internal
    # names too): the link in the e-mail points at SITE_URL, never at that header.
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://sociala.nykvarn.se"
    UserFactory(email="anna@nykvarn.se")
    response = client.post(
        reverse("password_reset"), {"email": "anna@nykvarn.se"}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert "https://sociala.nykvarn.se/konto/reset/" in message.body
    assert "evil.example" not in message.body
