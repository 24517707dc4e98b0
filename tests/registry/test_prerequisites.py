"""Activation prerequisites (REG-4 deputy, REG-5 two credential holders and where they are
kept): asked for on the people page, shown in the account page's next steps from the
draft on, and a refused activation keeps the channel strategy the officer typed."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry import services
from registry.models import CredentialHolder, SocialAccount

pytestmark = pytest.mark.django_db
S = SocialAccount.State
STRATEGY = "Två inlägg i veckan om lovaktiviteter; uppföljning varje kvartal med kommunikatören."


@pytest.fixture
def unprepared_a(draft_a):
    """The complete draft, but nobody holds the login and nobody knows where it is kept."""
    CredentialHolder.objects.filter(account=draft_a).delete()
    SocialAccount.objects.filter(pk=draft_a.pk).update(credentials_location="")
    draft_a.refresh_from_db()
    return draft_a


def test_the_people_page_asks_for_what_activation_needs(client, unprepared_a, manager_a):
    client.force_login(manager_a)
    page = client.get(reverse("registry:people", args=[unprepared_a.pk])).content.decode()
    assert "Innan kontot kan aktiveras" in page
    assert "minst två personer" in page
    assert "Ange var inloggningsuppgifterna förvaras." in page


def test_the_people_page_says_when_activation_needs_nothing_more(client, draft_a, manager_a):
    client.force_login(manager_a)
    page = client.get(reverse("registry:people", args=[draft_a.pk])).content.decode()
    assert "Personer och inloggning är klara för aktivering." in page


@pytest.mark.parametrize("persona", ["operator", "manager_a", "communications_officer"])
def test_next_steps_show_the_prerequisites_from_the_draft_on(
    client, request, unprepared_a, persona
):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(unprepared_a.get_absolute_url()).content.decode()
    assert "Innan kontot kan aktiveras behövs också" in page
    assert "minst två personer" in page


def test_next_steps_link_the_people_page_for_those_who_set_the_people(
    client, unprepared_a, manager_a, operator
):
    people = reverse("registry:people", args=[unprepared_a.pk])
    client.force_login(manager_a)
    assert people in client.get(unprepared_a.get_absolute_url()).content.decode()
    client.force_login(operator)
    page = client.get(unprepared_a.get_absolute_url()).content.decode()
    assert people not in page and "Verksamhetens chef anger det" in page


@pytest.fixture
def approved_unprepared(unprepared_a, operator, manager_a):
    services.submit(account=unprepared_a, by=operator)
    services.approve(account=unprepared_a, by=manager_a)
    return unprepared_a


def test_a_refused_activation_keeps_the_strategy_in_the_browser(
    client, approved_unprepared, communications_officer
):
    client.force_login(communications_officer)
    response = client.post(
        reverse("registry:activate", args=[approved_unprepared.pk]),
        {"channel_strategy": STRATEGY},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert STRATEGY in page
    assert "minst två personer" in page
    approved_unprepared.refresh_from_db()
    assert approved_unprepared.state == S.MANAGER_APPROVED
    assert approved_unprepared.channel_strategy == ""


def test_a_refused_activation_keeps_the_strategy_in_the_admin_action(
    client, approved_unprepared, communications_officer
):
    client.force_login(communications_officer)
    response = client.post(
        reverse("admin:registry_socialaccount_changelist"),
        {
            "action": "activate",
            ACTION_CHECKBOX_NAME: [approved_unprepared.pk],
            "apply": "1",
            "channel_strategy": STRATEGY,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert STRATEGY in page  # the action's form again, as typed
    assert 'name="channel_strategy"' in page
    assert str(approved_unprepared.pk) in page
    assert "minst två personer" in page  # and why, beside it
    assert SocialAccount.objects.get(pk=approved_unprepared.pk).state == S.MANAGER_APPROVED
