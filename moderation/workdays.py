"""Working-day arithmetic for the response-time rule (MOD-5, "Frekvenser och svarstider").

Framework-free: the caller passes the organisation's own closed days and the time zone, so
the rules can be tested without a database. `moderation.services.calendar()` builds the
calendar from settings and the `ClosedDay` table.

What is a working day here:
- Monday to Friday. Weekends are excluded explicitly rather than trusted to the `holidays`
  package, because some versions of its Swedish calendar list every Sunday as a holiday
  and others do not.
- Not a Swedish public holiday (helgdag) from the `holidays` package, public category only.
- Not one of the de-facto closed eves: midsommarafton, julafton and nyårsafton. They are not
  public holidays by law, but Swedish municipalities keep their offices closed on them and
  staff are off (the `holidays` package itself lists them in its "de_facto" category, which
  not every installed version has, hence the explicit rule here). A citizen who asks on
  julafton cannot fairly expect an answer that day, and counting it would make the
  one-working-day rule report overdue items nobody could have answered. Påskafton is
  always a Saturday, so it needs no rule. `de_facto_eves=False` turns this off for an
  organisation that works on those days (setting MODERATION_DE_FACTO_EVES_CLOSED).
- Not one of the organisation's own closed days (klämdagar and the like), from the admin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    calendar = holidays.country_holidays(country, years=year)
    return frozenset(calendar.keys())


def midsummer_eve(year: int) -> dt.date:
    """Return midsommarafton: the Friday between 19 and 25 June."""
    day = dt.date(year, 6, 19)
    return day + dt.timedelta(days=(4 - day.weekday()) % 7)


def de_facto_eves(year: int) -> frozenset[dt.date]:
    """Return the eves Swedish municipalities treat as Sundays (see the module docstring)."""
    return frozenset({midsummer_eve(year), dt.date(year, 12, 24), dt.date(year, 12, 31)})


class WorkCalendar:
    """Answer "is this a working day?" and count working days for one organisation."""

    def __init__(
        self,
        *,
        closed_days: Iterable[dt.date] = (),
        tz: str = "Europe/Stockholm",
        country: str = "SE",
        de_facto_eves: bool = True,
    ) -> None:
        self.closed_days = frozenset(closed_days)
        self.tz = ZoneInfo(tz)
        self.country = country
        self.use_eves = de_facto_eves

    def is_working_day(self, day: dt.date) -> bool:
        """Return whether `day` is a working day (weekday, not a holiday or closed day)."""
        if day.weekday() >= 5:
            return False
        if day in _public_holidays(self.country, day.year):
            return False
        if self.use_eves and day in de_facto_eves(day.year):
            return False
        return day not in self.closed_days

    def next_working_day(self, day: dt.date) -> dt.date:
        """Return the first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """Return the working day `count` working days after `day` (count >= 0)."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Return how many working days lie after `start` up to and including `end`."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def due_at(self, received: dt.datetime, working_days: int = 1) -> dt.datetime:
        """Return when an answer is due for something received at `received` (aware).

        Received on a working day: the same clock time `working_days` working days later
        (a question on an ordinary Friday at 16:00 is due Monday at 16:00). Received on a
        day off: the clock starts with the next working day, so the answer is due at the
        end of the `working_days`-th working day after it.
        """
        if received.tzinfo is None:
            raise ValueError("received must be timezone-aware")
        working_days = max(1, working_days)
        local = received.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day):
            target = self.add_working_days(day, working_days)
            return dt.datetime.combine(target, local.time().replace(tzinfo=None), self.tz)
        first = self.next_working_day(day)
        last = self.add_working_days(first, working_days - 1)
        return dt.datetime.combine(last, dt.time(23, 59, 59), self.tz)
