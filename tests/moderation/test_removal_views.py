"""Logging, correcting and registering removals through the pages (MOD-1 … MOD-4)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from moderation.models import Evidence, RegistrationDecision, RemovedPost
from tests.moderation.conftest import make_removal, reason

pytestmark = pytest.mark.django_db


def form_data(account, **extra):
    now = timezone.localtime()
    data = {
        "account": account.pk,
        "kind": "comment",
        "posted_at": now.strftime("%Y-%m-%dT%H:%M"),
        "removed_at": now.strftime("%Y-%m-%dT%H:%M"),
        "reason": reason("hets").pk,
        "motivation": "Hets mot folkgrupp",
        "content": "Hatisk kommentar",
        "context": "Inlägget om nationaldagen",
        "sender_name": "Troll Trollsson",
        "registration_decision": RegistrationDecision.SPECIAL_INTEREST,
    }
    data.update(extra)
    return data


def test_operator_logs_a_removal_with_evidence(client, account_a, operator):
    client.force_login(operator)
    png = b"\x89PNG\r\n\x1a\npng-bytes"
    shot = SimpleUploadedFile("bild.png", png, content_type="image/png")
    response = client.post(
        reverse("moderation:removal_create"), {**form_data(account_a), "evidence": [shot]}
    )
    record = RemovedPost.objects.get()
    assert response.status_code == 302 and response["Location"] == record.get_absolute_url()
    assert record.removed_by == operator and record.sender_name == "Troll Trollsson"
    assert Evidence.objects.get(removed_post=record).size == len(png)
    assert AuditEvent.objects.filter(action="moderation.removal_logged").exists()
    page = client.get(record.get_absolute_url()).content.decode()
    assert "Hatisk kommentar" in page and "Väntar på diarieföring" in page


def test_removal_create_refuses_roles_that_may_not_log(
    client, account_a, archivist, outsider, operator_b, manager_b
):
    for user in (archivist, outsider):
        client.force_login(user)
        assert (
            client.post(reverse("moderation:removal_create"), form_data(account_a)).status_code
            == 403
        )
    for user in (operator_b, manager_b):
        client.force_login(user)
        response = client.post(reverse("moderation:removal_create"), form_data(account_a))
        # account_a is not even offered to them: the form refuses the choice.
        assert response.status_code == 200 and "account" in response.context["form"].errors
    assert not RemovedPost.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("moderation:removal_list"))
    assert response.status_code == 302 and "/konto/login/" in response["Location"]


def test_content_or_screenshot_is_required_unless_the_reason_needs_no_preserving(
    client, account_a, operator
):
    client.force_login(operator)
    response = client.post(reverse("moderation:removal_create"), form_data(account_a, content=""))
    assert "content" in response.context["form"].errors
    response = client.post(
        reverse("moderation:removal_create"),
        form_data(
            account_a,
            content="",
            reason=reason("reklam").pk,
            registration_decision=RegistrationDecision.PASSING,
        ),
    )
    assert response.status_code == 302


def test_confidential_content_must_be_registered(client, account_a, operator):
    client.force_login(operator)
    response = client.post(
        reverse("moderation:removal_create"),
        form_data(account_a, confidential="on", registration_decision=RegistrationDecision.PASSING),
    )
    assert "registration_decision" in response.context["form"].errors


def test_detail_of_another_departments_record_is_404(client, account_b, operator_b, operator):
    record = make_removal(account_b, operator_b)
    client.force_login(operator)
    assert client.get(record.get_absolute_url()).status_code == 404


def test_correction_through_the_page_appends_a_record(client, account_a, operator):
    record = make_removal(account_a, operator, content="Fel")
    client.force_login(operator)
    url = reverse("moderation:removal_correct", args=[record.pk])
    assert client.get(url).status_code == 200
    data = form_data(account_a, content="Rätt", correction_note="Felkopierat")
    data.pop("account")
    response = client.post(url, data)
    new = RemovedPost.objects.get(corrects=record)
    assert response["Location"] == new.get_absolute_url()
    record.refresh_from_db()
    assert record.content == "Fel" and new.content == "Rätt"
    assert "Den här posten är rättad" in client.get(record.get_absolute_url()).content.decode()


def test_register_is_post_only_and_needs_a_diarienummer(client, account_a, operator, archivist):
    record = make_removal(
        account_a, operator, registration_decision=RegistrationDecision.LEADS_TO_ACTION
    )
    url = reverse("moderation:removal_register", args=[record.pk])
    client.force_login(operator)
    assert client.get(url).status_code == 405
    bad = client.post(url, {"diarienummer": "", "registered_on": "2026-01-10"})
    # The form comes back with its error and the date the user entered; nothing is saved.
    assert bad.status_code == 400
    assert 'value="2026-01-10"' in bad.content.decode()
    assert RemovedPost.objects.pending_registration().count() == 1
    client.force_login(archivist)
    assert (
        client.post(
            url, {"diarienummer": "KS 2026/1", "registered_on": timezone.localdate()}
        ).status_code
        == 403
    )
    client.force_login(operator)
    client.post(url, {"diarienummer": "KS 2026/12", "registered_on": timezone.localdate()})
    assert not RemovedPost.objects.pending_registration().exists()
    assert record.current_registration.diarienummer == "KS 2026/12"


def test_a_correction_shares_the_hand_off_of_its_original(account_a, operator):
    from moderation import services

    record = make_removal(
        account_a, operator, registration_decision=RegistrationDecision.WILL_BECOME_CASE
    )
    services.register_removal(
        by=operator, record=record, diarienummer="KS 2026/3", registered_on=timezone.localdate()
    )
    new = services.correct_removal(
        by=operator,
        record=record,
        correction_note="stavning",
        changes={"motivation": "Rättad motivering"},
    )
    assert new.current_registration.diarienummer == "KS 2026/3"
    assert not RemovedPost.objects.pending_registration().exists()


def test_removal_list_has_constant_queries(
    client, account_a, operator, django_assert_max_num_queries
):
    for _ in range(3):
        make_removal(account_a, operator)
    client.force_login(operator)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("moderation:removal_list"))
    for _ in range(12):
        make_removal(account_a, operator)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("moderation:removal_list"))
    assert response.status_code == 200


def test_handoff_list_shows_pending_records(client, account_a, operator, secret_record):
    client.force_login(operator)
    page = client.get(reverse("moderation:handoffs")).content.decode()
    assert f">{secret_record.position}</a>" in page


def test_state_changing_views_refuse_get(client, account_a, operator):
    from tests.moderation.conftest import make_incoming

    item = make_incoming(account_a, operator)
    client.force_login(operator)
    for name in ("incoming_acknowledge", "incoming_close"):
        assert client.get(reverse(f"moderation:{name}", args=[item.pk])).status_code == 405


def test_correction_is_refused_to_roles_that_may_not_log_or_read(
    client, account_a, operator, archivist, administrator, secret_record, operator_b
):
    url = reverse("moderation:removal_correct", args=[secret_record.pk])
    client.force_login(archivist)
    assert client.post(url, {"correction_note": "x"}).status_code == 403
    # Administrators may log, but can't read this confidential record, so can't correct it.
    client.force_login(administrator)
    assert client.get(url).status_code == 403
    client.force_login(operator_b)
    assert client.get(url).status_code == 404
    assert not RemovedPost.objects.filter(corrects=secret_record).exists()


def test_incoming_create_is_refused_to_roles_that_do_not_handle_items(
    client, account_a, archivist, outsider
):
    for user in (archivist, outsider):
        client.force_login(user)
        response = client.post(
            reverse("moderation:incoming_create"),
            {
                "account": account_a.pk,
                "received_at": "2026-03-16T09:00",
                "kind": "question",
                "text": "Fråga",
            },
        )
        assert response.status_code == 403


def test_handoff_list_has_constant_queries(
    client, account_a, operator, django_assert_max_num_queries
):
    def pending():
        make_removal(account_a, operator, registration_decision=RegistrationDecision.CONFIDENTIAL)

    pending()
    client.force_login(operator)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("moderation:handoffs"))
    for _ in range(8):
        pending()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("moderation:handoffs"))
    assert len(response.context["records"]) == 9


def test_pages_are_available_in_english(client, account_a, operator):
    record = make_removal(account_a, operator)
    client.force_login(operator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(record.get_absolute_url()).content.decode()
    assert "Removed post" in body and "Reason" in body
