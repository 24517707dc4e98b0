"""Refuse requests that no page can answer, before any view turns them into a query."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from nykvarn_sm.lib.formfields import earliest_date, latest_date

# The parts of a date that the admin's date hierarchy puts in the query string
# (`?created_at__year=2026&created_at__month=7`), and the comparisons one may add to them.
DATE_PARTS = ("year", "month", "day")
COMPARISONS = ("", "exact", "gt", "gte", "lt", "lte")
_NUMBER = re.compile(r"[0-9]{1,4}")


def _has_nul(values: Iterable[str]) -> bool:
    return any("\x00" in value for value in values)


def _query_has_nul(query: QueryDict) -> bool:
    return any("\x00" in key or _has_nul(values) for key, values in query.lists())


def has_nul(request: HttpRequest) -> bool:
    """Return whether a NUL character is anywhere the client chose text for this request.

    PostgreSQL refuses NUL in text, so a NUL that reaches a query (a search box, a filter,
    the session cookie, the user agent django-axes stores) is a server error there; no page
    has a use for one.
    """
    return (
        "\x00" in request.path
        or _query_has_nul(request.GET)
        or _query_has_nul(request.POST)
        or _has_nul(request.COOKIES.keys())
        or _has_nul(request.COOKIES.values())
        or _has_nul(str(v) for k, v in request.META.items() if k.startswith("HTTP_"))
    )


def date_parts_are_valid(query: QueryDict) -> bool:
    """Return whether every `<field>__year/__month/__day` in `query` names a real date
    within the product's date bounds (EARLIEST_DATE, LATEST_DATE_YEARS).

    Django's changelist computes the end of the chosen period (year + 1, month + 32 days)
    outside its own error handling, so year 9999 or a year Python can't hold was a 500 on
    every admin list with a date hierarchy; a year outside the bounds has no rows anyway.
    """
    dates: dict[str, dict[str, int]] = {}
    for key, values in query.lists():
        segments = key.split("__")
        for index, segment in enumerate(segments[1:], start=1):
            if segment not in DATE_PARTS:
                continue
            if "__".join(segments[index + 1 :]) not in COMPARISONS:
                return False
            if not all(_NUMBER.fullmatch(value) for value in values) or not values:
                return False
            field = "__".join(segments[:index])
            dates.setdefault(field, {})[segment] = int(values[-1])
            break
    low, high = earliest_date(), latest_date()
    for parts in dates.values():
        year = parts.get("year", low.year)
        if not low.year <= year <= high.year:
            return False
        try:
            dt.date(year, parts.get("month", 1), parts.get("day", 1))
        except ValueError:
            return False
    return True


class BadInputMiddleware:
    """Answer 400 to input that could only make a page fail: NUL characters anywhere, and
    admin date-hierarchy parameters that are not a date the product can hold."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            return HttpResponseBadRequest(_("Begäran innehåller ett otillåtet tecken (NUL)."))
        if request.path.startswith(reverse("admin:index")) and not date_parts_are_valid(
            request.GET
        ):
            return HttpResponseBadRequest(_("Ogiltigt datum i adressen."))
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Send `Cache-Control: private, no-store` with every page shown to a signed-in user.

    Staff pages show public records' content, confidential removals included, on the home
    page and the account pages as well as in the logs: no shared proxy or browser cache may
    keep them. A view that sets its own Cache-Control (the public channel list) keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
