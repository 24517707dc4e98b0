"""A confidential incoming item (MOD-3) is handled only by those who may read it: the
unpublish form prefilled from it shows a non-reader neither link nor content, the removal
it leads to is always confidential, and a non-reader can neither close it nor give the
asker a notice (besked). The decisions live in accounts.permissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import permissions as perms
from moderation import services
from moderation.models import IncomingItem, RegistrationDecision, RemovedPost
from tests.factories import UserFactory
from tests.moderation.conftest import SECRET, make_incoming, reason

pytestmark = pytest.mark.django_db

LINK = "https://www.facebook.com/fritidsfabriken/posts/hemlig-123"


@pytest.fixture
def non_reader(department_a):
    """An operator of the department who neither owns nor deputises for account_a: handles
    its incoming items, may not read confidential content."""
    return UserFactory(full_name="Nils Nyfiken", roles=["redaktor"], departments=[department_a])


@pytest.fixture
def secret_item(account_a, operator):
    return make_incoming(
        account_a,
        operator,
        kind=IncomingItem.Kind.COMMENT,
        text=SECRET,
        url=LINK,
        sender_name="Hemlig Avsändare",
        confidential=True,
    )


def _unpublish_url(item: IncomingItem) -> str:
    return reverse("moderation:removal_create") + f"?incoming={item.pk}"


def test_the_rule_names_readers_only(secret_item, non_reader, operator, account_a):
    assert perms.can(non_reader, "moderation.handle_incoming", account_a)
    assert not perms.can(non_reader, "moderation.handle_item", secret_item)
    assert perms.can(operator, "moderation.handle_item", secret_item)


def test_prefilled_unpublish_form_is_refused_to_a_non_reader(client, secret_item, non_reader):
    client.force_login(non_reader)
    response = client.get(_unpublish_url(secret_item))
    assert response.status_code == 403
    body = response.content.decode()
    for hidden in (LINK, "hemlig-123", "19800101", "Hemlig Avsändare"):
        assert hidden not in body


def test_a_reader_gets_the_form_prefilled(client, secret_item, operator):
    client.force_login(operator)
    form = client.get(_unpublish_url(secret_item)).context["form"]
    assert form.initial["post_url"] == LINK and form.initial["content"] == SECRET


def _unpublish(client, item, **extra):
    data = {
        "account": item.account_id,
        "kind": "comment",
        "posted_at": "2026-03-16T09:00",
        "removed_at": "2026-03-16T10:00",
        "reason": reason("krankande").pk,
        "motivation": "Personangrepp",
        "content": "Texten som den stod på sidan",
        "registration_decision": RegistrationDecision.CONFIDENTIAL,
        "incoming": item.pk,
    }
    data.update(extra)
    return client.post(reverse("moderation:removal_create"), data)


def test_a_non_reader_can_neither_unpublish_nor_close_it(client, secret_item, non_reader):
    """Unpublishing closes the item: a non-reader can't log it at all, confidential or not."""
    client.force_login(non_reader)
    for decision in (RegistrationDecision.PASSING, RegistrationDecision.CONFIDENTIAL):
        response = _unpublish(client, secret_item, registration_decision=decision)
        assert response.status_code == 403
    assert not RemovedPost.objects.exists()
    secret_item.refresh_from_db()
    assert secret_item.is_open
    page = client.get(secret_item.get_absolute_url()).content.decode()
    assert reverse("moderation:removal_create") not in page


def test_the_service_keeps_a_confidential_items_removal_confidential(
    secret_item, operator, account_a
):
    record = services.log_removal(
        by=operator,
        account=account_a,
        reason=reason("krankande"),
        kind="comment",
        posted_at=secret_item.received_at,
        removed_at=secret_item.received_at,
        motivation="Personangrepp",
        registration_decision=RegistrationDecision.LEADS_TO_ACTION,
        content=SECRET,
        confidential=False,
        incoming=secret_item,
    )
    assert record.confidential


def test_a_non_reader_can_neither_close_nor_acknowledge(client, secret_item, non_reader):
    client.force_login(non_reader)
    close = client.post(
        reverse("moderation:incoming_close", args=[secret_item.pk]),
        {"outcome": "referred", "registration_decision": RegistrationDecision.PASSING},
    )
    acknowledge = client.post(
        reverse("moderation:incoming_acknowledge", args=[secret_item.pk]),
        {"promised_answer": "Vi svarar på torsdag"},
    )
    assert (close.status_code, acknowledge.status_code) == (403, 403)
    secret_item.refresh_from_db()
    assert secret_item.is_open and secret_item.first_response_at is None
    assert secret_item.promised_answer == ""
    page = client.get(secret_item.get_absolute_url()).content.decode()
    assert reverse("moderation:incoming_acknowledge", args=[secret_item.pk]) not in page
    assert reverse("moderation:incoming_close", args=[secret_item.pk]) not in page


def test_a_reader_may_acknowledge(client, secret_item, operator):
    client.force_login(operator)
    response = client.post(
        reverse("moderation:incoming_acknowledge", args=[secret_item.pk]),
        {"promised_answer": "Vi svarar på torsdag"},
    )
    assert response.status_code == 302
    secret_item.refresh_from_db()
    assert secret_item.promised_answer == "Vi svarar på torsdag"
