"""The site itself: Swedish pages, login and throttling, audit trail, health, deploy settings."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.urls import reverse

from accounts.models import AuditEvent, Department, User
from tests.accounts.smtp_server import free_port
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[2]


def login(client, email, password=TEST_PASSWORD, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def test_pages_are_swedish_by_default(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert "Logga in" in html and "Glömt lösenordet?" in html


def test_english_is_available(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Forgot your password?" in html


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_with_any_letter_case_of_the_address(client):
    UserFactory(email="anna.andersson@nykvarn.se")
    response = login(client, "Anna.Andersson@Nykvarn.se")
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_failed_logins_lock_out_and_the_lockout_expires(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(email="anna@nykvarn.se")
    for _ in range(3):
        assert login(client, "anna@nykvarn.se", "fel-lösenord").status_code in (200, 429)
    # Now even the right password is refused, with a Swedish explanation.
    locked = login(client, "anna@nykvarn.se")
    assert locked.status_code == 429
    assert "tillfälligt spärrad" in locked.content.decode()
    assert client.get(reverse("home")).status_code == 302

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME * 2, tick=False):
        assert login(client, "anna@nykvarn.se").status_code == 302


def test_session_expires_after_idle_timeout(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_navigation_shows_each_role_what_it_may_do(client, communications_officer, operator):
    client.force_login(operator)
    html = client.get(reverse("home")).content.decode()
    assert "Administration" not in html
    client.force_login(communications_officer)
    html = client.get(reverse("home")).content.decode()
    assert 'href="/admin/"' in html


def test_audit_event_records_actor_target_and_ip(client, communications_officer, department_a):
    event = AuditEvent.record(
        actor=communications_officer, action="test.changed", target=department_a, details={"a": 1}
    )
    assert event.target_repr == "Fritidsfabriken"
    assert list(AuditEvent.for_object(department_a)) == [event]


def test_audit_ip_comes_from_the_request(client, communications_officer):
    client.force_login(communications_officer)
    # A change through the admin writes Django's log; our middleware makes the IP available
    # to any AuditEvent written during a request.
    from accounts.models import current_ip

    seen = {}

    def view_spy(request):
        seen["ip"] = current_ip.get()

    from accounts.middleware import AuditContextMiddleware

    def get_response(request):
        view_spy(request)
        from django.http import HttpResponse

        return HttpResponse()

    from django.test import RequestFactory

    AuditContextMiddleware(get_response)(RequestFactory().get("/", REMOTE_ADDR="10.1.2.3"))
    assert seen["ip"] == "10.1.2.3"
    assert current_ip.get() is None


def test_audit_events_are_read_only_in_the_admin(client, administrator, department_a):
    event = AuditEvent.record(actor=administrator, action="test.changed", target=department_a)
    client.force_login(administrator)
    change = client.get(reverse("admin:accounts_auditevent_change", args=[event.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert (
        client.post(
            reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_is_closed_to_managers_operators_and_archivists(
    client, manager_a, operator, archivist
):
    for user in (manager_a, operator, archivist):
        client.force_login(user)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302, user


def test_healthz_is_up(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": {"status": "up"},
        "broker": {"status": "up"},
        "archive_storage": {"status": "up"},
        "moderation_log": {"status": "up"},
    }


def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    # The health check's own connection goes to a PostgreSQL port where nothing listens.
    monkeypatch.setitem(
        connections.settings,
        "default",
        {
            **connections.settings["default"],
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": free_port(),
            "NAME": "sm_down",
            "USER": "postgres",
            "OPTIONS": {},
        },
    )
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "down"


def test_healthz_answers_503_when_the_broker_is_down(client, monkeypatch):
    from nykvarn_sm.celery import app

    # Nothing listens on port 1: a real connection attempt to a real Redis address fails.
    # Celery reads CELERY_BROKER_URL from the environment before its settings.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    app.pool.force_close_all()
    try:
        response = client.get(reverse("healthz"))
    finally:
        app.pool.force_close_all()
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "down"
    assert response.json()["checks"]["database"]["status"] == "up"


def test_seed_demo_is_idempotent():
    call_command("seed_demo", "--force", stdout=StringIO())
    counts = (User.objects.count(), Department.objects.count(), AuditEvent.objects.count())
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    assert (User.objects.count(), Department.objects.count(), AuditEvent.objects.count()) == counts
    assert "kommunikator@nykvarn.se" in out.getvalue()


def _run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_refuses_to_start_with_debug_off_and_setting_missing(missing, tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "sm.nykvarn.se",
        "ARCHIVE_ROOT": str(tmp_path),
    }
    env.pop(missing)
    result = _run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    """The production values README documents give zero warnings."""
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-production-secret-key-of-fifty-or-more-characters-0123456789abcdef",
        ALLOWED_HOSTS="sociala-medier.nykvarn.se",
        MODERATION_CHAIN_KEYS="k2026:a-production-chain-key-of-32-or-more-characters-0123",
        MODERATION_CHAIN_KEY_ID="k2026",
        ARCHIVE_ROOT=str(tmp_path / "archive"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_browser_language_does_not_override_swedish(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="sv">' in html


def test_navigation_marks_only_the_most_specific_item_current(client, communications_officer):
    client.force_login(communications_officer)
    html = client.get(reverse("moderation:report")).content.decode()
    assert html.count('aria-current="page"') == 1
    assert f'href="{reverse("moderation:report")}" aria-current="page"' in html
