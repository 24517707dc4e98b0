"""The life of an account: draft → submitted → manager approved → active → closing → closed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import AuditEvent
from registry import services
from registry.models import FollowerNotice, SocialAccount, TransitionRefused

pytestmark = pytest.mark.django_db
S = SocialAccount.State


def actions(account):
    return list(
        AuditEvent.for_object(account).order_by("created_at", "id").values_list("action", flat=True)
    )


def test_whole_lifecycle_with_audit_and_mail(
    draft_a,
    operator,
    manager_a,
    communications_officer,
    closing_snapshot,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        services.submit(account=draft_a, by=operator)
    assert draft_a.state == S.SUBMITTED and draft_a.submitted_at is not None
    # The department manager acts next.
    assert [m.to for m in mail.outbox] == [[manager_a.email]]

    with django_capture_on_commit_callbacks(execute=True):
        services.approve(account=draft_a, by=manager_a, comment="Avtalet är läst.")
    assert draft_a.manager_approved_by == manager_a
    assert mail.outbox[-1].to == [communications_officer.email]

    with django_capture_on_commit_callbacks(execute=True):
        services.activate(
            account=draft_a,
            by=communications_officer,
            channel_strategy="Två inlägg i veckan om aktiviteter.",
        )
    draft_a.refresh_from_db()
    assert draft_a.state == S.ACTIVE and draft_a.activated_by == communications_officer
    assert SocialAccount.objects.public().filter(pk=draft_a.pk).exists()

    services.start_closing(
        account=draft_a,
        by=manager_a,
        planned_on=timezone.localdate() + dt.timedelta(days=14),
        reason="Verksamheten flyttar till kommunens centrala konto.",
    )
    today = timezone.localdate()
    for days_ago in (10, 3):
        services.record_follower_notice(
            account=draft_a,
            by=operator,
            published_on=today - dt.timedelta(days=days_ago),
            text="Vi stänger kontot. Tack! Följ kommunens konto.",
        )
    services.close(account=draft_a, by=communications_officer)
    draft_a.refresh_from_db()
    assert draft_a.state == S.CLOSED and draft_a.closed_at is not None
    assert not SocialAccount.objects.public().filter(pk=draft_a.pk).exists()
    assert actions(draft_a) == [
        "registry.submitted",
        "registry.manager_approved",
        "registry.activated",
        "registry.closing_started",
        "registry.follower_notice",
        "registry.follower_notice",
        "registry.closed",
    ]


def test_submitting_requires_the_whole_bilaga_2_checklist(draft_a, operator):
    draft_a.risks = ""
    draft_a.info_public_record = False
    draft_a.terms_reviewed_by = None
    draft_a.save()
    with pytest.raises(TransitionRefused) as error:
        services.submit(account=draft_a, by=operator)
    assert "risker" in error.value.message
    assert "allmän handling" in error.value.message
    assert "avtalsvillkor" in error.value.message
    draft_a.refresh_from_db()
    assert draft_a.state == S.DRAFT
    assert actions(draft_a) == []


def test_a_personal_account_is_never_accepted(draft_a, operator):
    # REG-11: an organisation page, never a personal account.
    draft_a.is_organisation_page = False
    draft_a.save()
    with pytest.raises(TransitionRefused, match="personkonto"):
        services.submit(account=draft_a, by=operator)


def test_submitting_requires_a_deputy(draft_a, operator):
    draft_a.deputies.clear()
    with pytest.raises(TransitionRefused, match="ställföreträdande"):
        services.submit(account=draft_a, by=operator)


def test_rejection_sends_back_to_draft_with_reason(
    draft_a, operator, manager_a, django_capture_on_commit_callbacks
):
    services.submit(account=draft_a, by=operator)
    with django_capture_on_commit_callbacks(execute=True):
        services.reject(account=draft_a, by=manager_a, reason="Målgruppen är otydlig.")
    draft_a.refresh_from_db()
    assert draft_a.state == S.DRAFT
    assert draft_a.rejection_reason == "Målgruppen är otydlig."
    assert all("Målgruppen är otydlig." in m.body for m in mail.outbox)
    assert operator.email in [m.to[0] for m in mail.outbox]
    # It can be corrected and submitted again; the old reason goes.
    services.submit(account=draft_a, by=operator)
    draft_a.refresh_from_db()
    assert draft_a.rejection_reason == ""


def test_rejection_needs_a_reason(draft_a, operator, manager_a):
    services.submit(account=draft_a, by=operator)
    with pytest.raises(TransitionRefused):
        services.reject(account=draft_a, by=manager_a, reason="  ")


def test_activation_requires_strategy_and_two_credential_holders(
    draft_a, operator, manager_a, communications_officer
):
    services.submit(account=draft_a, by=operator)
    services.approve(account=draft_a, by=manager_a)
    with pytest.raises(TransitionRefused, match="kanalstrategi"):
        services.activate(account=draft_a, by=communications_officer, channel_strategy="")
    draft_a.credential_holders.first().delete()
    with pytest.raises(TransitionRefused, match="minst två"):
        services.activate(account=draft_a, by=communications_officer, channel_strategy="Plan")
    draft_a.refresh_from_db()
    assert draft_a.state == S.MANAGER_APPROVED


def test_closing_requires_two_notices_on_different_days(
    account_a, manager_a, communications_officer, operator, closing_snapshot
):
    services.start_closing(
        account=account_a, by=manager_a, planned_on=timezone.localdate(), reason="Används inte."
    )
    today = timezone.localdate()
    services.record_follower_notice(
        account=account_a, by=operator, published_on=today, text="Vi stänger."
    )
    with pytest.raises(TransitionRefused, match="minst 2 gånger"):
        services.close(account=account_a, by=communications_officer)
    services.record_follower_notice(
        account=account_a, by=operator, published_on=today, text="Vi stänger, igen samma dag."
    )
    with pytest.raises(TransitionRefused):
        services.close(account=account_a, by=communications_officer)
    services.record_follower_notice(
        account=account_a, by=operator, published_on=today - dt.timedelta(days=5), text="Första."
    )
    services.close(account=account_a, by=communications_officer)
    assert account_a.state == S.CLOSED


def test_closing_requires_the_archive_snapshot(
    account_a, manager_a, communications_officer, operator, closing_snapshot
):
    closing_snapshot["stored"] = False
    services.start_closing(
        account=account_a, by=manager_a, planned_on=timezone.localdate(), reason="Används inte."
    )
    for d in (1, 2):
        FollowerNotice.objects.create(
            account=account_a,
            recorded_by=operator,
            text="Hej då",
            published_on=timezone.localdate() - dt.timedelta(days=d),
        )
    with pytest.raises(TransitionRefused, match="arkivuttag"):
        services.close(account=account_a, by=communications_officer)
    account_a.refresh_from_db()
    assert account_a.state == S.CLOSING


def test_closing_date_cannot_be_in_the_past(account_a, manager_a):
    with pytest.raises(TransitionRefused):
        services.start_closing(
            account=account_a,
            by=manager_a,
            planned_on=timezone.localdate() - dt.timedelta(days=1),
            reason="x",
        )


# --- every forbidden transition -----------------------------------------------------------

TRANSITIONS = {
    "submit": lambda a, u: services.submit(account=a, by=u),
    "approve": lambda a, u: services.approve(account=a, by=u),
    "reject": lambda a, u: services.reject(account=a, by=u, reason="Nej"),
    "activate": lambda a, u: services.activate(account=a, by=u, channel_strategy="Plan"),
    "start_closing": lambda a, u: services.start_closing(
        account=a, by=u, planned_on=timezone.localdate(), reason="Slut"
    ),
    "close": lambda a, u: services.close(account=a, by=u),
}
ALLOWED = {
    S.DRAFT: {"submit"},
    S.SUBMITTED: {"approve", "reject"},
    S.MANAGER_APPROVED: {"activate", "reject"},
    S.ACTIVE: {"start_closing"},
    S.CLOSING: {"close"},
    S.CLOSED: set(),
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_every_transition_not_allowed_from_a_state_is_refused(
    state, draft_a, office_head, closing_snapshot
):
    # office_head may take every step (manager of the department and communications
    # officer), so what refuses here is the state, not the person.
    SocialAccount.objects.filter(pk=draft_a.pk).update(state=state)
    for name, call in TRANSITIONS.items():
        if name in ALLOWED[state]:
            continue
        account = SocialAccount.objects.get(pk=draft_a.pk)
        with pytest.raises(TransitionRefused):
            call(account, office_head)
        assert SocialAccount.objects.get(pk=draft_a.pk).state == state, name


def test_a_stale_copy_cannot_move_the_state_twice(
    draft_a, operator, manager_a, manager_b, communications_officer
):
    services.submit(account=draft_a, by=operator)
    first = SocialAccount.objects.get(pk=draft_a.pk)
    second = SocialAccount.objects.get(pk=draft_a.pk)
    services.approve(account=first, by=manager_a)
    with pytest.raises(TransitionRefused, match="samtidigt"):
        services.reject(account=second, by=manager_a, reason="Nej")


# --- who may: role × department -----------------------------------------------------------


@pytest.mark.parametrize(
    "persona",
    ["communications_officer", "manager_b", "operator", "operator_b", "archivist", "outsider"],
)
def test_only_the_department_manager_approves(persona, request, draft_a, operator):
    services.submit(account=draft_a, by=operator)
    with pytest.raises(PermissionDenied):
        services.approve(account=draft_a, by=request.getfixturevalue(persona))
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.SUBMITTED


@pytest.mark.parametrize("persona", ["manager_a", "manager_b", "operator", "archivist"])
def test_only_the_communications_office_activates_and_closes(
    persona, request, draft_a, operator, manager_a
):
    user = request.getfixturevalue(persona)
    services.submit(account=draft_a, by=operator)
    services.approve(account=draft_a, by=manager_a)
    with pytest.raises(PermissionDenied):
        services.activate(account=draft_a, by=user, channel_strategy="Plan")
    # After the manager's approval, sending back is the office's decision too.
    with pytest.raises(PermissionDenied):
        services.reject(account=draft_a, by=user, reason="Nej")


@pytest.mark.parametrize(
    "persona", ["communications_officer", "manager_b", "operator_b", "archivist", "outsider"]
)
def test_others_cannot_submit_or_start_closing(persona, request, draft_a, account_a):
    user = request.getfixturevalue(persona)
    if persona != "communications_officer":  # the office drafts and submits for anyone
        with pytest.raises(PermissionDenied):
            services.submit(account=draft_a, by=user)
    with pytest.raises(PermissionDenied):
        services.start_closing(
            account=account_a, by=user, planned_on=timezone.localdate(), reason="x"
        )


def test_the_state_is_not_editable_anywhere():
    field = SocialAccount._meta.get_field("state")
    assert field.editable is False
    from registry.forms import RequestForm

    assert "state" not in RequestForm.base_fields
