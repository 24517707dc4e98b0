"""A refused step shows what the person typed again, beside the reason (browser and admin)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from registry import services
from registry.models import FollowerNotice, SocialAccount

pytestmark = pytest.mark.django_db
S = SocialAccount.State
TEXT = "Kontot stängs den 1 mars eftersom vi når er bättre på kommunens centrala konto. Tack!"


def test_a_refused_rejection_keeps_the_reason(client, draft_a, manager_a):
    # A draft can't be sent back; the manager's reason stays on the page with why.
    client.force_login(manager_a)
    response = client.post(reverse("registry:reject", args=[draft_a.pk]), {"reason": TEXT})
    assert response.status_code == 400
    page = response.content.decode()
    assert TEXT in page and "Utkast" in page
    draft_a.refresh_from_db()
    assert draft_a.state == S.DRAFT and draft_a.rejection_reason == ""


def test_a_refused_closing_keeps_the_reason(client, account_a, manager_a):
    services.start_closing(
        account=account_a,
        by=manager_a,
        planned_on=timezone.localdate() + dt.timedelta(days=10),
        reason="Första skälet.",
    )
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:start_closing", args=[account_a.pk]),
        {"planned_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(), "reason": TEXT},
    )
    assert response.status_code == 400
    assert TEXT in response.content.decode()
    account_a.refresh_from_db()
    assert account_a.closing_reason == "Första skälet."


def test_a_refused_follower_notice_keeps_the_text(client, account_a, operator):
    client.force_login(operator)  # the account is active, not closing: refused
    response = client.post(
        reverse("registry:notice_add", args=[account_a.pk]),
        {
            "published_on": timezone.localdate().isoformat(),
            "text": TEXT,
            "has_reason": "on",
            "has_thanks": "on",
            "has_pointer": "on",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert TEXT in page and "när kontot avslutas" in page
    assert not FollowerNotice.objects.exists()


def test_a_refused_approval_keeps_the_comment(client, draft_a, manager_a):
    client.force_login(manager_a)
    response = client.post(reverse("registry:approve", args=[draft_a.pk]), {"comment": TEXT})
    assert response.status_code == 400
    assert TEXT in response.content.decode()
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.DRAFT


def test_a_refused_admin_rejection_keeps_the_reason(client, draft_a, communications_officer):
    client.force_login(communications_officer)
    response = client.post(
        reverse("admin:registry_socialaccount_changelist"),
        {"action": "reject", ACTION_CHECKBOX_NAME: [draft_a.pk], "apply": "1", "reason": TEXT},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert TEXT in page and 'name="reason"' in page
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.DRAFT
