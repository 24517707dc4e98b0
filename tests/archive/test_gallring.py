"""Gallring on the platform, holds and disposal (ARC-4, the guideline's "Gallra": thin
"efter det att du utfört arkivering"; nothing without a decision, nothing under a hold)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from archive import gallring
from archive.models import (
    ArchivedText,
    Disposal,
    GallringDecision,
    LegalHold,
    PlatformThinning,
    Snapshot,
    months_after,
)
from archive.services import verify_archive
from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 9, 15)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 9, 15, 10, 0, tzinfo=dt.UTC), tick=False)


@pytest.fixture
def platform_decision(db):
    return GallringDecision.objects.create(
        diarienummer="KS/2026:12",
        decided_on=dt.date(2026, 1, 10),
        decided_by="Kommunstyrelsen",
        applies_to=GallringDecision.Applies.PLATFORM,
        description="Inlägg och kommentarer på kommunens konton, efter arkivering.",
        retention_months=0,
    )


@pytest.fixture
def archive_decision(db):
    return GallringDecision.objects.create(
        diarienummer="KS/2026:13",
        decided_on=dt.date(2026, 1, 10),
        decided_by="Kommunstyrelsen",
        applies_to=GallringDecision.Applies.ARCHIVE,
        description="Periodiska uttag av sociala medier, efter ett år.",
        retention_months=12,
    )


def _thin(client, account, decision, *, starts="2026-01-01", ends="2026-06-30", on="2026-09-15"):
    return client.post(
        reverse("archive:record_thinning", args=[account.pk]),
        {
            "starts_on": starts,
            "ends_on": ends,
            "decision": decision.pk,
            "thinned_on": on,
            "note": "Gamla evenemangsinlägg",
        },
    )


def _captured(snapshot, when):
    Snapshot.objects.filter(pk=snapshot.pk).update(captured_at=when, stored_at=when)
    snapshot.refresh_from_db()
    return snapshot


def _aged(snapshot, *, years=2):
    when = timezone.now() - dt.timedelta(days=365 * years)
    return _captured(snapshot, when)


def _hold(account, by, **kwargs):
    kwargs.setdefault("scope", LegalHold.Scope.ACCOUNT)
    return gallring.place_hold(
        account=account,
        reason=LegalHold.Reason.PUBLIC_RECORDS,
        reference="KS/2026:99",
        note="Begäran om allmän handling",
        by=by,
        **kwargs,
    )


# --- thinning on the platform --------------------------------------------------------------


def test_thinning_before_archiving_is_refused(client, operator, account_a, platform_decision):
    client.force_login(operator)
    response = _thin(client, account_a, platform_decision)
    assert response.status_code == 409
    assert "Perioden är inte arkiverad" in response.content.decode()
    assert not PlatformThinning.objects.exists()
    # The typed period is shown again.
    assert 'value="2026-06-30"' in response.content.decode()


def test_a_capture_from_inside_the_period_does_not_cover_it(
    client, operator, account_a, platform_decision
):
    _captured(stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 6, 30, 12)))
    client.force_login(operator)
    response = _thin(client, account_a, platform_decision)
    assert response.status_code == 409
    assert not PlatformThinning.objects.exists()


def test_thinning_after_archiving_is_accepted(client, operator, account_a, platform_decision):
    snapshot = _captured(
        stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8))
    )
    client.force_login(operator)
    response = _thin(client, account_a, platform_decision)
    assert response.status_code == 302
    thinning = PlatformThinning.objects.get()
    assert thinning.account == account_a
    assert (thinning.starts_on, thinning.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert thinning.covered_by == snapshot
    assert thinning.decision == platform_decision
    assert thinning.recorded_by == operator
    event = AuditEvent.objects.get(action="archive.thinning_recorded")
    assert event.actor == operator
    assert event.details["snapshot"] == snapshot.pk
    assert event.details["decision"] == "KS/2026:12"
    page = client.get(reverse("archive:account_gallring", args=[account_a.pk])).content.decode()
    assert "2026-01-01–2026-06-30" in page


@pytest.mark.parametrize(
    "change",
    [{"validation_passed": False}, {"fixity_ok": False}, {"status": Snapshot.Status.FAILED}],
)
def test_only_a_stored_validated_unchanged_file_covers(
    client, operator, account_a, platform_decision, change
):
    snapshot = _captured(
        stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8))
    )
    Snapshot.objects.filter(pk=snapshot.pk).update(**change)
    client.force_login(operator)
    assert _thin(client, account_a, platform_decision).status_code == 409
    assert not PlatformThinning.objects.exists()


def test_thinning_waits_for_the_decisions_time(client, operator, account_a, platform_decision):
    GallringDecision.objects.filter(pk=platform_decision.pk).update(retention_months=6)
    _captured(stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8)))
    client.force_login(operator)
    response = _thin(client, account_a, platform_decision)
    assert response.status_code == 409
    assert "tidigast 2027-01-01" in response.content.decode()
    assert not PlatformThinning.objects.exists()


def test_without_a_decision_nothing_can_be_recorded(client, operator, account_a):
    _captured(stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8)))
    archive_only = GallringDecision.objects.create(
        diarienummer="KS/2026:13",
        decided_on=dt.date(2026, 1, 10),
        decided_by="Kommunstyrelsen",
        applies_to=GallringDecision.Applies.ARCHIVE,
        description="Arkivuttag",
        retention_months=0,
    )
    client.force_login(operator)
    assert _thin(client, account_a, archive_only).status_code == 400
    assert not PlatformThinning.objects.exists()


def test_revoked_decision_is_not_offered(client, operator, account_a, platform_decision):
    GallringDecision.objects.filter(pk=platform_decision.pk).update(revoked_on=TODAY)
    _captured(stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8)))
    client.force_login(operator)
    assert _thin(client, account_a, platform_decision).status_code == 400
    assert not PlatformThinning.objects.exists()


@pytest.mark.parametrize(
    ("hold", "blocked"),
    [
        ({"scope": LegalHold.Scope.ACCOUNT}, True),
        (
            {
                "scope": LegalHold.Scope.PERIOD,
                "starts_on": dt.date(2026, 6, 1),
                "ends_on": dt.date(2026, 8, 1),
            },
            True,
        ),
        (
            {
                "scope": LegalHold.Scope.PERIOD,
                "starts_on": dt.date(2025, 1, 1),
                "ends_on": dt.date(2025, 12, 31),
            },
            False,
        ),
    ],
)
def test_a_hold_blocks_thinning(
    client, operator, archivist, account_a, platform_decision, hold, blocked
):
    _captured(stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8)))
    _hold(account_a, archivist, **hold)
    client.force_login(operator)
    response = _thin(client, account_a, platform_decision)
    if blocked:
        assert response.status_code == 409
        assert "Gallringsstopp gäller" in response.content.decode()
        assert not PlatformThinning.objects.exists()
    else:
        assert response.status_code == 302
        assert PlatformThinning.objects.count() == 1


def test_a_hold_on_a_record_blocks_thinning_what_it_shows(
    client, operator, archivist, account_a, platform_decision
):
    snapshot = _captured(
        stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8))
    )
    _hold(account_a, archivist, scope=LegalHold.Scope.RECORDS, snapshots=[snapshot])
    client.force_login(operator)
    assert _thin(client, account_a, platform_decision).status_code == 409
    assert not PlatformThinning.objects.exists()


def test_a_released_hold_no_longer_blocks(
    client, operator, archivist, account_a, platform_decision
):
    _captured(stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8)))
    hold = _hold(account_a, archivist)
    client.force_login(archivist)
    response = client.post(
        reverse("archive:release_hold", args=[hold.pk]), {"note": "Ärendet är avslutat"}
    )
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.released_by == archivist and hold.released_at is not None
    assert AuditEvent.objects.filter(action="archive.hold_released", actor=archivist).exists()
    client.force_login(operator)
    assert _thin(client, account_a, platform_decision).status_code == 302
    assert PlatformThinning.objects.count() == 1


def test_thinning_form_refuses_bad_dates_without_500(
    client, operator, account_a, platform_decision
):
    client.force_login(operator)
    for starts, ends, on in [
        ("2026-06-30", "2026-01-01", "2026-09-15"),
        ("0001-01-01", "2026-01-01", "2026-09-15"),
        ("2026-01-01", "99999-01-01", "2026-09-15"),
        ("2026-01-01", "2026-06-30", "2030-01-01"),
        ("nonsense", "", ""),
    ]:
        response = _thin(client, account_a, platform_decision, starts=starts, ends=ends, on=on)
        assert response.status_code == 400, (starts, ends, on)
    response = client.post(
        reverse("archive:record_thinning", args=[account_a.pk]),
        {"starts_on": "2026-01-01", "ends_on": "2026-06-30", "decision": "99999999999"},
    )
    assert response.status_code == 400
    assert not PlatformThinning.objects.exists()


# --- holds ---------------------------------------------------------------------------------


def test_archivist_places_a_hold_on_a_period(client, archivist, account_a):
    client.force_login(archivist)
    response = client.post(
        reverse("archive:place_hold", args=[account_a.pk]),
        {
            "scope": "period",
            "starts_on": "2026-01-01",
            "ends_on": "2026-03-31",
            "reason": "dispute",
            "reference": "Mål T 123-26",
            "note": "Tvist om ett inlägg i mars",
        },
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert hold.account == account_a and hold.placed_by == archivist and hold.is_active
    assert (hold.starts_on, hold.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    event = AuditEvent.objects.get(action="archive.hold_placed")
    assert event.actor == archivist and event.details["reference"] == "Mål T 123-26"


def test_a_hold_on_records_only_takes_the_accounts_records(client, archivist, account_a, account_b):
    other = stored_snapshot(account_b)
    client.force_login(archivist)
    response = client.post(
        reverse("archive:place_hold", args=[account_a.pk]),
        {"scope": "records", "snapshots": [other.pk], "reason": "case", "note": "Ärende"},
    )
    assert response.status_code == 400
    assert not LegalHold.objects.exists()
    response = client.post(
        reverse("archive:place_hold", args=[account_a.pk]),
        {"scope": "period", "reason": "case", "note": "Ärende"},
    )
    assert response.status_code == 400
    assert not LegalHold.objects.exists()


# --- disposal ------------------------------------------------------------------------------


def _dispose(client, snapshot, decision):
    return client.post(reverse("archive:dispose", args=[snapshot.pk]), {"decision": decision.pk})


def test_disposal_removes_the_file_and_keeps_the_record(
    client, archivist, account_a, archive_decision
):
    snapshot = _aged(stored_snapshot(account_a))
    ArchivedText.objects.create(snapshot=snapshot, sha256=snapshot.sha256, text="Räksmörgås")
    path = storages["archive"].path(snapshot.file_name)
    client.force_login(archivist)
    overview = client.get(reverse("archive:gallring")).content.decode()
    assert snapshot.download_name in overview  # due under KS/2026:13

    response = _dispose(client, snapshot, archive_decision)
    assert response.status_code == 302
    assert not storages["archive"].exists(snapshot.file_name)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.DISPOSED
    disposal = Disposal.objects.get(snapshot=snapshot)
    assert disposal.file_name == snapshot.file_name
    assert disposal.sha256 == snapshot.sha256 and disposal.size == snapshot.size
    assert disposal.decision == archive_decision and disposal.disposed_by == archivist
    event = AuditEvent.objects.get(action="archive.disposed")
    assert event.actor == archivist
    assert event.details["sha256"] == snapshot.sha256 and event.details["decision"] == "KS/2026:13"
    assert not ArchivedText.objects.filter(snapshot=snapshot).exists()
    assert path  # the name stays recorded
    # The fixity check does not miss a file disposed of under a decision.
    check = verify_archive(triggered_by="test")
    assert check.problems == []
    # Nothing to download; the page says what happened.
    assert client.get(reverse("archive:download", args=[snapshot.pk])).status_code == 404
    detail = client.get(snapshot.get_absolute_url()).content.decode()
    assert "KS/2026:13" in detail and snapshot.sha256 in detail
    # Disposed once: a second try changes nothing.
    assert _dispose(client, snapshot, archive_decision).status_code == 302
    assert Disposal.objects.count() == 1


def test_without_a_decision_nothing_is_disposed(client, archivist, account_a):
    snapshot = _aged(stored_snapshot(account_a), years=30)
    client.force_login(archivist)
    assert gallring.due_for_disposal() == []
    response = client.post(reverse("archive:dispose", args=[snapshot.pk]), {"decision": "1"})
    assert response.status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED
    assert storages["archive"].exists(snapshot.file_name)
    assert not Disposal.objects.exists()


def test_disposal_waits_for_the_decisions_time(client, archivist, account_a, archive_decision):
    snapshot = stored_snapshot(account_a)  # stored today; the decision keeps it a year
    client.force_login(archivist)
    assert gallring.due_for_disposal() == []
    response = _dispose(client, snapshot, archive_decision)
    assert response.status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED
    assert storages["archive"].exists(snapshot.file_name)
    assert not Disposal.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("tidigast" in m for m in messages)


def test_a_platform_decision_disposes_of_no_file(client, archivist, account_a, platform_decision):
    snapshot = _aged(stored_snapshot(account_a))
    client.force_login(archivist)
    _dispose(client, snapshot, platform_decision)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED
    assert not Disposal.objects.exists()


@pytest.mark.parametrize("scope", ["account", "period", "records", "other_record"])
def test_a_hold_blocks_disposal(client, archivist, account_a, archive_decision, scope):
    snapshot = _aged(stored_snapshot(account_a))
    if scope == "account":
        hold = _hold(account_a, archivist)
    elif scope == "period":
        # A capture after the hold's first day can show the period's posts: kept.
        start = timezone.localdate(snapshot.captured_at) - dt.timedelta(days=30)
        hold = _hold(
            account_a,
            archivist,
            scope=LegalHold.Scope.PERIOD,
            starts_on=start,
            ends_on=start + dt.timedelta(days=10),
        )
    elif scope == "records":
        hold = _hold(account_a, archivist, scope=LegalHold.Scope.RECORDS, snapshots=[snapshot])
    else:
        other = _aged(stored_snapshot(account_a, context=Snapshot.Context.MANUAL))
        hold = _hold(account_a, archivist, scope=LegalHold.Scope.RECORDS, snapshots=[other])
    client.force_login(archivist)
    due = [s.pk for s, _decision in gallring.due_for_disposal()]
    response = _dispose(client, snapshot, archive_decision)
    snapshot.refresh_from_db()
    if scope == "other_record":
        assert snapshot.status == Snapshot.Status.DISPOSED  # the hold keeps another record
        assert snapshot.pk in due
        return
    assert snapshot.pk not in due
    assert response.status_code == 302
    assert snapshot.status == Snapshot.Status.STORED
    assert storages["archive"].exists(snapshot.file_name)
    assert not Disposal.objects.exists()
    assert not AuditEvent.objects.filter(action="archive.disposed").exists()
    # Released, the file may go.
    gallring.release_hold(hold=hold, note="Klart", by=archivist)
    assert _dispose(client, snapshot, archive_decision).status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.DISPOSED


def test_a_hold_on_a_later_period_keeps_older_captures_disposable(
    archivist, account_a, archive_decision
):
    snapshot = _aged(stored_snapshot(account_a))
    _hold(
        account_a,
        archivist,
        scope=LegalHold.Scope.PERIOD,
        starts_on=TODAY - dt.timedelta(days=60),
        ends_on=TODAY,
    )
    gallring.dispose_snapshot(snapshot=snapshot, decision=archive_decision, by=archivist)
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.DISPOSED


def test_a_disposed_periodic_extract_is_not_a_missing_one(archivist, account_a, archive_decision):
    from archive.models import missing_periodic_extracts
    from registry.models import SocialAccount

    activated = timezone.make_aware(dt.datetime(2024, 1, 5))
    SocialAccount.objects.filter(pk=account_a.pk).update(activated_at=activated)
    snapshot = _aged(stored_snapshot(account_a, period="2025-H1"))
    before = {row["period"] for row in missing_periodic_extracts(SocialAccount.objects.all())}
    assert "2025-H1" not in before
    gallring.dispose_snapshot(snapshot=snapshot, decision=archive_decision, by=archivist)
    after = {row["period"] for row in missing_periodic_extracts(SocialAccount.objects.all())}
    assert after == before


def test_months_after_keeps_to_the_month():
    assert months_after(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_after(dt.date(2026, 3, 15), -3) == dt.date(2025, 12, 15)
    assert months_after(dt.date(2026, 1, 1), 0) == dt.date(2026, 1, 1)


# --- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["archive:record_thinning", "archive:place_hold"])
def test_state_changing_account_views_refuse_get(client, archivist, account_a, url_name):
    client.force_login(archivist)
    assert client.get(reverse(url_name, args=[account_a.pk])).status_code == 405


def test_release_and_dispose_refuse_get(client, archivist, account_a):
    hold = _hold(account_a, archivist)
    snapshot = stored_snapshot(account_a)
    client.force_login(archivist)
    assert client.get(reverse("archive:release_hold", args=[hold.pk])).status_code == 405
    assert client.get(reverse("archive:dispose", args=[snapshot.pk])).status_code == 405
    hold.refresh_from_db()
    assert hold.is_active


@pytest.mark.parametrize(
    ("persona", "page", "thin"),
    [
        ("operator", 200, 302),
        ("manager_a", 200, 302),
        ("communications_officer", 200, 302),
        ("archivist", 200, 403),
        ("manager_b", 404, 404),
        ("operator_b", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_who_sees_the_page_and_records_thinning(
    request, client, account_a, platform_decision, persona, page, thin
):
    _captured(stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8)))
    client.force_login(request.getfixturevalue(persona))
    url = reverse("archive:account_gallring", args=[account_a.pk])
    assert client.get(url).status_code == page
    assert _thin(client, account_a, platform_decision).status_code == thin
    assert PlatformThinning.objects.count() == (1 if thin == 302 else 0)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("operator", 403),
        ("manager_a", 403),
        ("communications_officer", 403),
        ("administrator", 403),
        ("manager_b", 404),
        ("outsider", 404),
    ],
)
def test_only_archivists_place_and_release_holds(
    request, client, archivist, account_a, persona, expected
):
    hold = _hold(account_a, archivist)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        reverse("archive:place_hold", args=[account_a.pk]),
        {"scope": "account", "reason": "case", "note": "Ärende"},
    )
    assert response.status_code == expected
    response = client.post(reverse("archive:release_hold", args=[hold.pk]), {"note": "Klart"})
    assert response.status_code == expected
    assert LegalHold.objects.count() == 1
    hold.refresh_from_db()
    assert hold.is_active


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("operator", 403),
        ("manager_a", 403),
        ("communications_officer", 403),
        ("administrator", 403),
        ("manager_b", 404),
        ("outsider", 404),
    ],
)
def test_only_archivists_dispose(request, client, account_a, archive_decision, persona, expected):
    snapshot = _aged(stored_snapshot(account_a))
    client.force_login(request.getfixturevalue(persona))
    assert _dispose(client, snapshot, archive_decision).status_code == expected
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.STORED
    assert storages["archive"].exists(snapshot.file_name)
    overview = client.get(reverse("archive:gallring")).status_code
    assert overview == 403


def test_dispose_and_release_of_unknown_ids_are_404(client, archivist):
    client.force_login(archivist)
    assert client.post(reverse("archive:dispose", args=[2**31 + 5]), {}).status_code == 404
    assert client.post(reverse("archive:release_hold", args=[999999]), {}).status_code == 404
    assert client.get(reverse("archive:account_gallring", args=[999999])).status_code == 404


def test_the_command_lists_and_disposes_in_the_archivists_name(
    archivist, operator, account_a, archive_decision
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    due = _aged(stored_snapshot(account_a))
    kept = stored_snapshot(account_a, context=Snapshot.Context.MANUAL)  # stored today
    out = StringIO()
    call_command("dispose_archive", by=archivist.email, stdout=out)
    assert due.file_name in out.getvalue() and kept.file_name not in out.getvalue()
    assert not Disposal.objects.exists()  # listing only

    with pytest.raises(CommandError):
        call_command("dispose_archive", by=operator.email, apply=True, stdout=StringIO())
    assert not Disposal.objects.exists()

    call_command("dispose_archive", by=archivist.email, apply=True, stdout=out)
    disposal = Disposal.objects.get()
    assert disposal.snapshot == due and disposal.disposed_by == archivist
    assert not storages["archive"].exists(due.file_name)
    assert storages["archive"].exists(kept.file_name)


# --- the decision once used (its terms stay as they were) -----------------------------------


def _decision_form(decision, **changes):
    data = {
        "diarienummer": decision.diarienummer,
        "decided_on": decision.decided_on.isoformat(),
        "decided_by": decision.decided_by,
        "applies_to": decision.applies_to,
        "description": decision.description,
        "retention_months": str(decision.retention_months),
        "revoked_on": decision.revoked_on.isoformat() if decision.revoked_on else "",
    }
    data.update(changes)
    return data


def test_adding_and_changing_a_decision_in_the_admin_is_audited(client, communications_officer):
    client.force_login(communications_officer)
    added = client.post(
        reverse("admin:archive_gallringdecision_add"),
        {
            "diarienummer": "KS/2026:40",
            "decided_on": "2026-02-01",
            "decided_by": "Kommunstyrelsen",
            "applies_to": GallringDecision.Applies.ARCHIVE,
            "description": "Uttag efter två år.",
            "retention_months": "24",
            "revoked_on": "",
        },
    )
    assert added.status_code == 302
    decision = GallringDecision.objects.get(diarienummer="KS/2026:40")
    event = AuditEvent.objects.get(action="archive.gallringdecision_added")
    assert event.actor == communications_officer and event.target_id == str(decision.pk)
    assert event.details["retention_months"] == 24
    changed = client.post(
        reverse("admin:archive_gallringdecision_change", args=[decision.pk]),
        _decision_form(decision, retention_months="36"),
    )
    assert changed.status_code == 302
    decision.refresh_from_db()
    assert decision.retention_months == 36  # unused: its terms may still be corrected
    event = AuditEvent.objects.get(action="archive.gallringdecision_changed")
    assert event.actor == communications_officer and event.details["retention_months"] == 36


def test_a_used_decisions_terms_cannot_be_changed_only_revoked(
    client, communications_officer, archivist, account_a, archive_decision
):
    snapshot = _aged(stored_snapshot(account_a))
    gallring.dispose_snapshot(snapshot=snapshot, decision=archive_decision, by=archivist)
    client.force_login(communications_officer)
    url = reverse("admin:archive_gallringdecision_change", args=[archive_decision.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    # The terms are shown, not offered for editing; revocation is.
    assert set(form.fields) == {"revoked_on"}
    response = client.post(
        url,
        _decision_form(
            archive_decision,
            diarienummer="KS/2026:999",
            decided_on="2025-01-01",
            applies_to=GallringDecision.Applies.PLATFORM,
            description="Allt, genast.",
            retention_months="0",
            revoked_on="2026-09-15",
        ),
    )
    assert response.status_code == 302
    decision = GallringDecision.objects.get(pk=archive_decision.pk)
    assert decision.diarienummer == "KS/2026:13"
    assert decision.decided_on == dt.date(2026, 1, 10)
    assert decision.applies_to == GallringDecision.Applies.ARCHIVE
    assert decision.description == "Periodiska uttag av sociala medier, efter ett år."
    assert decision.retention_months == 12
    assert decision.revoked_on == dt.date(2026, 9, 15)
    event = AuditEvent.objects.get(action="archive.gallringdecision_changed")
    assert event.actor == communications_officer
    assert event.details["revoked_on"] == "2026-09-15"
    # Deleting it is refused too: the disposal points at it.
    delete = reverse("admin:archive_gallringdecision_delete", args=[archive_decision.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert GallringDecision.objects.filter(pk=archive_decision.pk).exists()


def test_a_decision_used_for_thinning_is_read_only_too(
    client, communications_officer, operator, account_a, platform_decision
):
    _captured(stored_snapshot(account_a), timezone.make_aware(dt.datetime(2026, 7, 1, 8)))
    client.force_login(operator)
    assert _thin(client, account_a, platform_decision).status_code == 302
    client.force_login(communications_officer)
    url = reverse("admin:archive_gallringdecision_change", args=[platform_decision.pk])
    assert set(client.get(url).context["adminform"].form.fields) == {"revoked_on"}
    client.post(url, _decision_form(platform_decision, retention_months="60"))
    platform_decision.refresh_from_db()
    assert platform_decision.retention_months == 0


def test_the_records_keep_the_decisions_terms_as_they_were_when_used(
    client, operator, archivist, account_a, platform_decision, archive_decision
):
    snapshot = _aged(stored_snapshot(account_a))
    disposal = gallring.dispose_snapshot(snapshot=snapshot, decision=archive_decision, by=archivist)
    _captured(
        stored_snapshot(account_a, context=Snapshot.Context.MANUAL),
        timezone.make_aware(dt.datetime(2026, 7, 1, 8)),
    )
    client.force_login(operator)
    assert _thin(client, account_a, platform_decision).status_code == 302
    thinning = PlatformThinning.objects.get()
    # Whatever happens to the decision's row later (a correction in the database, say),
    # the record that stays after the disposal names the terms it was made under.
    GallringDecision.objects.update(
        diarienummer=models.functions.Concat("diarienummer", models.Value("-ändrat")),
        retention_months=99,
        description="Ändrat i efterhand.",
    )
    disposal.refresh_from_db()
    thinning.refresh_from_db()
    assert disposal.decision_terms == {
        "diarienummer": "KS/2026:13",
        "decided_on": "2026-01-10",
        "decided_by": "Kommunstyrelsen",
        "applies_to": "archive",
        "description": "Periodiska uttag av sociala medier, efter ett år.",
        "retention_months": 12,
    }
    assert thinning.decision_terms["diarienummer"] == "KS/2026:12"
    assert thinning.decision_terms["retention_months"] == 0
