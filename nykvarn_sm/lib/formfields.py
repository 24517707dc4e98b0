"""Form fields that refuse what the product could store but never show or compute with.

A date is typed by hand into records that everyone reads afterwards. Year 1 in
Europe/Stockholm is year 0 in UTC, which PostgreSQL stores but Python cannot read back: one
such value made every page that showed the account answer 500. So every date and time a
person types is bounded here, with a message that says what is allowed, and the bounds are
settings (`EARLIEST_DATE`, `LATEST_DATE_YEARS`) rather than numbers spread over the forms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

# Ids arrive as text from the browser; beyond a 32-bit integer they overflow SQLite's binding
# and PostgreSQL's integer columns (a DataError, i.e. a 500), so they are refused first.
MAX_ID = 2**31 - 1


def earliest_date() -> dt.date:
    """Return the earliest date a person may type anywhere (settings.EARLIEST_DATE)."""
    return dt.date.fromisoformat(str(getattr(settings, "EARLIEST_DATE", "2000-01-01")))


def latest_date() -> dt.date:
    """Return the latest date a person may type: LATEST_DATE_YEARS from today."""
    years = int(getattr(settings, "LATEST_DATE_YEARS", 10))
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


DateBound = dt.date | Callable[[], dt.date] | None


def _resolve(bound: DateBound, default: Callable[[], dt.date]) -> dt.date:
    if bound is None:
        return default()
    return bound() if callable(bound) else bound


def _check_bounds(day: dt.date, earliest: DateBound, latest: DateBound) -> None:
    low, high = _resolve(earliest, earliest_date), _resolve(latest, latest_date)
    if not low <= day <= high:
        raise ValidationError(
            _("Ange ett datum mellan %(low)s och %(high)s."),
            code="date_out_of_range",
            params={
                "low": formats.date_format(low, "Y-m-d"),
                "high": formats.date_format(high, "Y-m-d"),
            },
        )


class DateField(forms.DateField):
    """A date within the product's bounds (see the module's docstring).

    `earliest` and `latest` narrow the bounds for one field, e.g. `latest=timezone.localdate`
    for something that has already happened.
    """

    def __init__(self, *, earliest: DateBound = None, latest: DateBound = None, **kwargs: Any):
        self.earliest, self.latest = earliest, latest
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        try:
            return super().to_python(value)
        except OverflowError as exc:  # a year beyond what Python's date holds
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None:
            _check_bounds(value, self.earliest, self.latest)


class DateTimeField(forms.DateTimeField):
    """A date and time within the product's bounds, judged by its local date."""

    def __init__(self, *, earliest: DateBound = None, latest: DateBound = None, **kwargs: Any):
        self.earliest, self.latest = earliest, latest
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        try:
            return super().to_python(value)
        except OverflowError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None:
            day = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
            _check_bounds(day, self.earliest, self.latest)


def check_ids(values: Any) -> None:
    """Refuse ids that are not positive 32-bit integers, before any query sees them."""
    for value in values or ():
        try:
            number = int(str(value))
        except ValueError:
            continue  # Django's own check names it as an invalid choice
        if not 0 < number <= MAX_ID:
            raise ValidationError(
                _("%(value)s är inget giltigt val."),
                code="invalid_pk_value",
                params={"value": value},
            )


class ModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Django's ModelChoiceField, refusing ids that would overflow the database column."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            check_ids([value])
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Django's ModelMultipleChoiceField, refusing ids that would overflow the column."""

    def _check_values(self, value: Any) -> Any:
        check_ids(value)
        return super()._check_values(value)  # type: ignore[misc]  # private, not in the stubs
