"""The communications office's admin: filters, search, inlines, transitions as actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from registry import services
from registry.models import (
    ActivityEntry,
    Assignment,
    CredentialHolder,
    SocialAccount,
    Substitute,
    TransitionRefused,
)
from tests.factories import UserFactory

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


def test_transitions_as_admin_actions(
    client, communications_officer, office_head, draft_a, operator
):
    services.submit(account=draft_a, by=operator)
    # REG-3: the manager's step, by an officer who manages the department.
    client.force_login(office_head)
    client.post(
        reverse(CHANGELIST), {"action": "approve_as_manager", ACTION_CHECKBOX_NAME: [draft_a.pk]}
    )
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.MANAGER_APPROVED
    # The office's step, by another officer: activation asks for the channel strategy.
    client.force_login(communications_officer)
    response = client.post(
        reverse(CHANGELIST), {"action": "activate", ACTION_CHECKBOX_NAME: [draft_a.pk]}
    )
    assert response.status_code == 200 and 'name="channel_strategy"' in response.content.decode()
    response = client.post(
        reverse(CHANGELIST),
        {"action": "activate", ACTION_CHECKBOX_NAME: [draft_a.pk], "apply": "1"},
    )
    assert response.status_code == 200  # the strategy is required: the page comes back
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.MANAGER_APPROVED
    client.post(
        reverse(CHANGELIST),
        {
            "action": "activate",
            ACTION_CHECKBOX_NAME: [draft_a.pk],
            "apply": "1",
            "channel_strategy": "Plan",
        },
    )
    draft_a.refresh_from_db()
    assert draft_a.state == S.ACTIVE and draft_a.channel_strategy == "Plan"
    assert draft_a.activated_by == communications_officer


def test_reject_action_asks_for_a_reason(
    client, communications_officer, manager_a, draft_a, operator
):
    services.submit(account=draft_a, by=operator)
    services.approve(account=draft_a, by=manager_a)
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


def test_start_closing_action(client, office_head, account_a):
    client.force_login(office_head)
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


# --- the admin changes nothing past the services (review finding on issue 3) ---------------

CHANGE = "admin:registry_socialaccount_change"


def _change_form_data(client, account) -> dict:
    """What the change form posts back unchanged, with each inline's rows as they are."""
    response = client.get(reverse(CHANGE, args=[account.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    for inline in response.context["inline_admin_formsets"]:
        fs = inline.formset
        data[f"{fs.prefix}-TOTAL_FORMS"] = str(len(fs.initial_forms))
        data[f"{fs.prefix}-INITIAL_FORMS"] = str(len(fs.initial_forms))
        for row in fs.initial_forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None and value is not False:
                    data[f"{row.prefix}-{name}"] = value
            data[f"{row.prefix}-id"] = row.instance.pk
    return data


def _prefix(client, account, model) -> str:
    response = client.get(reverse(CHANGE, args=[account.pk]))
    return next(
        i.formset.prefix
        for i in response.context["inline_admin_formsets"]
        if i.formset.model is model
    )


def _events(account) -> list[str]:
    return list(AuditEvent.for_object(account).values_list("action", flat=True))


@pytest.fixture
def staffed_a(account_a, operator, deputy):
    """account_a with its two credential holders, a substitute and a credentials location."""
    CredentialHolder.objects.create(account=account_a, user=operator)
    CredentialHolder.objects.create(account=account_a, user=deputy)
    Substitute.objects.create(
        account=account_a,
        user=UserFactory(full_name="Erik Ersättare"),
        stands_in_for=operator,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=14),
    )
    SocialAccount.objects.filter(pk=account_a.pk).update(credentials_location="Valv 1")
    account_a.refresh_from_db()
    return account_a


def test_people_department_and_location_are_not_changed_by_the_form(
    client, communications_officer, staffed_a, operator, deputy, department_b
):
    """REG-4 "en ställföreträdande måste alltid finnas": the old form saved empty deputies."""
    client.force_login(communications_officer)
    data = _change_form_data(client, staffed_a)
    data.update(
        {
            "deputies": [],
            "owner": communications_officer.pk,
            "department": department_b.pk,
            "credentials_location": "Post-it på skärmen",
        }
    )
    response = client.post(reverse(CHANGE, args=[staffed_a.pk]), data)
    assert response.status_code == 302
    staffed_a.refresh_from_db()
    assert list(staffed_a.deputies.all()) == [deputy]
    assert staffed_a.owner == operator
    assert staffed_a.department_id != department_b.pk
    assert staffed_a.credentials_location == "Valv 1"
    assert _events(staffed_a) == []  # nothing changed, so nothing to record


def test_change_page_shows_people_read_only_with_a_link_to_the_people_page(
    client, communications_officer, staffed_a
):
    client.force_login(communications_officer)
    page = client.get(reverse(CHANGE, args=[staffed_a.pk])).content.decode()
    assert reverse("registry:people", args=[staffed_a.pk]) in page
    assert "Sara Ställföreträdare" in page and "Erik Ersättare" in page
    for name in ('name="owner"', 'name="deputies"', 'name="credentials_location"'):
        assert name not in page


def test_inlines_cannot_delete_credential_holders_or_substitutes(
    client, communications_officer, staffed_a
):
    """REG-5: at least two credential holders; the old inline dropped them to none."""
    client.force_login(communications_officer)
    data = _change_form_data(client, staffed_a)
    for model in (CredentialHolder, Substitute):
        prefix = _prefix(client, staffed_a, model)
        for i in range(int(data[f"{prefix}-INITIAL_FORMS"])):
            data[f"{prefix}-{i}-DELETE"] = "on"
    client.post(reverse(CHANGE, args=[staffed_a.pk]), data)
    assert staffed_a.credential_holders.count() == 2
    assert Substitute.objects.filter(account=staffed_a).count() == 1
    assert _events(staffed_a) == []


def test_inlines_cannot_add_credential_holders_or_substitutes(
    client, communications_officer, staffed_a, outsider
):
    client.force_login(communications_officer)
    data = _change_form_data(client, staffed_a)
    holders = _prefix(client, staffed_a, CredentialHolder)
    data[f"{holders}-TOTAL_FORMS"] = "3"
    data[f"{holders}-2-user"] = outsider.pk
    data[f"{holders}-2-account"] = staffed_a.pk
    data[f"{holders}-2-since"] = timezone.localdate().isoformat()
    client.post(reverse(CHANGE, args=[staffed_a.pk]), data)
    assert not staffed_a.credential_holders.filter(user=outsider).exists()


def test_correcting_an_active_account_goes_through_the_service_with_an_audit_event(
    client, communications_officer, staffed_a
):
    client.force_login(communications_officer)
    data = _change_form_data(client, staffed_a)
    data.update({"name": "Fritidsfabriken Nykvarn", "posts_per_week": 4, "purpose": "Nytt syfte"})
    response = client.post(reverse(CHANGE, args=[staffed_a.pk]), data)
    assert response.status_code == 302
    staffed_a.refresh_from_db()
    assert staffed_a.name == "Fritidsfabriken Nykvarn" and staffed_a.posts_per_week == 4
    # The Bilaga 2 answers were decided at approval: read-only once submitted (REG-2, REG-3).
    assert staffed_a.purpose != "Nytt syfte"
    events = AuditEvent.for_object(staffed_a)
    corrected = events.get(action="registry.account_corrected")
    assert corrected.actor == communications_officer
    assert corrected.details["name"] == {
        "before": "Fritidsfabriken",
        "after": "Fritidsfabriken Nykvarn",
    }
    assert events.get(action="registry.target_changed").details == {"before": 2, "after": 4}


def test_editing_a_draft_goes_through_update_request(client, communications_officer, draft_a):
    client.force_login(communications_officer)
    data = _change_form_data(client, draft_a)
    data.update({"purpose": "Tydligare syfte"})
    assert client.post(reverse(CHANGE, args=[draft_a.pk]), data).status_code == 302
    draft_a.refresh_from_db()
    assert draft_a.purpose == "Tydligare syfte"
    event = AuditEvent.for_object(draft_a).get(action="registry.request_changed")
    assert event.details == {"fields": ["purpose"]} and event.actor == communications_officer


def test_a_closed_account_is_read_only(client, communications_officer, account_a):
    SocialAccount.objects.filter(pk=account_a.pk).update(state=S.CLOSED)
    client.force_login(communications_officer)
    url = reverse(CHANGE, args=[account_a.pk])
    assert client.post(url, {"name": "Ändrat"}).status_code == 403
    account_a.refresh_from_db()
    assert account_a.name == "Fritidsfabriken"


def test_assignments_are_not_written_in_the_admin(
    client, communications_officer, account_a, operator, manager_b
):
    """REG-4: an uppdrag is granted by the acting user; the admin had a free granted_by."""
    client.force_login(communications_officer)
    add = client.post(
        reverse("admin:registry_assignment_add"),
        {
            "user": operator.pk,
            "granted_by": manager_b.pk,
            "accounts": [account_a.pk],
            "granted_on": "2024-01-01",
        },
    )
    assert add.status_code == 403
    assert not Assignment.objects.exists()
    assignment = services.grant_assignment(
        by=communications_officer,
        user=operator,
        accounts=[account_a],
        granted_on=timezone.localdate(),
    )
    change = client.post(
        reverse("admin:registry_assignment_change", args=[assignment.pk]),
        {
            "user": operator.pk,
            "granted_by": manager_b.pk,
            "accounts": [account_a.pk],
            "granted_on": "2024-01-01",
        },
    )
    assert change.status_code == 403
    assignment.refresh_from_db()
    assert assignment.granted_by == communications_officer
    listing = client.get(reverse("admin:registry_assignment_changelist")).content.decode()
    assert reverse("registry:people", args=[account_a.pk]) in listing


def test_revoking_an_assignment_in_the_admin_uses_the_service(
    client, communications_officer, account_a, operator
):
    assignment = services.grant_assignment(
        by=communications_officer,
        user=operator,
        accounts=[account_a],
        granted_on=timezone.localdate(),
    )
    client.force_login(communications_officer)
    client.post(
        reverse("admin:registry_assignment_changelist"),
        {"action": "revoke", ACTION_CHECKBOX_NAME: [assignment.pk]},
    )
    assignment.refresh_from_db()
    assert assignment.revoked_by == communications_officer
    assert "registry.assignment_revoked" in _events(account_a)


def test_activity_entries_are_not_edited_in_the_admin(client, communications_officer, account_a):
    entry = ActivityEntry.objects.create(
        account=account_a,
        week_start=services.monday_of(timezone.localdate()),
        posts=1,
        entered_by=communications_officer,
    )
    client.force_login(communications_officer)
    url = reverse("admin:registry_activityentry_change", args=[entry.pk])
    assert (
        client.post(
            url, {"account": account_a.pk, "week_start": entry.week_start, "posts": 9}
        ).status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.posts == 1


def test_platform_changes_are_audited(client, communications_officer, account_a):
    facebook = account_a.platform
    client.force_login(communications_officer)
    url = reverse("admin:registry_platform_change", args=[facebook.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {
        k: ("on" if v is True else v) for k, v in data.items() if v is not None and v is not False
    }
    data["domains"] = "facebook.com\nfb.com\nfb.me"
    assert client.post(url, data).status_code == 302
    event = AuditEvent.for_object(facebook).get(action="registry.platform_changed")
    assert event.actor == communications_officer and "fb.me" in event.details["domains"]


def test_correct_account_is_the_communications_offices_and_not_for_closed_accounts(
    communications_officer, manager_a, account_a
):
    with pytest.raises(PermissionDenied):
        services.correct_account(account=account_a, by=manager_a, fields={"name": "X"})
    with pytest.raises(ValueError):  # people and department have their own services
        services.correct_account(
            account=account_a, by=communications_officer, fields={"owner": manager_a}
        )
    SocialAccount.objects.filter(pk=account_a.pk).update(state=S.CLOSED)
    account_a.refresh_from_db()
    with pytest.raises(TransitionRefused):
        services.correct_account(account=account_a, by=communications_officer, fields={"name": "X"})
    assert SocialAccount.objects.get(pk=account_a.pk).name == "Fritidsfabriken"
    assert _events(account_a) == []
