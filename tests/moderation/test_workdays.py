"""Working days around Easter, Midsummer, Christmas and weekends (MOD-5)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from moderation.workdays import WorkCalendar, midsummer_eve

TZ = ZoneInfo("Europe/Stockholm")
cal = WorkCalendar()


def at(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def test_friday_before_midsummer_at_16_is_due_at_the_end_of_monday():
    # 2026-06-19 is midsommarafton, a de-facto day off: the clock starts on Monday 22 June.
    assert midsummer_eve(2026) == dt.date(2026, 6, 19)
    assert cal.due_at(at(2026, 6, 19, 16)) == at(2026, 6, 22, 23, 59).replace(second=59)


def test_thursday_before_midsummer_skips_the_eve_and_the_weekend():
    assert cal.due_at(at(2026, 6, 18, 16)) == at(2026, 6, 22, 16)


def test_midsummer_eve_counts_as_working_day_when_the_organisation_says_so():
    working = WorkCalendar(de_facto_eves=False)
    assert working.is_working_day(dt.date(2026, 6, 19))
    assert working.due_at(at(2026, 6, 18, 16)) == at(2026, 6, 19, 16)


def test_ordinary_friday_afternoon_is_due_monday_same_time():
    assert cal.due_at(at(2026, 3, 13, 16)) == at(2026, 3, 16, 16)


@pytest.mark.parametrize("day", [dt.date(2026, 3, 14), dt.date(2026, 3, 15)])
def test_weekends_are_never_working_days(day):
    # Handled explicitly: some `holidays` versions list Sundays, some don't.
    assert not cal.is_working_day(day)


def test_easter_maundy_thursday_is_due_the_tuesday_after_easter_monday():
    # Långfredag 3 April, påskdagen 5 April, annandag påsk 6 April 2026.
    assert cal.is_working_day(dt.date(2026, 4, 2))
    for day in (3, 4, 5, 6):
        assert not cal.is_working_day(dt.date(2026, 4, day))
    assert cal.due_at(at(2026, 4, 2, 10)) == at(2026, 4, 7, 10)


def test_christmas_eve_and_new_years_eve_are_days_off():
    # 23 Dec 2026 is a Wednesday: julafton, juldagen, annandag jul and the weekend follow.
    assert cal.due_at(at(2026, 12, 23, 14)) == at(2026, 12, 28, 14)
    assert not cal.is_working_day(dt.date(2026, 12, 31))
    assert cal.due_at(at(2026, 12, 30, 9)) == at(2027, 1, 4, 9)  # nyårsdagen Fri, weekend


def test_a_question_on_a_saturday_is_due_at_the_end_of_monday():
    assert cal.due_at(at(2026, 3, 14, 11)) == at(2026, 3, 16, 23, 59).replace(second=59)


def test_the_organisations_own_closed_days_count_as_days_off():
    # Kristi himmelsfärd 14 May 2026, and the klämdag after it closed by the organisation.
    closed = WorkCalendar(closed_days=[dt.date(2026, 5, 15)])
    assert closed.due_at(at(2026, 5, 13, 9)) == at(2026, 5, 18, 9)
    assert cal.due_at(at(2026, 5, 13, 9)) == at(2026, 5, 15, 9)


def test_rule_length_is_a_parameter():
    assert cal.due_at(at(2026, 3, 16, 9), 3) == at(2026, 3, 19, 9)


def test_working_days_between():
    assert cal.working_days_between(dt.date(2026, 3, 13), dt.date(2026, 3, 17)) == 2
    assert cal.working_days_between(dt.date(2026, 4, 2), dt.date(2026, 4, 7)) == 1


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        cal.due_at(dt.datetime(2026, 3, 13, 16))
