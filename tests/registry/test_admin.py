"""The communications office's admin: filters, search, inlines, transitions as actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from registry import services
from registry.models import SocialAccount

pytestmark = pytest.mark.django_db
S = SocialAccount.State
CHANGELIST = "admin:registry_socialaccount_changelist"


def test_changelist_filters_and_search(client, communications_officer, account_a, account_b):
    client.force_login(communications_officer)
    url = reverse(CHANGELIST)
    assert client.get(url).status_code == 200
    found = client.get(url, {"q": "Hemtjänsten"}).context["cl"].result_list
    assert list(found) == [account_b]
    found = client.get(url, {"platform__id__exact": account_a.platform_id}).context["cl"]
    assert list(found.result_list) == [account_a]
    assert not client.get(url, {"state__exact": "draft"}).context["cl"].result_list


def test_state_is_read_only_and_accounts_are_not_deleted(client, communications_officer, account_a):
    client.force_login(communications_officer)
    response = client.get(reverse("admin:registry_socialaccount_change", args=[account_a.pk]))
    assert response.status_code == 200
    assert 'name="state"' not in response.content.decode()
    assert (
        client.get(reverse("admin:registry_socialaccount_delete", args=[account_a.pk])).status_code
        == 403
    )


def test_admin_is_not_for_managers(client, manager_a):
    client.force_login(manager_a)
    assert client.get(reverse(CHANGELIST)).status_code == 302


def test_transitions_as_admin_actions(client, communications_officer, draft_a, operator):
    services.submit(account=draft_a, by=operator)
    client.force_login(communications_officer)
    client.post(
        reverse(CHANGELIST), {"action": "approve_as_manager", ACTION_CHECKBOX_NAME: [draft_a.pk]}
    )
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.MANAGER_APPROVED
    # Activation needs the agreed channel strategy first.
    client.post(reverse(CHANGELIST), {"action": "activate", ACTION_CHECKBOX_NAME: [draft_a.pk]})
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.MANAGER_APPROVED
    SocialAccount.objects.filter(pk=draft_a.pk).update(channel_strategy="Plan")
    client.post(reverse(CHANGELIST), {"action": "activate", ACTION_CHECKBOX_NAME: [draft_a.pk]})
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.ACTIVE


def test_reject_action_asks_for_a_reason(client, communications_officer, draft_a, operator):
    services.submit(account=draft_a, by=operator)
    client.force_login(communications_officer)
    response = client.post(
        reverse(CHANGELIST), {"action": "reject", ACTION_CHECKBOX_NAME: [draft_a.pk]}
    )
    assert response.status_code == 200 and "Skäl" in response.content.decode()
    client.post(
        reverse(CHANGELIST),
        {
            "action": "reject",
            ACTION_CHECKBOX_NAME: [draft_a.pk],
            "apply": "1",
            "reason": "Komplettera risker.",
        },
    )
    draft_a.refresh_from_db()
    assert draft_a.state == S.DRAFT and draft_a.rejection_reason == "Komplettera risker."


def test_start_closing_action(client, communications_officer, account_a):
    client.force_login(communications_officer)
    planned = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    client.post(
        reverse(CHANGELIST),
        {
            "action": "start_closing",
            ACTION_CHECKBOX_NAME: [account_a.pk],
            "apply": "1",
            "planned_on": planned,
            "reason": "Används inte.",
        },
    )
    assert SocialAccount.objects.get(pk=account_a.pk).state == S.CLOSING


def test_admin_edit_keeps_the_address_normalised(client, communications_officer, account_a):
    client.force_login(communications_officer)
    url = reverse("admin:registry_socialaccount_change", args=[account_a.pk])
    response = client.get(url)
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "url": "https://m.facebook.com/Fritidsfabriken.Nykvarn/",
            "platform": account_a.platform_id,
            "department": account_a.department_id,
            "owner": account_a.owner_id,
            "deputies": [d.pk for d in account_a.deputies.all()],
            "posts_per_week": 2,
        }
    )
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        data[f"{fs.prefix}-TOTAL_FORMS"] = "0"
        data[f"{fs.prefix}-INITIAL_FORMS"] = "0"
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    account_a.refresh_from_db()
    assert account_a.normalized_url == "facebook.com/fritidsfabriken.nykvarn"
