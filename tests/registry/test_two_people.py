"""REG-3 and REG-9: each account decision takes two steps by two people.

The department manager approves (or anchors the closing); the communications office
anchors and activates (or closes). A communications officer is not a department manager,
and one person who is both never takes both steps of the same decision.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from registry import services
from registry.models import FollowerNotice, SocialAccount, TransitionRefused

pytestmark = pytest.mark.django_db
S = SocialAccount.State
CHANGELIST = "admin:registry_socialaccount_changelist"


@pytest.fixture
def submitted_a(draft_a, operator):
    services.submit(account=draft_a, by=operator)
    return draft_a


def _state(account) -> str:
    return SocialAccount.objects.get(pk=account.pk).state


# --- REG-3: approval ----------------------------------------------------------------------


def test_a_communications_officer_is_not_the_department_manager(
    submitted_a, communications_officer
):
    with pytest.raises(PermissionDenied):
        services.approve(account=submitted_a, by=communications_officer)
    assert _state(submitted_a) == S.SUBMITTED


def test_approve_view_refuses_a_communications_officer(client, submitted_a, communications_officer):
    client.force_login(communications_officer)
    response = client.post(reverse("registry:approve", args=[submitted_a.pk]), {"comment": ""})
    assert response.status_code == 403
    assert _state(submitted_a) == S.SUBMITTED


def test_the_manager_who_approved_cannot_also_activate(submitted_a, office_head):
    services.approve(account=submitted_a, by=office_head)
    with pytest.raises(TransitionRefused, match="Samma person"):
        services.activate(account=submitted_a, by=office_head, channel_strategy="Plan")
    submitted_a.refresh_from_db()
    assert submitted_a.state == S.MANAGER_APPROVED and submitted_a.activated_by is None


def test_another_officer_activates_what_the_manager_approved(
    submitted_a, office_head, communications_officer
):
    services.approve(account=submitted_a, by=office_head)
    services.activate(account=submitted_a, by=communications_officer, channel_strategy="Plan")
    submitted_a.refresh_from_db()
    assert submitted_a.state == S.ACTIVE
    assert submitted_a.manager_approved_by == office_head
    assert submitted_a.activated_by == communications_officer


def test_activate_view_refuses_the_approver_with_the_reason_and_keeps_the_text(
    client, submitted_a, office_head
):
    services.approve(account=submitted_a, by=office_head)
    client.force_login(office_head)
    page = client.get(submitted_a.get_absolute_url()).content.decode()
    assert "Aktivera kontot" not in page  # the form is not offered to the approver
    strategy = "Två inlägg i veckan, följs upp varje kvartal."
    response = client.post(
        reverse("registry:activate", args=[submitted_a.pk]), {"channel_strategy": strategy}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Samma person" in page
    assert strategy in page
    assert _state(submitted_a) == S.MANAGER_APPROVED


def test_admin_approve_action_refuses_an_officer_with_a_message(
    client, submitted_a, communications_officer
):
    client.force_login(communications_officer)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "approve_as_manager", ACTION_CHECKBOX_NAME: [submitted_a.pk]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "chef för kontots verksamhet" in page
    assert "konton godkända" not in page
    assert _state(submitted_a) == S.SUBMITTED


def test_admin_activate_action_refuses_the_approver_with_a_message(
    client, submitted_a, office_head
):
    services.approve(account=submitted_a, by=office_head)
    client.force_login(office_head)
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "activate",
            ACTION_CHECKBOX_NAME: [submitted_a.pk],
            "apply": "1",
            "channel_strategy": "Plan",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Samma person" in response.content.decode()
    assert _state(submitted_a) == S.MANAGER_APPROVED


def test_admin_approve_action_for_an_officer_who_manages_the_department(
    client, submitted_a, office_head
):
    client.force_login(office_head)
    client.post(
        reverse(CHANGELIST),
        {"action": "approve_as_manager", ACTION_CHECKBOX_NAME: [submitted_a.pk]},
    )
    submitted_a.refresh_from_db()
    assert submitted_a.state == S.MANAGER_APPROVED
    assert submitted_a.manager_approved_by == office_head


# --- "Väntar på": who a request waits for ---------------------------------------------------


@pytest.mark.parametrize("persona", ["operator", "deputy", "manager_a", "communications_officer"])
def test_a_submitted_request_says_which_manager_it_waits_for(
    client, request, submitted_a, manager_a, persona
):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(submitted_a.get_absolute_url()).content.decode()
    assert f"Väntar på {manager_a.full_name}" in page


def test_waiting_names_every_manager_of_the_department_and_no_one_else(
    client, submitted_a, manager_a, manager_b, office_head, operator
):
    client.force_login(operator)
    page = client.get(submitted_a.get_absolute_url()).content.decode()
    assert manager_a.full_name in page and office_head.full_name in page
    assert manager_b.full_name not in page


def test_waiting_for_a_manager_when_the_department_has_none(client, submitted_a, operator):
    client.force_login(operator)
    page = client.get(submitted_a.get_absolute_url()).content.decode()
    assert "ingen chef är registrerad" in page


def test_an_approved_request_says_it_waits_for_the_office_but_not_the_approver(
    client, submitted_a, office_head, communications_officer, operator
):
    services.approve(account=submitted_a, by=office_head)
    client.force_login(operator)
    page = client.get(submitted_a.get_absolute_url()).content.decode()
    assert f"Väntar på {communications_officer.full_name}" in page
    assert f"Väntar på {office_head.full_name}" not in page


def test_the_waiting_page_lists_approvals_only_for_managers_and_activations_not_for_the_approver(
    client, submitted_a, manager_a, communications_officer, office_head
):
    client.force_login(communications_officer)
    waiting = client.get(reverse("registry:waiting"))
    assert submitted_a not in waiting.context["to_approve"]
    # The office sees what waits for the managers, and for whom.
    assert f"Väntar på {manager_a.full_name}" in waiting.content.decode()
    client.force_login(manager_a)
    assert submitted_a in client.get(reverse("registry:waiting")).context["to_approve"]
    services.approve(account=submitted_a, by=office_head)
    client.force_login(office_head)
    assert submitted_a not in client.get(reverse("registry:waiting")).context["to_activate"]
    client.force_login(communications_officer)
    assert submitted_a in client.get(reverse("registry:waiting")).context["to_activate"]


# --- REG-9: closing -----------------------------------------------------------------------


def _notices(account, by):
    for days_ago in (4, 2):
        FollowerNotice.objects.create(
            account=account,
            recorded_by=by,
            text="Vi stänger kontot. Tack! Följ kommunens centrala konto.",
            published_on=timezone.localdate() - dt.timedelta(days=days_ago),
        )


def test_closing_is_anchored_with_the_department_manager_not_the_office(
    account_a, communications_officer
):
    with pytest.raises(PermissionDenied):
        services.start_closing(
            account=account_a,
            by=communications_officer,
            planned_on=timezone.localdate() + dt.timedelta(days=30),
            reason="Används inte.",
        )
    assert _state(account_a) == S.ACTIVE


def test_the_manager_who_started_closing_cannot_also_close(
    account_a, office_head, communications_officer, operator, closing_snapshot
):
    services.start_closing(
        account=account_a,
        by=office_head,
        planned_on=timezone.localdate() + dt.timedelta(days=30),
        reason="Används inte.",
    )
    account_a.refresh_from_db()
    assert account_a.closing_started_by == office_head
    _notices(account_a, operator)
    with pytest.raises(TransitionRefused, match="Samma person"):
        services.close(account=account_a, by=office_head)
    assert _state(account_a) == S.CLOSING
    services.close(account=account_a, by=communications_officer)
    assert _state(account_a) == S.CLOSED


def test_admin_close_action_refuses_the_one_who_started_closing(
    client, account_a, office_head, operator, closing_snapshot
):
    services.start_closing(
        account=account_a,
        by=office_head,
        planned_on=timezone.localdate() + dt.timedelta(days=30),
        reason="Används inte.",
    )
    _notices(account_a, operator)
    client.force_login(office_head)
    response = client.post(
        reverse(CHANGELIST), {"action": "close", ACTION_CHECKBOX_NAME: [account_a.pk]}, follow=True
    )
    assert "Samma person" in response.content.decode()
    assert _state(account_a) == S.CLOSING


def test_admin_start_closing_action_refuses_an_officer_with_a_message_and_keeps_the_reason(
    client, account_a, communications_officer
):
    client.force_login(communications_officer)
    reason = "Verksamheten flyttar till kommunens centrala konto."
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "start_closing",
            ACTION_CHECKBOX_NAME: [account_a.pk],
            "apply": "1",
            "planned_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "reason": reason,
        },
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "chef för kontots verksamhet" in page
    assert reason in page
    assert _state(account_a) == S.ACTIVE


def test_the_next_step_is_told_to_others_than_the_one_who_took_the_first(
    submitted_a, office_head, communications_officer, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        services.approve(account=submitted_a, by=office_head)
    told = [m.to[0] for m in mail.outbox]
    assert communications_officer.email in told
    assert office_head.email not in told


def test_the_closing_is_told_to_the_office_but_not_to_the_one_who_started_it(
    account_a, office_head, communications_officer, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        services.start_closing(
            account=account_a,
            by=office_head,
            planned_on=timezone.localdate() + dt.timedelta(days=30),
            reason="Används inte.",
        )
    told = [m.to[0] for m in mail.outbox]
    assert communications_officer.email in told
    assert office_head.email not in told
