"""Pages that staff read without help (issue 12, "Pages"): what the manager approves, what
each state offers, the office ZIP, Swedish wording, the favicon and `make run`."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from archive.models import Snapshot
from moderation import services as moderation_services
from registry.models import SocialAccount
from tests.archive.helpers import stored_snapshot
from tests.moderation.conftest import make_incoming, make_removal
from tests.registry.conftest import complete

ROOT = Path(__file__).resolve().parent.parent


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- 1. the account page ----------------------------------------------------------------


def test_manager_reads_the_checklist_before_the_approve_button(client, account_a, manager_a):
    complete(account_a, account_a.owner)
    SocialAccount.objects.filter(pk=account_a.pk).update(state=SocialAccount.State.SUBMITTED)
    html = _page(client, manager_a, account_a.get_absolute_url())
    checklist = html.index("Checklista för att starta konto (Bilaga 2)")
    button = html.index(">Godkänn</button>")
    assert checklist < button
    assert html.count("Checklista för att starta konto (Bilaga 2)") == 1


def test_operator_who_submitted_sees_whom_it_waits_for(client, account_a, operator, manager_a):
    SocialAccount.objects.filter(pk=account_a.pk).update(state=SocialAccount.State.SUBMITTED)
    html = _page(client, operator, account_a.get_absolute_url())
    assert "Väntar på Christer Chef (verksamhetschef)" in html


@pytest.mark.parametrize(
    "state",
    [
        SocialAccount.State.DRAFT,
        SocialAccount.State.SUBMITTED,
        SocialAccount.State.MANAGER_APPROVED,
    ],
)
def test_an_account_not_yet_in_use_offers_no_removal_or_snapshot(
    client, account_a, communications_officer, state
):
    SocialAccount.objects.filter(pk=account_a.pk).update(state=state)
    html = _page(client, communications_officer, account_a.get_absolute_url())
    assert "Logga borttaget inlägg" not in html
    assert "Beställ uttag" not in html


def test_an_active_account_offers_removal_and_snapshot(client, account_a, communications_officer):
    html = _page(client, communications_officer, account_a.get_absolute_url())
    assert "Logga borttaget inlägg" in html
    assert "Beställ uttag" in html


# --- 3. the office ZIP ------------------------------------------------------------------


def test_office_zip_lists_only_offices_with_files(client, account_a, account_b, archivist):
    snapshot = stored_snapshot(account_a, period="2026-H1")
    html = _page(client, archivist, reverse("archive:list"))
    section = html[html.index('id="office-zip-h"') :]
    section = section[: section.index("</section>")]
    assert "Kultur och fritid, 2026-H1 (1 fil)" in section
    assert "Vård och omsorg" not in section
    assert f"office={account_a.department.parent_id}&amp;period=2026-H1" in section
    # The link gives the ZIP.
    response = client.get(
        reverse("archive:office_zip"),
        {"office": account_a.department.parent_id, "period": "2026-H1"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert snapshot.pk


def test_office_zip_says_when_there_are_none(client, account_a, archivist):
    html = _page(client, archivist, reverse("archive:list"))
    assert "Inget kontor har lagrade uttag ännu" in html
    assert "Kultur och fritid, " not in html


# --- 4. readable results and names ------------------------------------------------------


def test_validation_is_said_in_swedish_without_a_temporary_file_name(client, account_a, archivist):
    snapshot = stored_snapshot(account_a)
    Snapshot.objects.filter(pk=snapshot.pk).update(
        validator="pikepdf 9.0 + Apache PDFBox Preflight",
        validator_version="9.0 / 2.0.27",
        validation_messages=["The file /tmp/tmpk3j2x9.pdf is a valid PDF/A-1b file"],
    )
    html = _page(client, archivist, snapshot.get_absolute_url())
    assert "Godkänd: filen följer PDF/A-1b." in html
    assert "/tmp/" not in html
    assert "is a valid" not in html


def test_removed_comment_is_headed_and_named_as_such(client, account_a, operator):
    record = make_removal(account_a, operator, kind="comment")
    html = _page(client, operator, record.get_absolute_url())
    assert f"<h1>Borttagen kommentar {record.position}</h1>" in html
    event = AuditEvent.objects.filter(action="moderation.removal_logged").latest("pk")
    assert event.target_repr.startswith(f"Borttagen kommentar {record.position}, ")
    assert "Fritidsfabriken" in event.target_repr
    assert not re.match(r"^#\d+ \d+ ", event.target_repr)


def _health_cell(html: str, account) -> str:
    row = re.search(
        rf'<a href="{re.escape(account.get_absolute_url())}">[^<]*</a></th>(.*?)</tr>',
        html,
        re.S,
    )
    assert row is not None
    return re.findall(r"<td>(.*?)</td>", row.group(1), re.S)[-1].strip()


def test_health_column_reads_the_same_on_home_page_and_register(client, account_a, operator):
    home = _page(client, operator, reverse("home"))
    register = _page(client, operator, reverse("registry:account_list"))
    assert _health_cell(home, account_a) == _health_cell(register, account_a)
    assert _health_cell(home, account_a) != "–"


# --- 5. wording -------------------------------------------------------------------------


def test_login_refusal_is_correct_swedish_and_claims_no_case_sensitivity(client, operator):
    response = client.post(
        reverse("login"), {"username": operator.email, "password": "fel-lösenord"}
    )
    html = response.content.decode()
    assert "Ange en korrekt e-postadress och ett korrekt lösenord." in html
    assert "skiftläge" not in html


def test_overdue_reminder_says_en_fraga(account_a, operator, django_capture_on_commit_callbacks):
    item = make_incoming(account_a, operator, received_at=timezone.now() - dt.timedelta(days=10))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.send_overdue_reminders(item.due_at + dt.timedelta(hours=1))
    bodies = [m.body for m in mail.outbox]
    assert bodies
    assert any("En fråga på " in body for body in bodies)
    assert not any("En Fråga" in body for body in bodies)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_language_option_reads_english_in_every_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("login")).content.decode()
    assert re.search(r'<option value="en"[^>]*>English</option>', html)
    assert re.search(r'<option value="sv"[^>]*>Svenska</option>', html)


# --- 6. favicon and SITE_URL ------------------------------------------------------------


def test_favicon_is_linked_and_served(client):
    html = client.get(reverse("login")).content.decode()
    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg" type="image/svg\+xml">', html)
    assert re.search(r'<link rel="icon" href="[^"]*favicon\.ico"', html)
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.ico")
    assert (ROOT / "static" / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert b"<svg" in (ROOT / "static" / "favicon.svg").read_bytes()


def test_make_run_sets_site_url_from_port():
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    out = subprocess.run(
        ["make", "-n", "run", "PORT=8101"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0
    shown = subprocess.run(
        ["make", "-s", "-f", "-", "show"],
        cwd=ROOT,
        env={**env, "PORT": "8101"},
        input="include Makefile\nshow: export SITE_URL ?= http://127.0.0.1:$(PORT)\n"
        "show:\n\t@echo $$SITE_URL\n",
        capture_output=True,
        text=True,
    )
    assert "Links in e-mails: $SITE_URL" in out.stdout
    assert shown.stdout.strip() == "http://127.0.0.1:8101"


# --- 7. make run and Ctrl-C -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_ends_cleanly_on_ctrl_c(tmp_path):
    """Start `make run` on a free port with its own database, files and an in-memory broker,
    press Ctrl-C (SIGINT to the foreground process group) and expect all three processes to
    stop by themselves within seconds and make to say nothing: GNU make always ends itself
    with the SIGINT it received (as any program should), but with no "make: *** Error"."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "ARCHIVE_ROOT": str(tmp_path / "archive"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PORT": str(port),
        "DEBUG": "true",
    }
    env.pop("SITE_URL", None)
    (tmp_path / "archive").mkdir(exist_ok=True)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["make", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while "beat.1 started" not in log.read_text() or "System check" not in log.read_text():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
            time.sleep(3)
            os.killpg(proc.pid, signal.SIGINT)
            rc = proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text()
    assert rc in (0, -signal.SIGINT), text
    assert "SIGKILL" not in text
    assert "make: ***" not in text
    for name in ("web.1", "worker.1", "beat.1"):
        assert f"{name} stopped (rc=0)" in text, text
    assert f"Links in e-mails: http://127.0.0.1:{port}" in text
