"""Helpers for the moderation tests: removal records and incoming items built through the
services, as the pages build them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from moderation import services
from moderation.models import IncomingItem, RegistrationDecision, RemovalReason
from tests.lib.conftest import tsa, tsa_server  # noqa: F401 - the local RFC 3161 TSA

SECRET = "Personnummer 19800101-1234 och diagnosen hos brukaren"


def reason(code: str) -> RemovalReason:
    return RemovalReason.objects.get(code=code)


def make_removal(account, by, *, code="krankande", content="Du är en idiot", **extra):
    now = timezone.now()
    fields = {
        "account": account,
        "reason": reason(code),
        "kind": "comment",
        "posted_at": now - dt.timedelta(hours=2),
        "removed_at": now - dt.timedelta(hours=1),
        "motivation": "Personangrepp mot en annan besökare",
        "registration_decision": RegistrationDecision.PASSING,
        "content": content,
        "context": "Tråden om sommarlovet",
        "sender_name": "Arg Person",
    }
    fields.update(extra)
    return services.log_removal(by=by, **fields)


def tamper(sql: str, params: list | None = None) -> None:
    """Change the database as someone with write access to it would: directly, past the
    product, with the PostgreSQL guards switched off (the table owner's rights)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])


def make_incoming(account, by, *, kind=IncomingItem.Kind.QUESTION, received_at=None, **extra):
    return services.log_incoming(
        by=by,
        account=account,
        kind=kind,
        received_at=received_at or timezone.now(),
        text=extra.pop("text", "När öppnar simhallen?"),
        **extra,
    )


@pytest.fixture
def secret_record(account_a, operator):
    """A confidential removal on account_a (reason: sekretess)."""
    return make_removal(
        account_a,
        operator,
        code="sekretess",
        content=SECRET,
        registration_decision=RegistrationDecision.CONFIDENTIAL,
    )
