"""Incoming items: due times, Bilaga 4 outcomes, signed replies, unpublishing, criticism and
the reminder chain owner → deputy / substitute → communications office (MOD-5 … MOD-7)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from moderation import services
from moderation.models import ClosedDay, IncomingItem, RegistrationDecision, RemovedPost
from registry.models import Substitute
from tests.factories import UserFactory
from tests.moderation.conftest import make_incoming, reason

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Stockholm")


def test_due_time_uses_the_calendar_and_closed_days(account_a, operator):
    friday = dt.datetime(2026, 6, 19, 16, 0, tzinfo=TZ)  # midsommarafton
    item = make_incoming(account_a, operator, received_at=friday)
    assert item.due_at == dt.datetime(2026, 6, 22, 23, 59, 59, tzinfo=TZ)
    ClosedDay.objects.create(date=dt.date(2026, 6, 22), description="Personaldag")
    later = make_incoming(account_a, operator, received_at=friday)
    assert later.due_at == dt.datetime(2026, 6, 23, 23, 59, 59, tzinfo=TZ)


def test_rule_length_is_a_setting(account_a, operator, settings):
    settings.MODERATION_RESPONSE_WORKDAYS = 2
    monday = dt.datetime(2026, 3, 16, 9, 0, tzinfo=TZ)
    assert make_incoming(account_a, operator, received_at=monday).due_at == dt.datetime(
        2026, 3, 18, 9, 0, tzinfo=TZ
    )


def close(client, item, **data):
    payload = {
        "outcome": "answered",
        "registration_decision": RegistrationDecision.PASSING,
        "reply": "",
        "signed_name": "",
        "signed_title": "",
        "signed_office": "",
    }
    payload.update(data)
    return client.post(reverse("moderation:incoming_close", args=[item.pk]), payload)


def test_answer_must_be_signed_with_name_title_and_office(client, account_a, operator):
    item = make_incoming(account_a, operator)
    client.force_login(operator)
    signature = {
        "signed_name": "Rasmus Redaktör",
        "signed_title": "Fritidsledare",
        "signed_office": "Kultur och fritid",
    }
    unsigned = {**signature, "signed_title": "", "signed_office": " "}
    response = close(client, item, reply="Simhallen öppnar kl 7.", **unsigned)
    assert response.status_code == 400
    errors = response.context["close_form"].errors
    assert errors["signed_title"] == ["Ange din titel i underskriften"]
    assert "signed_office" in errors and "signed_name" not in errors
    # The signature is entered once: its fields sign the reply.
    assert close(client, item, reply="Simhallen öppnar kl 7.", **signature).status_code == 302
    item.refresh_from_db()
    assert item.outcome == "answered" and item.first_response_at and item.met_rule()
    assert item.reply == (
        "Simhallen öppnar kl 7.\n\n/Rasmus Redaktör, Fritidsledare, Kultur och fritid"
    )


def test_a_reply_already_signed_is_kept_as_published(client, account_a, operator):
    item = make_incoming(account_a, operator)
    client.force_login(operator)
    reply = "Simhallen öppnar kl 7.\n/Rasmus Redaktör, Fritidsledare, Kultur och fritid"
    signature = {
        "signed_name": "Rasmus Redaktör",
        "signed_title": "Fritidsledare",
        "signed_office": "Kultur och fritid",
    }
    assert close(client, item, reply=reply, **signature).status_code == 302
    item.refresh_from_db()
    assert item.reply == reply


def test_service_refuses_an_unsigned_answer_too(account_a, operator):
    item = make_incoming(account_a, operator)
    with pytest.raises(ValueError):
        services.close_incoming(
            by=operator, item=item, outcome="answered", registration_decision="passing", reply="Hej"
        )


def test_register_outcome_requires_a_diarienummer(client, account_a, operator):
    item = make_incoming(account_a, operator)
    client.force_login(operator)
    response = close(
        client,
        item,
        outcome="registered",
        registration_decision=RegistrationDecision.WILL_BECOME_CASE,
    )
    assert "diarienummer" in response.context["close_form"].errors
    close(
        client,
        item,
        outcome="registered",
        diarienummer="KS 2026/44",
        registration_decision=RegistrationDecision.WILL_BECOME_CASE,
    )
    item.refresh_from_db()
    assert item.outcome == "registered" and item.diarienummer == "KS 2026/44"


def test_forward_and_refer_political(client, account_a, operator):
    client.force_login(operator)
    question = make_incoming(account_a, operator)
    assert close(client, question, outcome="forwarded").status_code == 400
    close(client, question, outcome="forwarded", forwarded_to="Simhallens föreståndare")
    political = make_incoming(account_a, operator, kind=IncomingItem.Kind.POLITICAL)
    close(client, political, outcome="referred")
    assert set(IncomingItem.objects.values_list("outcome", flat=True)) == {"forwarded", "referred"}


def test_closing_is_refused_to_other_roles(
    client, account_a, operator, archivist, operator_b, outsider
):
    item = make_incoming(account_a, operator)
    client.force_login(archivist)
    assert close(client, item, outcome="referred").status_code == 403
    for user in (operator_b, outsider):
        client.force_login(user)
        assert close(client, item, outcome="referred").status_code == 404
    item.refresh_from_db()
    assert item.is_open


def test_unpublishing_creates_a_prefilled_removal_and_closes_the_item(client, account_a, operator):
    item = make_incoming(
        account_a,
        operator,
        kind=IncomingItem.Kind.COMMENT,
        text="Reklam för min firma",
        sender_name="Firma AB",
    )
    client.force_login(operator)
    url = reverse("moderation:removal_create") + f"?incoming={item.pk}"
    form = client.get(url).context["form"]
    assert form.initial["content"] == "Reklam för min firma"
    assert form.initial["sender_name"] == "Firma AB"
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.update(
        removed_at=form.fields["removed_at"].initial,
        reason=reason("krankande").pk,
        motivation="Kränkande",
        registration_decision="passing",
        incoming=item.pk,
    )
    response = client.post(reverse("moderation:removal_create"), data)
    record = RemovedPost.objects.get()
    assert response["Location"] == record.get_absolute_url()
    assert record.source_incoming == item and record.content == "Reklam för min firma"
    item.refresh_from_db()
    assert item.outcome == "unpublished" and item.closed_by == operator


def test_criticism_notifies_the_manager_and_when_chosen_the_office(
    account_a,
    operator,
    manager_a,
    manager_b,
    communications_officer,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        make_incoming(
            account_a,
            operator,
            kind=IncomingItem.Kind.CRITICISM,
            text="Kommunen har fel öppettider på webben",
        )
    assert [m.to for m in mail.outbox] == [[manager_a.email]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_incoming(
            account_a,
            operator,
            kind=IncomingItem.Kind.CRITICISM,
            text="Fel igen",
            notify_communications=True,
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [manager_a.email, communications_officer.email]
    )


def test_log_incoming_through_the_page(client, account_a, operator):
    client.force_login(operator)
    response = client.post(
        reverse("moderation:incoming_create"),
        {
            "account": account_a.pk,
            "received_at": "2026-03-16T09:00",
            "kind": "question",
            "text": "Har ni lovaktiviteter?",
        },
    )
    item = IncomingItem.objects.get()
    assert response["Location"] == item.get_absolute_url()
    assert item.due_at == dt.datetime(2026, 3, 17, 9, 0, tzinfo=TZ)
    assert item.handler == operator


def test_acknowledging_stops_the_clock(client, account_a, operator):
    item = make_incoming(account_a, operator, received_at=dt.datetime(2026, 3, 16, 9, 0, tzinfo=TZ))
    client.force_login(operator)
    with time_machine.travel(dt.datetime(2026, 3, 16, 10, 0, tzinfo=TZ)):
        client.post(
            reverse("moderation:incoming_acknowledge", args=[item.pk]),
            {"promised_answer": "Vi svarar på torsdag"},
        )
    item.refresh_from_db()
    assert item.met_rule() and item.promised_answer == "Vi svarar på torsdag"
    assert not item.is_overdue(dt.datetime(2026, 3, 20, tzinfo=TZ))


def test_incoming_list_has_constant_queries(
    client, account_a, operator, django_assert_max_num_queries
):
    make_incoming(account_a, operator)
    client.force_login(operator)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("moderation:incoming_list"), {"state": "all"})
    for _ in range(10):
        make_incoming(account_a, operator)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("moderation:incoming_list"), {"state": "all"}).status_code == 200


def test_overdue_filter(client, account_a, operator):
    old = make_incoming(account_a, operator, received_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, tzinfo=TZ)):
        fresh = make_incoming(account_a, operator)
    client.force_login(operator)
    with time_machine.travel(dt.datetime(2026, 3, 4, 9, 0, tzinfo=TZ)):
        page = client.get(reverse("moderation:incoming_list"), {"state": "overdue"})
    items = list(page.context["page"].object_list)
    assert old in items and fresh in items
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 0, tzinfo=TZ)):
        page = client.get(reverse("moderation:incoming_list"), {"state": "overdue"})
    assert list(page.context["page"].object_list) == []


# --- reminders ----------------------------------------------------------------------------


def _reminded(django_capture_on_commit_callbacks, when):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.send_overdue_reminders(when)
    return sent, sorted(address for m in mail.outbox for address in m.to)


def test_reminders_go_owner_then_deputy_then_communications(
    account_a, operator, deputy, communications_officer, django_capture_on_commit_callbacks
):
    item = make_incoming(
        account_a, operator, received_at=dt.datetime(2026, 3, 12, 9, 0, tzinfo=TZ)
    )  # Thursday
    assert item.due_at == dt.datetime(2026, 3, 13, 9, 0, tzinfo=TZ)
    before = dt.datetime(2026, 3, 13, 8, 0, tzinfo=TZ)
    assert _reminded(django_capture_on_commit_callbacks, before) == (0, [])
    friday = dt.datetime(2026, 3, 13, 10, 0, tzinfo=TZ)
    assert _reminded(django_capture_on_commit_callbacks, friday) == (1, [operator.email])
    # Safe to run twice: the same step is not sent again.
    assert _reminded(django_capture_on_commit_callbacks, friday) == (0, [])
    # The weekend does not count: Monday 10:00 is one working day later.
    monday = dt.datetime(2026, 3, 16, 10, 0, tzinfo=TZ)
    assert _reminded(django_capture_on_commit_callbacks, monday) == (1, [deputy.email])
    tuesday = dt.datetime(2026, 3, 17, 10, 0, tzinfo=TZ)
    assert _reminded(django_capture_on_commit_callbacks, tuesday) == (
        1,
        [communications_officer.email],
    )
    item.refresh_from_db()
    assert item.reminder_level == 3
    assert _reminded(django_capture_on_commit_callbacks, tuesday) == (0, [])


def test_an_absent_owners_substitute_is_reminded_instead(
    account_a, operator, django_capture_on_commit_callbacks
):
    stand_in = UserFactory(roles=["redaktor"])
    Substitute.objects.create(
        account=account_a,
        user=stand_in,
        stands_in_for=operator,
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 3, 31),
    )
    make_incoming(account_a, operator, received_at=dt.datetime(2026, 3, 12, 9, 0, tzinfo=TZ))
    friday = dt.datetime(2026, 3, 13, 10, 0, tzinfo=TZ)
    assert _reminded(django_capture_on_commit_callbacks, friday) == (1, [stand_in.email])


def test_answered_items_are_not_reminded(account_a, operator, django_capture_on_commit_callbacks):
    item = make_incoming(account_a, operator, received_at=dt.datetime(2026, 3, 12, 9, 0, tzinfo=TZ))
    services.close_incoming(
        by=operator, item=item, outcome="referred", registration_decision="passing"
    )
    friday = dt.datetime(2026, 3, 13, 10, 0, tzinfo=TZ)
    assert _reminded(django_capture_on_commit_callbacks, friday) == (0, [])
