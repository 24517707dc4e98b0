"""The browser views: permission first (404 outside scope, 403 inside), POST only, one call."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from registry import services
from registry.models import SocialAccount
from tests.factories import platform

pytestmark = pytest.mark.django_db
S = SocialAccount.State

POST_VIEWS = [
    "submit",
    "approve",
    "reject",
    "activate",
    "start_closing",
    "notice_add",
    "close",
    "people_set",
    "substitute_add",
    "holder_add",
    "location_set",
    "assignment_grant",
    "activity_add",
    "target_set",
]


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", POST_VIEWS)
def test_state_changing_views_refuse_get(client, communications_officer, account_a, name):
    login(client, communications_officer)
    response = client.get(reverse(f"registry:{name}", args=[account_a.pk]))
    assert response.status_code == 405


@pytest.mark.parametrize("name", ["substitute_remove", "holder_remove", "assignment_revoke"])
def test_removals_refuse_get(client, communications_officer, account_a, name):
    login(client, communications_officer)
    assert client.get(reverse(f"registry:{name}", args=[account_a.pk, 1])).status_code == 405


def test_anonymous_is_sent_to_login(client, account_a):
    response = client.get(reverse("registry:account_detail", args=[account_a.pk]))
    assert response.status_code == 302 and "/konto/login/" in response["Location"]
    response = client.post(reverse("registry:approve", args=[account_a.pk]))
    assert response.status_code == 302


def test_manager_of_b_gets_404_on_department_a_request_and_cannot_approve(
    client, draft_a, operator, manager_b
):
    services.submit(account=draft_a, by=operator)
    login(client, manager_b)
    assert client.get(draft_a.get_absolute_url()).status_code == 404
    response = client.post(reverse("registry:approve", args=[draft_a.pk]))
    assert response.status_code == 404
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.SUBMITTED


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("operator", 403),  # sees the request, may not approve it
        ("deputy", 403),
        ("archivist", 403),  # reads everything, decides nothing
        ("operator_b", 404),
        ("manager_b", 404),
        ("outsider", 404),
    ],
)
def test_approve_refused_by_role(client, request, draft_a, operator, persona, status):
    services.submit(account=draft_a, by=operator)
    login(client, request.getfixturevalue(persona))
    response = client.post(reverse("registry:approve", args=[draft_a.pk]))
    assert response.status_code == status
    assert SocialAccount.objects.get(pk=draft_a.pk).state == S.SUBMITTED


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("manager_a", 403),
        ("operator", 403),
        ("archivist", 403),
        ("manager_b", 404),
    ],
)
def test_activate_and_close_refused_by_role(client, request, account_a, persona, status):
    login(client, request.getfixturevalue(persona))
    assert (
        client.post(
            reverse("registry:activate", args=[account_a.pk]), {"channel_strategy": "x"}
        ).status_code
        == status
    )
    assert client.post(reverse("registry:close", args=[account_a.pk])).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("operator", 403),
        ("archivist", 403),
        ("manager_b", 404),
        ("operator_b", 404),
    ],
)
def test_people_and_closing_refused_by_role(client, request, account_a, persona, status):
    login(client, request.getfixturevalue(persona))
    assert client.get(reverse("registry:people", args=[account_a.pk])).status_code == status
    assert (
        client.post(
            reverse("registry:start_closing", args=[account_a.pk]),
            {"planned_on": "2099-01-01", "reason": "x"},
        ).status_code
        == status
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("archivist", 403),
        ("manager_b", 404),
        ("operator_b", 404),
        ("outsider", 404),
    ],
)
def test_activity_refused_by_role(client, request, account_a, persona, status):
    login(client, request.getfixturevalue(persona))
    response = client.post(
        reverse("registry:activity_add", args=[account_a.pk]),
        {"activity-week": "2026-01-05", "activity-posts": "3"},
    )
    assert response.status_code == status
    assert not account_a.activity.exists()


def test_operator_drafts_edits_and_submits_in_the_browser_views(
    client, operator, deputy, department_a, manager_a
):
    login(client, operator)
    from registry.demo import CHECKLIST

    data = {
        "platform": platform("youtube").pk,
        "name": "Fritidsfabriken film",
        "url": "https://m.youtube.com/@Fritidsfabriken/?si=abc",
        "department": department_a.pk,
        "owner": operator.pk,
        "deputies": [deputy.pk],
        "posts_per_week": 1,
        "terms_reviewed_by": operator.pk,
        "terms_reviewed_on": "2026-01-10",
        **{k: ("on" if v is True else v) for k, v in CHECKLIST.items()},
    }
    response = client.post(reverse("registry:account_create"), data)
    assert response.status_code == 302
    account = SocialAccount.objects.get(name="Fritidsfabriken film")
    assert account.state == S.DRAFT and account.created_by == operator
    assert account.normalized_url == "youtube.com/@fritidsfabriken"
    response = client.post(
        reverse("registry:account_edit", args=[account.pk]), {**data, "goals": "Nya mål"}
    )
    assert response.status_code == 302
    response = client.post(reverse("registry:submit", args=[account.pk]))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.state == S.SUBMITTED and account.goals == "Nya mål"
    # A submitted request is no longer edited; what was typed comes back with the reason.
    response = client.post(
        reverse("registry:account_edit", args=[account.pk]), {**data, "goals": "Skrivet sent"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Bara ett utkast kan ändras." in page and "Skrivet sent" in page
    assert SocialAccount.objects.get(pk=account.pk).goals == "Nya mål"
    assert client.get(reverse("registry:account_edit", args=[account.pk])).status_code == 302


def test_the_same_account_cannot_be_registered_twice(client, operator, department_a, account_a):
    login(client, operator)
    response = client.post(
        reverse("registry:account_create"),
        {
            "platform": platform("facebook").pk,
            "name": "Dubblett",
            "url": "http://m.facebook.com/FRITIDSFABRIKEN/?ref=x",
            "department": department_a.pk,
            "owner": operator.pk,
            "posts_per_week": 2,
        },
    )
    assert response.status_code == 200
    assert "finns redan" in response.content.decode()
    assert not SocialAccount.objects.filter(name="Dubblett").exists()


def test_url_must_belong_to_the_platform(client, operator, department_a):
    login(client, operator)
    response = client.post(
        reverse("registry:account_create"),
        {
            "platform": platform("instagram").pk,
            "name": "Fel",
            "owner": operator.pk,
            "url": "https://www.facebook.com/fritidsfabriken",
            "department": department_a.pk,
            "posts_per_week": 2,
        },
    )
    assert response.status_code == 200
    assert "hör inte till Instagram" in response.content.decode()


def test_operator_cannot_request_for_another_department(client, operator, department_b):
    login(client, operator)
    response = client.post(
        reverse("registry:account_create"),
        {
            "platform": platform("x").pk,
            "name": "Annan",
            "owner": operator.pk,
            "url": "https://x.com/annan",
            "department": department_b.pk,
            "posts_per_week": 2,
        },
    )
    assert response.status_code == 200  # department not among the choices
    assert not SocialAccount.objects.filter(name="Annan").exists()


def test_outsider_cannot_open_the_request_form(client, outsider):
    login(client, outsider)
    assert client.get(reverse("registry:account_create")).status_code == 403
    assert client.get(reverse("registry:account_list")).status_code == 403


def test_manager_approves_and_office_activates_through_the_views(
    client, draft_a, operator, manager_a, communications_officer
):
    services.submit(account=draft_a, by=operator)
    login(client, manager_a)
    page = client.get(draft_a.get_absolute_url()).content.decode()
    assert "Godkänn" in page
    client.post(reverse("registry:approve", args=[draft_a.pk]), {"comment": "OK"})
    client.logout()
    login(client, communications_officer)
    client.post(
        reverse("registry:activate", args=[draft_a.pk]),
        {"channel_strategy": "Överenskommen strategi"},
    )
    draft_a.refresh_from_db()
    assert draft_a.state == S.ACTIVE
    assert draft_a.channel_strategy == "Överenskommen strategi"


def test_refused_transition_shows_why(client, draft_a, operator):
    draft_a.purpose = ""
    draft_a.save()
    login(client, operator)
    response = client.post(reverse("registry:submit", args=[draft_a.pk]), follow=True)
    assert "Checklistan (Bilaga 2) är inte komplett" in response.content.decode()


def test_detail_page_shows_people_health_and_history(
    client, account_a, operator, communications_officer
):
    services.record_activity(
        account=account_a, by=operator, week_start=datetime.date(2026, 1, 5), posts=3
    )
    login(client, communications_officer)
    page = client.get(account_a.get_absolute_url()).content.decode()
    assert account_a.owner.full_name in page
    assert "Färre än två har inloggningsuppgifterna" in page
    assert "2026-V2 (2026-01-05)" in page
    assert "Aktivitet registrerad" in page


def test_export_is_for_the_office_and_archivists(
    client, account_a, communications_officer, manager_a, archivist
):
    login(client, manager_a)
    assert client.get(reverse("registry:export", args=["csv"])).status_code == 403
    client.logout()
    login(client, archivist)
    response = client.get(reverse("registry:export", args=["csv"]))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "Fritidsfabriken" in text and "facebook.com/fritidsfabriken" in text
    response = client.get(reverse("registry:export", args=["xlsx"]))
    assert response.content[:2] == b"PK"
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet["C2"].value == "Fritidsfabriken"
    # Text with control characters or a formula-like start exports as plain text.
    # \x00 itself never reaches the database: forms refuse it and PostgreSQL can't store it.
    account_a.purpose = '=HYPERLINK("http://evil")\x0b\x1b'
    account_a.save(update_fields=["purpose"])
    response = client.get(reverse("registry:export", args=["xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    purpose = next(c for c in sheet[2] if str(c.value).startswith(("=", "'=")))
    assert purpose.value == '=HYPERLINK("http://evil")' and purpose.data_type == "s"
    assert client.get(reverse("registry:export", args=["pdf"])).status_code == 404
    assert AuditEvent.objects.filter(action="registry.exported").count() == 3


def test_bad_input_is_shown_again_with_its_errors_and_nothing_changes(
    client, account_a, communications_officer
):
    """A follower notice missing its date comes back with the text the user typed."""
    from registry.models import FollowerNotice

    SocialAccount.objects.filter(pk=account_a.pk).update(state=SocialAccount.State.CLOSING)
    client.force_login(communications_officer)
    text = "Kontot stängs den 1 mars. Tack för engagemanget! Följ oss på kommunens konto."
    response = client.post(
        reverse("registry:notice_add", args=[account_a.pk]),
        {"published_on": "", "text": text, "has_reason": "on"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert text in page
    assert "Ange när meddelandet publicerades" in page
    assert not FollowerNotice.objects.filter(account=account_a).exists()
