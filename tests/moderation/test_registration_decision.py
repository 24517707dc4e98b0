"""MOD-4, "Diarieföring": the registration decision has no pre-selected answer; the person
decides, and a missing decision is named as such."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.models import IncomingItem, RegistrationDecision, RemovedPost
from tests.moderation.conftest import make_incoming, make_removal
from tests.moderation.test_removal_views import form_data

pytestmark = pytest.mark.django_db

MISSING = "Ange om inlägget ska diarieföras."
MISSING_ITEM = "Ange om ärendet ska diarieföras."


def _selected(html: str, name: str) -> list[str]:
    """Return the values of the options the browser would submit for select `name`."""
    import re

    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, name
    options = re.findall(r'<option value="([^"]*)"([^>]*)>', select.group(0))
    chosen = [value for value, attrs in options if "selected" in attrs]
    # Without a selected option the browser submits the first one.
    return chosen or [options[0][0]]


def test_the_removal_form_has_no_preselected_decision(client, account_a, operator):
    client.force_login(operator)
    html = client.get(reverse("moderation:removal_create")).content.decode()
    assert _selected(html, "registration_decision") == [""]


def test_a_removal_without_a_decision_is_refused_naming_the_decision(client, account_a, operator):
    client.force_login(operator)
    response = client.post(
        reverse("moderation:removal_create"), form_data(account_a, registration_decision="")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["registration_decision"] == [MISSING]
    assert not RemovedPost.objects.exists()


def test_the_closing_form_has_no_preselected_decision(client, account_a, operator):
    item = make_incoming(account_a, operator)
    client.force_login(operator)
    html = client.get(item.get_absolute_url()).content.decode()
    assert _selected(html, "registration_decision") == [""]


def test_a_simple_question_answered_at_once_needs_a_decision_not_a_diarienummer(
    client, account_a, operator
):
    item = make_incoming(account_a, operator)
    client.force_login(operator)
    reply = "Simhallen öppnar kl 7.\n/Rasmus Redaktör, Fritidsledare, Kultur och fritid"
    data = {
        "outcome": "answered",
        "reply": reply,
        "signed_name": "Rasmus Redaktör",
        "signed_title": "Fritidsledare",
        "signed_office": "Kultur och fritid",
    }
    url = reverse("moderation:incoming_close", args=[item.pk])
    response = client.post(url, {**data, "registration_decision": ""})
    assert response.status_code == 400
    errors = response.context["close_form"].errors
    assert errors["registration_decision"] == [MISSING_ITEM]
    assert "diarienummer" not in errors
    item.refresh_from_db()
    assert item.is_open
    response = client.post(url, {**data, "registration_decision": RegistrationDecision.PASSING})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.outcome == IncomingItem.Outcome.ANSWERED
    assert item.registration_decision == RegistrationDecision.PASSING


def test_the_correction_form_keeps_the_records_decision(client, account_a, operator):
    record = make_removal(account_a, operator)
    client.force_login(operator)
    html = client.get(reverse("moderation:removal_correct", args=[record.pk])).content.decode()
    assert _selected(html, "registration_decision") == [RegistrationDecision.PASSING]


# The same fault in the type fields: a pre-selected "Inlägg" or "Fråga" records a fact
# nobody chose (MOD-1 saves "all its information"; only questions run the MOD-5 clock).


def test_the_type_of_a_removal_or_incoming_item_is_chosen_not_preselected(
    client, account_a, operator
):
    client.force_login(operator)
    removal = client.get(reverse("moderation:removal_create")).content.decode()
    incoming = client.get(reverse("moderation:incoming_create")).content.decode()
    assert _selected(removal, "kind") == [""] and _selected(incoming, "kind") == [""]
    response = client.post(reverse("moderation:removal_create"), form_data(account_a, kind=""))
    assert response.context["form"].errors["kind"] == ["Ange vilken typ av inlägg det var."]
    response = client.post(
        reverse("moderation:incoming_create"),
        {"account": account_a.pk, "received_at": "2026-03-16T09:00", "kind": "", "text": "Hej"},
    )
    assert response.context["form"].errors["kind"] == ["Ange vilken typ av ärende det är."]
    assert not RemovedPost.objects.exists() and not IncomingItem.objects.exists()


def test_unpublishing_an_incoming_item_still_prefills_its_type(client, account_a, operator):
    item = make_incoming(account_a, operator, kind=IncomingItem.Kind.COMMENT)
    client.force_login(operator)
    html = client.get(
        reverse("moderation:removal_create") + f"?incoming={item.pk}"
    ).content.decode()
    assert _selected(html, "kind") == ["comment"]
