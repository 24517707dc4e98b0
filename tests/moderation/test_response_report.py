"""MOD-5, "Frekvenser och svarstider": the share of questions answered in time counts the
questions still open past their due time, and every text names the configured rule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.template import Context, Template
from django.urls import reverse

from moderation import services
from moderation.models import IncomingItem
from tests.moderation.conftest import make_incoming

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Stockholm")
MONDAY = dt.datetime(2026, 3, 16, 9, 0, tzinfo=TZ)
SIGN = "\n/Rasmus Redaktör, Fritidsledare, Kultur och fritid"


def _answer(item: IncomingItem, by, at: dt.datetime) -> None:
    services.close_incoming(
        by=by,
        item=item,
        outcome="answered",
        registration_decision="passing",
        reply="Svar" + SIGN,
        signed_name="Rasmus Redaktör",
        signed_title="Fritidsledare",
        signed_office="Kultur och fritid",
    )
    IncomingItem.objects.filter(pk=item.pk).update(first_response_at=at)


@pytest.fixture
def questions(account_a, operator):
    on_time = make_incoming(account_a, operator, received_at=MONDAY)
    late = make_incoming(account_a, operator, received_at=MONDAY)
    _answer(on_time, operator, MONDAY + dt.timedelta(hours=2))
    _answer(late, operator, MONDAY + dt.timedelta(hours=30))
    # Still open, past its due time (Tuesday 09:00): not in time.
    make_incoming(account_a, operator, received_at=MONDAY)
    # Still open and not yet due on Tuesday 08:00: undecided, in no share.
    make_incoming(account_a, operator, received_at=MONDAY + dt.timedelta(hours=20))


def test_open_questions_past_their_due_time_count_against_the_share(
    client, questions, communications_officer
):
    client.force_login(communications_officer)
    with time_machine.travel(dt.datetime(2026, 3, 17, 12, 0, tzinfo=TZ)):
        response = client.get(reverse("moderation:report"))
        csv = client.get(reverse("moderation:report"), {"format": "csv"})
    row = next(r for r in response.context["responses"] if r.department == "Fritidsfabriken")
    assert (row.items, row.answered, row.within_rule, row.overdue) == (4, 2, 1, 1)
    assert round(row.share_within, 1) == 33.3
    assert "Fritidsfabriken;4;2;1;1;33.3;16.0" in csv.content.decode("utf-8-sig")


def test_a_department_with_only_overdue_questions_has_no_share_in_time(
    client, account_a, operator, communications_officer
):
    make_incoming(account_a, operator, received_at=MONDAY)
    client.force_login(communications_officer)
    with time_machine.travel(dt.datetime(2026, 3, 20, 12, 0, tzinfo=TZ)):
        response = client.get(reverse("moderation:report"))
    (row,) = response.context["responses"]
    assert (row.items, row.answered, row.overdue, row.share_within) == (1, 0, 1, 0.0)


@pytest.mark.parametrize(
    ("workdays", "words"), [(1, "inom 1 arbetsdag"), (2, "inom 2 arbetsdagar")]
)
def test_texts_name_the_configured_rule(
    client,
    settings,
    workdays,
    words,
    account_a,
    operator,
    communications_officer,
    django_capture_on_commit_callbacks,
):
    settings.MODERATION_RESPONSE_WORKDAYS = workdays
    client.force_login(communications_officer)
    report = client.get(reverse("moderation:report")).content.decode()
    assert words in report and "inom en arbetsdag" not in report
    form = client.get(reverse("moderation:incoming_create")).content.decode()
    assert words in form and "inom en arbetsdag" not in form
    item = make_incoming(account_a, operator, received_at=MONDAY)
    panel = Template("{% load moderation_tags %}{% moderation_panels user %}").render(
        Context({"user": operator})
    )
    assert words in panel and "inom en arbetsdag" not in panel
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_overdue_reminders(item.due_at + dt.timedelta(hours=1))
    assert mail.outbox and words in mail.outbox[0].body
