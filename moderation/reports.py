"""Report figures (issue 4, "Reports"): removals per reason and month, per account and
department; the share of questions answered within the rule and the median response
time per department (MOD-5)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from statistics import median
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from moderation.models import IncomingItem, RemovedPost


@dataclass
class DepartmentResponse:
    department: str
    items: int
    answered: int
    within_rule: int
    median_hours: float | None
    # Questions still without a response whose due time has passed.
    overdue: int = 0

    @property
    def decided(self) -> int:
        """Questions whose timeliness is known: answered, or past due without an answer.
        An open question not yet due may still be answered in time, so it is in no share."""
        return self.answered + self.overdue

    @property
    def share_within(self) -> float:
        """Percent answered in time (MOD-5): an open question past its due time is not in
        time, so it counts in the denominator like a late answer."""
        return 100.0 * self.within_rule / self.decided if self.decided else 0.0


def removals_by_reason_month(qs: QuerySet[RemovedPost]) -> list[dict[str, Any]]:
    rows = (
        qs.annotate(month=TruncMonth("removed_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "reason__label")
        .annotate(n=Count("id"))
        .order_by("month", "reason__label")
    )
    return [
        {
            "month": r["month"].strftime("%Y-%m") if r["month"] else "",
            "reason": r["reason__label"],
            "count": r["n"],
        }
        for r in rows
    ]


def removals_by_reason(qs: QuerySet[RemovedPost]) -> list[tuple[str, int]]:
    rows = qs.values("reason__label").annotate(n=Count("id")).order_by("-n", "reason__label")
    return [(r["reason__label"], r["n"]) for r in rows]


def removals_by_account(qs: QuerySet[RemovedPost]) -> list[dict[str, Any]]:
    rows = (
        qs.values("account__platform__name", "account__name", "account__department__name")
        .annotate(n=Count("id"))
        .order_by("-n", "account__name")
    )
    return [
        {
            "account": f"{r['account__platform__name']} {r['account__name']}",
            "department": r["account__department__name"],
            "count": r["n"],
        }
        for r in rows
    ]


def removals_by_department(qs: QuerySet[RemovedPost]) -> list[tuple[str, int]]:
    rows = qs.values("account__department__name").annotate(n=Count("id")).order_by("-n")
    return [(r["account__department__name"], r["n"]) for r in rows]


def response_by_department(
    qs: QuerySet[IncomingItem], now: dt.datetime | None = None
) -> list[DepartmentResponse]:
    """Questions only ("Frågor bör besvaras ... inom en arbetsdag", the rule's length is
    MODERATION_RESPONSE_WORKDAYS); one query."""
    now = now or timezone.now()
    rows = qs.filter(kind=IncomingItem.Kind.QUESTION).values_list(
        "account__department__name", "received_at", "due_at", "first_response_at", "closed_at"
    )
    grouped: dict[str, list[tuple[dt.datetime, dt.datetime, dt.datetime | None]]] = defaultdict(
        list
    )
    for department, received, due, first, closed in rows:
        grouped[department].append((received, due, first or closed))
    result = []
    for department in sorted(grouped):
        items = grouped[department]
        responded = [(r, d, a) for r, d, a in items if a is not None]
        hours = [(a - r).total_seconds() / 3600 for r, _d, a in responded]
        result.append(
            DepartmentResponse(
                department=department,
                items=len(items),
                answered=len(responded),
                within_rule=sum(1 for _r, d, a in responded if a <= d),
                median_hours=median(hours) if hours else None,
                overdue=sum(1 for _r, d, a in items if a is None and d < now),
            )
        )
    return result
