"""REG-9 and REG-7: an account whose closing has started is official until it is closed.

It stays on the public list and the verify check, marked as closing with the planned
date; it leaves them when it is closed. The "inför avslut" snapshot that closing needs is
one taken after the closing started (ARC-1).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from registry import models, services
from registry.models import FollowerNotice, SocialAccount, TransitionRefused

pytestmark = pytest.mark.django_db
S = SocialAccount.State


@pytest.fixture
def closing_a(account_a, manager_a):
    services.start_closing(
        account=account_a,
        by=manager_a,
        planned_on=timezone.localdate() + dt.timedelta(days=21),
        reason="Används inte regelbundet.",
    )
    account_a.refresh_from_db()
    return account_a


def _planned(account) -> str:
    return account.closing_planned_on.isoformat()


def test_a_closing_account_stays_on_the_public_list_marked_with_its_date(client, closing_a):
    page = client.get(reverse("registry:public_list")).content.decode()
    assert closing_a.url in page
    assert f"Avslutas {_planned(closing_a)}" in page
    embed = client.get(reverse("registry:public_list") + "?embed=1").content.decode()
    assert f"Avslutas {_planned(closing_a)}" in embed


def test_a_closing_account_stays_in_the_json_list_marked_with_its_date(
    client, closing_a, account_b
):
    data = client.get(reverse("registry:public_json")).json()
    entries = {a["id"]: a for a in data["accounts"]}
    assert entries[closing_a.pk]["closing"] is True
    assert entries[closing_a.pk]["closing_planned_on"] == _planned(closing_a)
    assert entries[account_b.pk]["closing"] is False
    assert entries[account_b.pk]["closing_planned_on"] is None


def test_verify_answers_official_and_closing_on_the_date(client, closing_a):
    data = client.get(reverse("registry:verify_json"), {"url": closing_a.url}).json()
    assert data["official"] is True
    assert data["account"]["id"] == closing_a.pk
    assert data["account"]["closing"] is True
    assert data["account"]["closing_planned_on"] == _planned(closing_a)
    page = client.get(reverse("registry:verify"), {"url": closing_a.url}).content.decode()
    assert "Ja, det är ett officiellt konto" in page
    assert f"Kontot avslutas {_planned(closing_a)}" in page


def test_a_closed_account_leaves_the_list_and_the_verify_check(
    client, closing_a, communications_officer, operator, closing_snapshot
):
    for days_ago in (3, 1):
        FollowerNotice.objects.create(
            account=closing_a,
            recorded_by=operator,
            text="Vi stänger. Tack! Följ kommunens centrala konto.",
            published_on=timezone.localdate() - dt.timedelta(days=days_ago),
        )
    services.close(account=closing_a, by=communications_officer)
    assert closing_a.url not in client.get(reverse("registry:public_list")).content.decode()
    ids = [a["id"] for a in client.get(reverse("registry:public_json")).json()["accounts"]]
    assert closing_a.pk not in ids
    data = client.get(reverse("registry:verify_json"), {"url": closing_a.url}).json()
    assert data == {"official": False, "account": None}


# --- the "inför avslut" snapshot must be newer than the closing -----------------------------


@pytest.fixture
def snapshot_checks(monkeypatch):
    """Stand in for the archive's registration: snapshots stored at the given times."""
    stored: list[dt.datetime] = []
    monkeypatch.setattr(models, "CLOSING_SNAPSHOT_CHECKS", [])
    models.register_closing_snapshot_check(
        lambda account, *, since: any(at >= since for at in stored)
    )
    return stored


def test_a_snapshot_from_before_the_closing_started_does_not_count(
    closing_a, snapshot_checks, communications_officer, operator
):
    for days_ago in (3, 1):
        FollowerNotice.objects.create(
            account=closing_a,
            recorded_by=operator,
            text="Vi stänger. Tack!",
            published_on=timezone.localdate() - dt.timedelta(days=days_ago),
        )
    snapshot_checks.append(closing_a.closing_started_at - dt.timedelta(days=30))
    with pytest.raises(TransitionRefused, match="arkivuttag"):
        services.close(account=closing_a, by=communications_officer)
    assert SocialAccount.objects.get(pk=closing_a.pk).state == S.CLOSING
    snapshot_checks.append(closing_a.closing_started_at + dt.timedelta(minutes=5))
    services.close(account=closing_a, by=communications_officer)
    assert SocialAccount.objects.get(pk=closing_a.pk).state == S.CLOSED


def test_without_a_registered_check_nothing_is_closed(closing_a, monkeypatch):
    monkeypatch.setattr(models, "CLOSING_SNAPSHOT_CHECKS", [])
    assert models.closing_snapshot_stored(closing_a) is False


def test_the_registry_does_not_import_the_archive_or_moderation():
    import ast
    from pathlib import Path

    import registry

    root = Path(registry.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith(("archive", "moderation")), (path, name)


def test_the_archive_answers_with_snapshots_stored_after_the_closing_started(
    closing_a, communications_officer
):
    """The archive's registered check, against real snapshot rows."""
    from archive.models import Snapshot, period_for

    def snapshot(captured_at):
        # Each stored file has a name of its own (archive's snapshot_one_row_per_file).
        return Snapshot.objects.create(
            account=closing_a,
            period=period_for(timezone.localdate()),
            context=Snapshot.Context.BEFORE_CLOSING,
            source_url=closing_a.url,
            status=Snapshot.Status.STORED,
            file_name=f"{captured_at:%Y%m%d%H%M%S}.pdf",
            sha256="0" * 64,
            captured_at=captured_at,
        )

    snapshot(closing_a.closing_started_at - dt.timedelta(days=2))
    assert models.closing_snapshot_stored(closing_a) is False
    snapshot(closing_a.closing_started_at + dt.timedelta(seconds=1))
    assert models.closing_snapshot_stored(closing_a) is True
