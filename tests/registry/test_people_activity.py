"""People (REG-4), credentials (REG-5) and activity (REG-6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from registry import services
from registry.models import ActivityEntry, Assignment, SocialAccount, TransitionRefused
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_there_is_no_password_field_anywhere():
    from django.apps import apps

    for model in apps.get_app_config("registry").get_models():
        for field in model._meta.get_fields():
            assert "password" not in field.name and "lösen" not in str(
                getattr(field, "verbose_name", "")
            ).replace("lösenordshanterare", "")


def test_last_deputy_cannot_be_removed_from_an_active_account(account_a, manager_a, operator):
    with pytest.raises(TransitionRefused):
        services.set_owner_and_deputies(
            account=account_a, by=manager_a, owner=operator, deputies=[]
        )
    assert account_a.deputies.count() == 1


def test_owner_change_through_the_view(client, account_a, manager_a, deputy, department_a):
    newcomer = UserFactory(departments=[department_a])
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:people_set", args=[account_a.pk]),
        {"owner": newcomer.pk, "deputies": [deputy.pk]},
    )
    assert response.status_code == 302
    account_a.refresh_from_db()
    assert account_a.owner == newcomer


def test_owner_cannot_also_be_the_only_deputy(client, account_a, manager_a, operator):
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:people_set", args=[account_a.pk]),
        {"owner": operator.pk, "deputies": [operator.pk]},
    )
    assert response.status_code == 400
    assert SocialAccount.objects.get(pk=account_a.pk).deputies.first() != operator


def test_substitute_in_force_is_shown_and_runs_the_account(
    client, account_a, manager_a, operator, department_a
):
    stand_in = UserFactory(full_name="Sommar Vikarie", departments=[department_a])
    today = timezone.localdate()
    services.add_substitute(
        account=account_a,
        by=manager_a,
        user=stand_in,
        stands_in_for=operator,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=10),
    )
    later = UserFactory(full_name="Senare Vikarie")
    services.add_substitute(
        account=account_a,
        by=manager_a,
        user=later,
        stands_in_for=operator,
        starts_on=today + dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=40),
    )
    assert [s.user for s in account_a.current_substitutes()] == [stand_in]
    assert SocialAccount.objects.run_by(stand_in).filter(pk=account_a.pk).exists()
    assert not SocialAccount.objects.run_by(later).exists()
    client.force_login(manager_a)
    page = client.get(account_a.get_absolute_url()).content.decode()
    assert "Sommar Vikarie" in page


def test_substitute_dates_must_be_in_order(account_a, manager_a, operator):
    today = timezone.localdate()
    with pytest.raises(TransitionRefused):
        services.add_substitute(
            account=account_a,
            by=manager_a,
            user=UserFactory(),
            stands_in_for=operator,
            starts_on=today,
            ends_on=today - dt.timedelta(days=1),
        )


def test_assignment_granted_and_revoked(client, account_a, manager_a, department_a):
    editor = UserFactory(full_name="Eva Editor", departments=[department_a])
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:assignment_grant", args=[account_a.pk]),
        {
            "assignment-user": editor.pk,
            "assignment-accounts": [account_a.pk],
            "assignment-granted_on": "2026-02-01",
            "assignment-note": "Publicera evenemang",
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(user=editor)
    assert assignment.granted_by == manager_a
    assert list(assignment.accounts.all()) == [account_a]
    assert SocialAccount.objects.run_by(editor).filter(pk=account_a.pk).exists()
    client.post(reverse("registry:assignment_revoke", args=[account_a.pk, assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None and assignment.revoked_by == manager_a
    assert not SocialAccount.objects.run_by(editor).exists()
    with pytest.raises(TransitionRefused):
        services.revoke_assignment(assignment=assignment, by=manager_a)


def test_manager_cannot_grant_assignment_for_another_departments_account(
    client, account_a, account_b, manager_a
):
    client.force_login(manager_a)
    response = client.post(
        reverse("registry:assignment_grant", args=[account_a.pk]),
        {
            "assignment-user": UserFactory().pk,
            "assignment-accounts": [account_b.pk],
            "assignment-granted_on": "2026-02-01",
        },
    )
    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_credential_holders_at_least_two_and_no_password_text(
    client, account_a, manager_a, operator, deputy
):
    client.force_login(manager_a)
    for user in (operator, deputy):
        client.post(reverse("registry:holder_add", args=[account_a.pk]), {"holder-user": user.pk})
    assert account_a.credential_holders.count() == 2
    holder = account_a.credential_holders.first()
    response = client.post(
        reverse("registry:holder_remove", args=[account_a.pk, holder.pk]), follow=True
    )
    assert "minst två" in response.content.decode()
    assert account_a.credential_holders.count() == 2
    response = client.post(
        reverse("registry:location_set", args=[account_a.pk]),
        {"location-location": "lösenord: hemligt123"},
    )
    assert response.status_code == 400
    client.post(
        reverse("registry:location_set", args=[account_a.pk]),
        {"location-location": "Lösenordshanteraren, valv KoF"},
    )
    account_a.refresh_from_db()
    assert account_a.credentials_location == "Lösenordshanteraren, valv KoF"


def test_operator_quick_weekly_entry_and_correction(client, account_a, operator):
    client.force_login(operator)
    url = reverse("registry:activity_add", args=[account_a.pk])
    client.post(url, {"activity-week": "2026-01-07", "activity-posts": "2"})
    client.post(url, {"activity-week": "2026-01-05", "activity-posts": "4"})
    entry = ActivityEntry.objects.get(account=account_a)
    assert entry.week_start == dt.date(2026, 1, 5) and entry.posts == 4
    assert entry.entered_by == operator
    future = timezone.localdate() + dt.timedelta(days=14)
    client.post(url, {"activity-week": future.isoformat(), "activity-posts": "1"})
    assert ActivityEntry.objects.count() == 1


def test_csv_import(client, account_a, operator):
    client.force_login(operator)
    csv = "vecka;inlägg\n2026-W02;3\n2026-01-12;1\n2026-W04;0\n".encode()
    response = client.post(
        reverse("registry:activity_import", args=[account_a.pk]),
        {"file": SimpleUploadedFile("aktivitet.csv", csv, "text/csv")},
    )
    assert response.status_code == 302
    weeks = dict(ActivityEntry.objects.values_list("week_start", "posts"))
    assert weeks == {dt.date(2026, 1, 5): 3, dt.date(2026, 1, 12): 1, dt.date(2026, 1, 19): 0}


def test_csv_import_with_errors_stores_nothing(client, account_a, operator):
    client.force_login(operator)
    csv = "vecka,posts\n2026-W02,3\nigår,x\n".encode()
    response = client.post(
        reverse("registry:activity_import", args=[account_a.pk]),
        {"file": SimpleUploadedFile("a.csv", csv, "text/csv")},
    )
    assert response.status_code == 200
    assert "Rad 3" in response.content.decode()
    assert not ActivityEntry.objects.exists()


def test_posting_target_and_annual_plan(client, account_a, operator):
    client.force_login(operator)
    client.post(
        reverse("registry:target_set", args=[account_a.pk]),
        {"posts_per_week": "5", "annual_plan": "Januari: sportlov"},
    )
    account_a.refresh_from_db()
    assert account_a.posts_per_week == 5 and account_a.annual_plan == "Januari: sportlov"


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("vecka;inlägg\n2026-W02;3\n2026-W03;99999999999999999999\n", "Rad 3"),
        ("vecka;inlägg\n2026-W02;70000\n", "Rad 2"),
        ("vecka;inlägg\n2026-W02;1001\n", "Rad 2"),
        ("2026-W02;-1\n", "Rad 1"),
    ],
)
def test_csv_import_keeps_posts_within_the_weekly_bounds(client, account_a, operator, csv, message):
    client.force_login(operator)
    response = client.post(
        reverse("registry:activity_import", args=[account_a.pk]),
        {"file": SimpleUploadedFile("a.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ActivityEntry.objects.exists()


def test_csv_import_of_an_unreadable_file_is_a_form_error(client, account_a, operator):
    client.force_login(operator)
    csv = ("2026-W02;" + "1" * 140_000 + "\n").encode()
    response = client.post(
        reverse("registry:activity_import", args=[account_a.pk]),
        {"file": SimpleUploadedFile("a.csv", csv, "text/csv")},
    )
    assert response.status_code == 200
    assert "går inte att läsa" in response.content.decode()
    assert not ActivityEntry.objects.exists()
