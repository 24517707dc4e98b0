"""Everything a removal record depends on is covered by its hash (issue 9, "Every change
is detected"; MOD-1, MOD-2, MOD-4): the reason's wording and legal reference as they were,
the correction note, the times, the links between corrections, the diarienummer and the
evidence files' metadata. Each change below is made directly in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from moderation import services
from moderation.models import ChainHead, Evidence, Registration, RemovalReason, RemovedPost
from tests.moderation.conftest import make_removal, tamper

pytestmark = pytest.mark.django_db


def _problems() -> str:
    report = services.verify_chain()
    assert not report.ok
    return report.message


def test_the_record_keeps_the_reasons_wording_as_it_was(client, account_a, operator):
    record = make_removal(account_a, operator, code="upphovsratt")
    assert record.reason_label == "Upphovsrättsintrång eller intrång i andra rättigheter"
    assert record.reason_legal_reference == "5 kap. upphovsrättslagen (1960:729)"
    # The reason is reworded later (past the admin and the PostgreSQL guard).
    tamper(
        "UPDATE moderation_removalreason SET label = %s, legal_reference = %s WHERE code = %s",
        ["Något annat", "Ingen lag", "upphovsratt"],
    )
    assert services.verify_chain().ok
    client.force_login(operator)
    page = client.get(record.get_absolute_url())
    assert page.status_code == 200
    assert "Upphovsrättsintrång eller intrång i andra rättigheter (5 kap. upphovsrättslagen" in (
        page.content.decode()
    )
    assert "Något annat" not in page.content.decode()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason_label", "Ett mildare skäl"),
        ("reason_legal_reference", "Ingen lag alls"),
        ("created_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
        ("removed_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
        ("posted_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
        ("removed_by_id", None),
    ],
)
def test_a_changed_field_of_a_record_is_reported(account_a, operator, manager_a, column, value):
    record = make_removal(account_a, operator)
    if column == "removed_by_id":
        value = manager_a.pk
    tamper(f"UPDATE moderation_removedpost SET {column} = %s WHERE id = %s", [value, record.pk])  # noqa: S608
    assert f"Post {record.pk} (löpnummer 1) har ändrats" in _problems()


def test_a_changed_correction_note_or_link_is_reported(account_a, operator):
    first = make_removal(account_a, operator, content="Fel text")
    other = make_removal(account_a, operator)
    fixed = services.correct_removal(
        by=operator, record=first, correction_note="Texten var felkopierad", changes={}
    )
    assert services.verify_chain().ok
    tamper(
        "UPDATE moderation_removedpost SET correction_note = %s WHERE id = %s",
        ["Inget viktigt", fixed.pk],
    )
    assert f"Post {fixed.pk} (löpnummer 3) har ändrats" in _problems()
    tamper(
        "UPDATE moderation_removedpost SET correction_note = %s, original_id = %s WHERE id = %s",
        ["Texten var felkopierad", other.pk, fixed.pk],
    )
    assert f"Post {fixed.pk} (löpnummer 3) har ändrats" in _problems()
    tamper(
        "UPDATE moderation_removedpost SET original_id = %s, corrects_id = %s WHERE id = %s",
        [first.pk, other.pk, fixed.pk],
    )
    assert f"Post {fixed.pk} (löpnummer 3) har ändrats" in _problems()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("original_name", "oskyldig.png"),
        ("size", 1),
        ("content_type", "application/pdf"),
        ("file", "moderation/evidence/00/annan.png"),
        ("uploaded_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_changed_evidence_metadata_is_reported(account_a, operator, column, value):
    shot = SimpleUploadedFile("skarmdump.png", b"\x89PNG\r\n\x1a\n bytes", "image/png")
    record = make_removal(account_a, operator, evidence=[shot])
    evidence = Evidence.objects.get(removed_post=record)
    tamper(f"UPDATE moderation_evidence SET {column} = %s WHERE id = %s", [value, evidence.pk])  # noqa: S608
    assert f"Post {record.pk} (löpnummer 1) har ändrats" in _problems()


def _registered(account, operator, communications_officer):
    record = make_removal(account, operator, registration_decision="action")
    registration = services.register_removal(
        by=communications_officer,
        record=record,
        diarienummer="KS 2026/117",
        registered_on=dt.date(2026, 3, 2),
    )
    return record, registration


def test_registrations_form_a_keyed_chain_of_their_own(account_a, operator, communications_officer):
    record, registration = _registered(account_a, operator, communications_officer)
    second, later = _registered(account_a, operator, communications_officer)
    assert (registration.position, later.position) == (1, 2)
    assert later.previous_hash == registration.record_hash
    head = ChainHead.objects.get(kind=ChainHead.Kind.REGISTRATIONS)
    assert (head.position, head.last_hash) == (2, later.record_hash)
    # The removals' löpnummer run on without gaps.
    assert list(RemovedPost.objects.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
    ]
    assert services.verify_chain().ok


def test_a_changed_diarienummer_is_reported(account_a, operator, communications_officer):
    _record, registration = _registered(account_a, operator, communications_officer)
    tamper(
        "UPDATE moderation_registration SET diarienummer = %s WHERE id = %s",
        ["KS 2026/999", registration.pk],
    )
    assert (
        f"Diarieföring {registration.pk} (löpnummer 1 i diarieföringarnas kedja) har ändrats"
        in (_problems())
    )


def test_a_removed_registration_is_reported(account_a, operator, communications_officer):
    _record, registration = _registered(account_a, operator, communications_officer)
    tamper("DELETE FROM moderation_registration WHERE id = %s", [registration.pk])
    assert "Kedjan (Diarieföringar) slutar vid löpnummer 0 men kedjans huvud anger 1" in (
        _problems()
    )


def test_a_forged_registration_is_reported(account_a, operator, communications_officer):
    record, registration = _registered(account_a, operator, communications_officer)
    other = make_removal(account_a, operator, registration_decision="action")
    forged = Registration.objects.select_related("chain", "removed_post").get(pk=registration.pk)
    forged.pk = None
    forged.removed_post = other
    forged.position = 2
    forged.previous_hash = registration.record_hash
    forged.key_id = "sha256"
    forged.record_hash = forged.compute_hash()
    forged.save(force_insert=True)
    tamper(
        "UPDATE moderation_chainhead SET position = 2, last_hash = %s WHERE kind = %s",
        [forged.record_hash, ChainHead.Kind.REGISTRATIONS],
    )
    assert f"Diarieföring {forged.pk} (löpnummer 2 i diarieföringarnas kedja) är förfalskad" in (
        _problems()
    )


def test_a_registration_moved_to_another_record_is_reported(
    account_a, operator, communications_officer
):
    _record, registration = _registered(account_a, operator, communications_officer)
    other = make_removal(account_a, operator)
    tamper(
        "UPDATE moderation_registration SET removed_post_id = %s WHERE id = %s",
        [other.pk, registration.pk],
    )
    assert f"Diarieföring {registration.pk} " in _problems()


def test_a_used_reasons_wording_is_read_only_in_the_admin(admin_client, account_a, operator):
    reason = RemovalReason.objects.get(code="hets")
    url = reverse("admin:moderation_removalreason_change", args=[reason.pk])
    unused = admin_client.get(url)
    assert unused.status_code == 200 and 'name="label"' in unused.content.decode()
    make_removal(account_a, operator, code="hets")
    used = admin_client.get(url)
    assert used.status_code == 200 and 'name="label"' not in used.content.decode()
    response = admin_client.post(
        url,
        {"label": "Nytt", "code": "hets", "legal_reference": "", "position": 5, "active": "on"},
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.label == "Uppvigling, hets mot folkgrupp" and reason.position == 5
    delete = admin_client.get(reverse("admin:moderation_removalreason_delete", args=[reason.pk]))
    assert delete.status_code == 403
