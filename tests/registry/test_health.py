"""Health rules, with time travel, and the daily reminder task (safe to run twice)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from registry import services
from registry.health import account_health
from registry.models import CredentialHolder, SocialAccount
from registry.tasks import send_health_reminders

pytestmark = pytest.mark.django_db

TZ = dt.timezone(dt.timedelta(hours=1))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday


def codes(account):
    account = SocialAccount.objects.get(pk=account.pk)
    return {i.code for i in account_health(account)}


@pytest.fixture
def healthy(account_a, operator, deputy):
    """account_a made healthy at START: two holders, terms reviewed, active since START."""
    CredentialHolder.objects.create(account=account_a, user=operator)
    CredentialHolder.objects.create(account=account_a, user=deputy)
    SocialAccount.objects.filter(pk=account_a.pk).update(
        activated_at=START,
        terms_reviewed_by=operator,
        terms_reviewed_on=START.date(),
        posts_per_week=2,
    )
    return SocialAccount.objects.get(pk=account_a.pk)


def enter(account, by, monday, posts):
    services.record_activity(account=account, by=by, week_start=monday, posts=posts)


def test_a_new_healthy_account_has_no_issues(healthy):
    with time_machine.travel(START + dt.timedelta(days=3)):
        assert codes(healthy) == set()


def test_people_rules(healthy, operator, deputy):
    with time_machine.travel(START + dt.timedelta(days=1)):
        healthy.deputies.clear()
        assert "no_deputy" in codes(healthy)
        healthy.deputies.add(deputy)
        deputy.is_active = False
        deputy.save()
        assert {"deputy_inactive", "few_credential_holders"} <= codes(healthy)
        operator.is_active = False
        operator.save()
        assert "owner_inactive" in codes(healthy)


def test_terms_not_reviewed(healthy):
    SocialAccount.objects.filter(pk=healthy.pk).update(terms_reviewed_by=None)
    with time_machine.travel(START + dt.timedelta(days=1)):
        assert "terms_not_reviewed" in codes(healthy)


def test_posting_below_target_for_several_weeks(healthy, operator):
    with time_machine.travel(START + dt.timedelta(weeks=3, days=2)):
        # Weeks 1-3 after START are complete; two of them below target: not yet.
        enter(healthy, operator, START.date(), 1)
        enter(healthy, operator, START.date() + dt.timedelta(weeks=1), 3)
        enter(healthy, operator, START.date() + dt.timedelta(weeks=2), 0)
        assert "below_target" not in codes(healthy)
        enter(healthy, operator, START.date() + dt.timedelta(weeks=1), 1)
        assert "below_target" in codes(healthy)
        assert "inactive" not in codes(healthy)


def test_no_activity_for_eight_weeks_is_a_closing_candidate(healthy, operator):
    with time_machine.travel(START + dt.timedelta(days=2)):
        enter(healthy, operator, START.date(), 4)
    with time_machine.travel(START + dt.timedelta(weeks=7, days=2)):
        assert "inactive" not in codes(healthy)  # the post in week 0 is within 8 weeks
    with time_machine.travel(START + dt.timedelta(weeks=8, days=2)):
        found = codes(healthy)
        assert "inactive" in found and "below_target" in found
        enter(healthy, operator, START.date() + dt.timedelta(weeks=8), 1)
        assert "inactive" not in codes(healthy)


def test_only_active_accounts_have_health_issues(healthy):
    SocialAccount.objects.filter(pk=healthy.pk).update(state=SocialAccount.State.DRAFT)
    with time_machine.travel(START + dt.timedelta(weeks=20)):
        assert codes(healthy) == set()


def test_daily_reminder_to_owner_and_office_is_sent_once(
    healthy, operator, deputy, communications_officer, account_b, django_capture_on_commit_callbacks
):
    with time_machine.travel(START + dt.timedelta(weeks=9)):
        with django_capture_on_commit_callbacks(execute=True):
            reminded = send_health_reminders()
        # account_a: inactive; account_b: no deputy, too few holders, terms not reviewed.
        assert reminded == 2
        to = sorted(m.to[0] for m in mail.outbox)
        assert operator.email in to and deputy.email in to
        assert account_b.owner.email in to
        digest = [m for m in mail.outbox if m.to == [communications_officer.email]]
        assert len(digest) == 1 and "Fritidsfabriken" in digest[0].body
        assert "Ingen aktivitet på 8 veckor" in digest[0].body
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            assert send_health_reminders() == 0
        assert len(mail.outbox) == sent
    with (
        time_machine.travel(START + dt.timedelta(weeks=9, days=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert send_health_reminders() == 2


def test_the_reminder_is_scheduled_daily_in_celery_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="registry.tasks.send_health_reminders")
    assert task.enabled and task.crontab.hour == "7" and task.crontab.day_of_week == "*"


def test_health_dashboard_lists_unhealthy_accounts_in_scope(
    client, healthy, account_b, manager_a, communications_officer
):
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        client.force_login(manager_a)
        page = client.get("/register/halsa/").content.decode()
        assert "Hemtjänsten Nykvarn" not in page  # department B: out of scope
        client.force_login(communications_officer)
        page = client.get("/register/halsa/").content.decode()
        assert "Hemtjänsten Nykvarn" in page and "Ingen ställföreträdande" in page
