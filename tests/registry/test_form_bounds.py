"""Dates and ids typed into every registry form and admin form: a form error, never a 500.

Year 1 (year 0 in UTC), year 99999, a malformed date, or an id beyond the database's
integer in a (multi-)select are refused by nykvarn_sm.lib.formfields before any query or
row sees them. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from registry import services
from registry.demo import CHECKLIST
from registry.models import (
    ActivityEntry,
    Assignment,
    CredentialHolder,
    FollowerNotice,
    SocialAccount,
    Substitute,
)
from tests.factories import platform

pytestmark = pytest.mark.django_db
S = SocialAccount.State

BAD_DATES = ["0001-01-01", "99999-01-01", "2026-02-30", "1-1-1", "10000-01-01"]
HUGE_ID = "99999999999999999999"


def _today() -> str:
    return timezone.localdate().isoformat()


# --- the request form (REG-2) ---------------------------------------------------------------


def _request_data(department, operator, deputy) -> dict:
    return {
        "platform": platform("youtube").pk,
        "name": "Fritidsfabriken film",
        "url": "https://www.youtube.com/@fritidsfabriken",
        "department": department.pk,
        "owner": operator.pk,
        "deputies": [deputy.pk],
        "posts_per_week": 1,
        "terms_reviewed_by": operator.pk,
        "terms_reviewed_on": "2026-01-10",
        **{k: ("on" if v is True else v) for k, v in CHECKLIST.items()},
    }


@pytest.mark.parametrize("day", [*BAD_DATES, "2999-01-01"])
def test_request_form_refuses_a_terms_review_date_out_of_bounds(
    client, operator, deputy, department_a, day
):
    client.force_login(operator)
    data = {**_request_data(department_a, operator, deputy), "terms_reviewed_on": day}
    response = client.post(reverse("registry:account_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["terms_reviewed_on"]
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("deputies", [HUGE_ID]),
        ("deputies", ["1", HUGE_ID]),
        ("owner", HUGE_ID),
        ("terms_reviewed_by", HUGE_ID),
        ("department", HUGE_ID),
        ("platform", HUGE_ID),
        ("owner", "-1"),
    ],
)
def test_request_form_refuses_ids_that_overflow(
    client, operator, deputy, department_a, field, value
):
    client.force_login(operator)
    data = {**_request_data(department_a, operator, deputy), field: value}
    response = client.post(reverse("registry:account_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not SocialAccount.objects.exists()


def test_request_edit_refuses_a_bad_date_and_keeps_the_draft(client, draft_a, operator, deputy):
    client.force_login(operator)
    data = {
        **_request_data(draft_a.department, operator, deputy),
        "platform": draft_a.platform_id,
        "url": draft_a.url,
        "terms_reviewed_on": "0001-01-01",
    }
    response = client.post(reverse("registry:account_edit", args=[draft_a.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["terms_reviewed_on"]
    assert SocialAccount.objects.get(pk=draft_a.pk).terms_reviewed_on == draft_a.terms_reviewed_on


# --- closing (REG-9) -------------------------------------------------------------------------


@pytest.mark.parametrize("day", BAD_DATES)
def test_start_closing_refuses_a_planned_date_out_of_bounds(client, account_a, manager_a, day):
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:start_closing", args=[account_a.pk]),
        {"planned_on": day, "reason": "Används inte."},
    )
    assert response.status_code == 400
    assert response.context["closing_form"].errors["planned_on"]
    assert "Används inte." in response.content.decode()
    assert SocialAccount.objects.get(pk=account_a.pk).state == S.ACTIVE


def test_start_closing_refuses_a_planned_date_in_the_past_as_a_form_error(
    client, account_a, manager_a
):
    client.force_login(manager_a)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("registry:start_closing", args=[account_a.pk]),
        {"planned_on": yesterday, "reason": "Används inte."},
    )
    assert response.status_code == 400
    assert response.context["closing_form"].errors["planned_on"]


@pytest.mark.parametrize("day", [*BAD_DATES, "2999-01-01"])
def test_follower_notice_refuses_a_date_out_of_bounds(client, account_a, operator, day):
    SocialAccount.objects.filter(pk=account_a.pk).update(state=S.CLOSING)
    client.force_login(operator)
    response = client.post(
        reverse("registry:notice_add", args=[account_a.pk]),
        {
            "published_on": day,
            "text": "Vi stänger.",
            "has_reason": "on",
            "has_thanks": "on",
            "has_pointer": "on",
        },
    )
    assert response.status_code == 400
    assert response.context["notice_form"].errors["published_on"]
    assert not FollowerNotice.objects.exists()


@pytest.mark.parametrize("day", BAD_DATES)
def test_admin_start_closing_action_refuses_a_planned_date_out_of_bounds(
    client, account_a, office_head, day
):
    client.force_login(office_head)
    response = client.post(
        reverse("admin:registry_socialaccount_changelist"),
        {
            "action": "start_closing",
            ACTION_CHECKBOX_NAME: [account_a.pk],
            "apply": "1",
            "planned_on": day,
            "reason": "Används inte.",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["planned_on"]
    assert SocialAccount.objects.get(pk=account_a.pk).state == S.ACTIVE


# --- people (REG-4, REG-5) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(d, _today()) for d in BAD_DATES] + [(_today(), d) for d in BAD_DATES],
)
def test_substitute_dates_out_of_bounds_are_form_errors(
    client, account_a, manager_a, operator, deputy, starts_on, ends_on
):
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:substitute_add", args=[account_a.pk]),
        {
            "substitute-user": deputy.pk,
            "substitute-stands_in_for": operator.pk,
            "substitute-starts_on": starts_on,
            "substitute-ends_on": ends_on,
        },
    )
    assert response.status_code == 400
    assert response.context["substitute_form"].errors
    assert not Substitute.objects.exists()


@pytest.mark.parametrize("field", ["substitute-user", "substitute-stands_in_for"])
def test_substitute_ids_that_overflow_are_form_errors(
    client, account_a, manager_a, operator, deputy, field
):
    client.force_login(manager_a)
    data = {
        "substitute-user": deputy.pk,
        "substitute-stands_in_for": operator.pk,
        "substitute-starts_on": _today(),
        "substitute-ends_on": _today(),
        field: HUGE_ID,
    }
    response = client.post(reverse("registry:substitute_add", args=[account_a.pk]), data)
    assert response.status_code == 400
    assert not Substitute.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"owner": HUGE_ID, "deputies": []},
        {"deputies": [HUGE_ID]},
        {"deputies": ["2", HUGE_ID]},
    ],
)
def test_people_form_ids_that_overflow_are_form_errors(
    client, account_a, manager_a, operator, deputy, data
):
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:people_set", args=[account_a.pk]),
        {"owner": operator.pk, "deputies": [deputy.pk], **data},
    )
    assert response.status_code == 400
    assert response.context["people_form"].errors
    assert list(SocialAccount.objects.get(pk=account_a.pk).deputies.all()) == [deputy]


def test_credential_holder_id_that_overflows_is_a_form_error(client, account_a, manager_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:holder_add", args=[account_a.pk]), {"holder-user": HUGE_ID}
    )
    assert response.status_code == 400
    assert response.context["holder_form"].errors["user"]
    assert not CredentialHolder.objects.exists()


@pytest.mark.parametrize("day", [*BAD_DATES, "2999-01-01"])
def test_assignment_granted_on_out_of_bounds_is_a_form_error(
    client, account_a, manager_a, deputy, day
):
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:assignment_grant", args=[account_a.pk]),
        {
            "assignment-user": deputy.pk,
            "assignment-accounts": [account_a.pk],
            "assignment-granted_on": day,
        },
    )
    assert response.status_code == 400
    assert response.context["assignment_form"].errors["granted_on"]
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"assignment-accounts": [HUGE_ID]},
        {"assignment-accounts": ["1", HUGE_ID]},
        {"assignment-user": HUGE_ID},
    ],
)
def test_assignment_ids_that_overflow_are_form_errors(client, account_a, manager_a, deputy, data):
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:assignment_grant", args=[account_a.pk]),
        {
            "assignment-user": deputy.pk,
            "assignment-accounts": [account_a.pk],
            "assignment-granted_on": _today(),
            **data,
        },
    )
    assert response.status_code == 400
    assert response.context["assignment_form"].errors
    assert not Assignment.objects.exists()


# --- activity (REG-6) --------------------------------------------------------------------------


@pytest.mark.parametrize("day", [*BAD_DATES, "2999-01-04"])
def test_activity_week_out_of_bounds_is_a_form_error(client, account_a, operator, day):
    client.force_login(operator)
    response = client.post(
        reverse("registry:activity_add", args=[account_a.pk]),
        {"activity-week": day, "activity-posts": "3"},
    )
    assert response.status_code == 400
    assert response.context["activity_form"].errors["week"]
    assert not ActivityEntry.objects.exists()


@pytest.mark.parametrize("week", ["0001-01-01", "0001-W01", "9999-W52", "1-W1"])
def test_activity_import_refuses_weeks_out_of_bounds(client, account_a, operator, week):
    client.force_login(operator)
    upload = SimpleUploadedFile("v.csv", f"vecka;inlägg\n{week};3\n".encode())
    response = client.post(
        reverse("registry:activity_import", args=[account_a.pk]), {"file": upload}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ActivityEntry.objects.exists()


# --- lists and the admin --------------------------------------------------------------------------


@pytest.mark.parametrize("query", [{"department": HUGE_ID}, {"platform": HUGE_ID}])
def test_register_filter_with_an_id_that_overflows(
    client, communications_officer, account_a, query
):
    client.force_login(communications_officer)
    response = client.get(reverse("registry:account_list"), query)
    assert response.status_code == 200
    assert response.context["filters"].errors


def _admin_draft_data(client, account) -> dict:
    response = client.get(reverse("admin:registry_socialaccount_change", args=[account.pk]))
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    for inline in response.context["inline_admin_formsets"]:
        fs = inline.formset
        data[f"{fs.prefix}-TOTAL_FORMS"] = "0"
        data[f"{fs.prefix}-INITIAL_FORMS"] = "0"
    return data


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *[("terms_reviewed_on", d) for d in BAD_DATES],
        ("terms_reviewed_on", "2999-01-01"),
        ("terms_reviewed_by", HUGE_ID),
        ("department", HUGE_ID),
        ("platform", HUGE_ID),
    ],
)
def test_admin_draft_form_refuses_dates_and_ids_out_of_bounds(
    client, communications_officer, draft_a, field, value
):
    client.force_login(communications_officer)
    data = {**_admin_draft_data(client, draft_a), field: value}
    response = client.post(reverse("admin:registry_socialaccount_change", args=[draft_a.pk]), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not AuditEvent.for_object(draft_a).exists()


def test_a_good_request_still_goes_through(client, operator, deputy, department_a, manager_a):
    """The bounds refuse nothing a person would type."""
    client.force_login(operator)
    response = client.post(
        reverse("registry:account_create"), _request_data(department_a, operator, deputy)
    )
    assert response.status_code == 302
    account = SocialAccount.objects.get()
    services.submit(account=account, by=operator)
    assert account.state == S.SUBMITTED


@pytest.mark.parametrize(
    ("changelist", "query"),
    [
        ("admin:registry_socialaccount_changelist", {"department__id__exact": HUGE_ID}),
        ("admin:registry_socialaccount_changelist", {"platform__id__exact": HUGE_ID}),
        ("admin:registry_assignment_changelist", {"accounts__department__id__exact": HUGE_ID}),
        ("admin:registry_assignment_changelist", {"granted_on__gte": "0001-01-01"}),
        ("admin:registry_activityentry_changelist", {"week_start__year": "99999"}),
        ("admin:registry_activityentry_changelist", {"week_start__year": "1"}),
    ],
)
def test_admin_lists_with_out_of_range_filters_answer(
    client, communications_officer, account_a, changelist, query
):
    client.force_login(communications_officer)
    response = client.get(reverse(changelist), query)
    assert response.status_code in (200, 302, 400)  # a refused filter, never a 500
