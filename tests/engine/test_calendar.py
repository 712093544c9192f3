"""Tests for the statutory working-day calendar."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odr.clock import SHANGHAI
from odr.engine.calendar import WorkingCalendar

REPO_CALENDAR = Path(__file__).resolve().parents[2] / "workflows" / "calendar.yaml"

# One shared instance, as the service would hold: its caches make the property test cheap.
CAL = WorkingCalendar()


def sh(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """Return an aware Asia/Shanghai datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> datetime:
    """Return 23:59:59 Shanghai of a date, expressed in UTC (15:59:59Z)."""
    return datetime(year, month, day, 15, 59, 59, tzinfo=UTC)


def calendar_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return warnings logged by odr.calendar."""
    return [r for r in caplog.records if r.name == "odr.calendar" and r.levelno == logging.WARNING]


# --- the 2026 data the tests rely on, checked against chinesecalendar itself ---------------


def test_chinese_calendar_2026_spring_festival_data() -> None:
    """Spring Festival 2026: off 15-23 February, make-up Saturdays 14 and 28 February."""
    off = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]
    assert all(not chinese_calendar.is_workday(d) for d in off)
    assert date(2026, 2, 14).weekday() == 5 and chinese_calendar.is_workday(date(2026, 2, 14))
    assert date(2026, 2, 28).weekday() == 5 and chinese_calendar.is_workday(date(2026, 2, 28))
    assert chinese_calendar.is_workday(date(2026, 2, 24))


def test_chinese_calendar_2026_national_day_data() -> None:
    """2026: Mid-Autumn 25-27 Sep, National Day 1-7 Oct; make-up Sun 20 Sep and Sat 10 Oct."""
    for d in [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)]:
        assert not chinese_calendar.is_workday(d)
    for i in range(7):
        assert not chinese_calendar.is_workday(date(2026, 10, 1) + timedelta(days=i))
    # The make-up days are a Sunday and a Saturday.
    assert date(2026, 9, 20).weekday() == 6 and chinese_calendar.is_workday(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and chinese_calendar.is_workday(date(2026, 10, 10))
    # Between the two holidays the week is an ordinary working week.
    for d in [date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30)]:
        assert chinese_calendar.is_workday(d)


# --- add_working_days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, end_of(2026, 2, 13)),  # Friday
        (2, end_of(2026, 2, 14)),  # Saturday, make-up working day (调休)
        (3, end_of(2026, 2, 24)),  # first day after the 15-23 Feb holiday
        (6, end_of(2026, 2, 27)),
        (7, end_of(2026, 2, 28)),  # Saturday, make-up working day
        (8, end_of(2026, 3, 2)),  # Sunday 1 March is a normal day off
    ],
)
def test_add_working_days_across_spring_festival(days: int, expected: datetime) -> None:
    """Deadlines from Thursday 12 Feb 2026 skip the festival and count the 调休 Saturdays."""
    assert CAL.add_working_days(sh(2026, 2, 12), days) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (sh(2026, 9, 18), 1, end_of(2026, 9, 20)),  # Sunday 20 Sept is a make-up day
        (sh(2026, 9, 18), 2, end_of(2026, 9, 21)),
        (sh(2026, 9, 24), 1, end_of(2026, 9, 28)),  # skips Mid-Autumn 25-27 Sept
        (sh(2026, 9, 30), 1, end_of(2026, 10, 8)),  # skips National Day 1-7 Oct
        (sh(2026, 9, 30), 3, end_of(2026, 10, 10)),  # Saturday 10 Oct is a make-up day
        (sh(2026, 9, 30), 4, end_of(2026, 10, 12)),
        (sh(2026, 9, 24), 15, end_of(2026, 10, 22)),
    ],
)
def test_add_working_days_across_national_day(
    start: datetime, days: int, expected: datetime
) -> None:
    """Deadlines around Mid-Autumn and National Day 2026."""
    assert CAL.add_working_days(start, days) == expected


def test_start_on_holiday() -> None:
    """A start on a holiday counts from the next working day."""
    assert CAL.add_working_days(sh(2026, 2, 17), 1) == end_of(2026, 2, 24)
    assert CAL.add_working_days(sh(2026, 10, 3), 2) == end_of(2026, 10, 9)


def test_start_on_make_up_working_day_is_not_counted() -> None:
    """The start day never counts, even when it is a working day (here a 调休 Saturday)."""
    assert CAL.add_working_days(sh(2026, 2, 14), 1) == end_of(2026, 2, 24)


def test_late_evening_start_uses_shanghai_date() -> None:
    """17:30Z on 2 March is 01:30 on 3 March in Shanghai: the period starts from the 3rd."""
    start = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    assert start.astimezone(SHANGHAI).date() == date(2026, 3, 3)
    assert CAL.add_working_days(start, 1) == end_of(2026, 3, 4)
    # One minute before midnight Shanghai time is still the 2nd.
    assert CAL.add_working_days(datetime(2026, 3, 2, 15, 59, tzinfo=UTC), 1) == end_of(2026, 3, 3)


def test_deadline_is_end_of_shanghai_day_in_utc() -> None:
    """The deadline is 23:59:59 Shanghai, returned as an aware UTC datetime (15:59:59Z)."""
    deadline = CAL.add_working_days(sh(2026, 3, 2), 1)
    assert deadline.tzinfo is UTC
    assert deadline == datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC)
    local = deadline.astimezone(SHANGHAI)
    assert (local.date(), local.hour, local.minute, local.second) == (date(2026, 3, 3), 23, 59, 59)


def test_other_timezones_are_converted() -> None:
    """Any aware timezone works; only the Shanghai date matters."""
    # 12:30 in New York on 2 March is 01:30 on 3 March in Shanghai.
    start = datetime(2026, 3, 2, 12, 30, tzinfo=ZoneInfo("America/New_York"))
    assert CAL.add_working_days(start, 1) == end_of(2026, 3, 4)


def test_invalid_arguments() -> None:
    """Naive datetimes, non-positive periods and datetimes as days are refused."""
    with pytest.raises(ValueError):
        CAL.add_working_days(datetime(2026, 3, 2, 10), 1)
    with pytest.raises(ValueError):
        CAL.add_calendar_days(datetime(2026, 3, 2, 10), 1)
    with pytest.raises(ValueError):
        CAL.working_days_left(datetime(2026, 3, 2, 10), sh(2026, 3, 2))
    with pytest.raises(ValueError):
        CAL.add_working_days(sh(2026, 3, 2), 0)
    with pytest.raises(ValueError):
        CAL.add_working_days(sh(2026, 3, 2), -3)
    with pytest.raises(ValueError):
        CAL.add_calendar_days(sh(2026, 3, 2), 0)
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2026, 3, 2, 10, tzinfo=UTC))


# --- add_calendar_days --------------------------------------------------------------------


def test_add_calendar_days() -> None:
    """Calendar days ignore holidays but still use the Shanghai date and end of day."""
    assert CAL.add_calendar_days(sh(2026, 2, 12), 7) == end_of(2026, 2, 19)
    assert CAL.add_calendar_days(datetime(2026, 3, 2, 17, 30, tzinfo=UTC), 1) == end_of(2026, 3, 4)
    assert CAL.add_calendar_days(sh(2026, 12, 25), 15) == end_of(2027, 1, 9)


# --- working_days_left / working_days_between ---------------------------------------------


def test_working_days_left_counts_down_to_zero_then_negative() -> None:
    """Remaining working days; 0 all through the deadline day; negative once past it."""
    deadline = CAL.add_working_days(sh(2026, 2, 12), 3)  # Tuesday 24 Feb, 23:59:59
    assert deadline == end_of(2026, 2, 24)
    assert CAL.working_days_left(deadline, sh(2026, 2, 12)) == 3
    assert CAL.working_days_left(deadline, sh(2026, 2, 13)) == 2
    assert CAL.working_days_left(deadline, sh(2026, 2, 14)) == 1
    assert CAL.working_days_left(deadline, sh(2026, 2, 18)) == 1  # during the holiday
    assert CAL.working_days_left(deadline, sh(2026, 2, 24, 0, 1)) == 0
    assert CAL.working_days_left(deadline, deadline) == 0
    assert CAL.working_days_left(deadline, deadline + timedelta(seconds=1)) == -1
    assert CAL.working_days_left(deadline, sh(2026, 2, 28)) == -4  # 25, 26, 27, 28 (调休)
    assert CAL.working_days_left(deadline, sh(2026, 3, 1)) == -4  # Sunday adds nothing


def test_overdue_across_holiday() -> None:
    """Overdue count skips holidays and includes make-up days."""
    deadline = end_of(2026, 2, 13)
    # Working days after 13 Feb up to 24 Feb: Saturday 14 (调休) and Tuesday 24.
    assert CAL.working_days_left(deadline, sh(2026, 2, 24)) == -2


def test_working_days_between() -> None:
    """Exclusive start, inclusive end, antisymmetric, and across year boundaries."""
    assert CAL.working_days_between(sh(2026, 2, 12), sh(2026, 2, 12, 23)) == 0
    assert CAL.working_days_between(sh(2026, 2, 12), sh(2026, 2, 24)) == 3
    assert CAL.working_days_between(sh(2026, 2, 24), sh(2026, 2, 12)) == -3
    # 2025-12-31 to 2026-01-05: 1-3 Jan off, Sunday 4 Jan is a make-up day, 5 Jan Monday.
    assert CAL.working_days_between(sh(2025, 12, 31), sh(2026, 1, 5)) == 2
    full_2026 = sum(CAL.is_working_day(date(2026, 1, 1) + timedelta(days=i)) for i in range(365))
    assert CAL.working_days_between(sh(2025, 12, 31), sh(2026, 12, 31)) == full_2026


# --- years chinesecalendar does not know --------------------------------------------------


def test_unknown_year_falls_back_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    """2027 is not in chinesecalendar: Monday-Friday less the statutory holidays, one warning
    per year, no exception."""
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    cal = WorkingCalendar()
    with caplog.at_level(logging.WARNING, logger="odr.calendar"):
        assert cal.is_working_day(date(2027, 1, 4))  # Monday
        assert not cal.is_working_day(date(2027, 1, 1))  # Friday: New Year's Day, by law
        assert not cal.is_working_day(date(2027, 1, 2))  # Saturday
        assert cal.add_working_days(sh(2026, 12, 31), 2) == end_of(2027, 1, 5)
        # 261 weekdays, 13 of them statutory holidays or days given in lieu of one.
        assert cal.working_days_between(sh(2026, 12, 31), sh(2027, 12, 31)) == 248
        warnings = calendar_warnings(caplog)
        assert len(warnings) == 1
        message = warnings[0].getMessage()
        assert "2027" in message
        assert "State Council" in message
        assert "workflows/calendar.yaml" in message
        # Another unknown year gets its own single warning; a known year none.
        cal.is_working_day(date(2028, 1, 3))
        cal.is_working_day(date(2028, 1, 4))
        cal.is_working_day(date(2026, 6, 1))
        warnings = calendar_warnings(caplog)
        assert len(warnings) == 2
        assert "2028" in warnings[1].getMessage()


def test_unknown_year_counts_the_spring_festival_as_days_off() -> None:
    """A clock running through the 2027 Spring Festival skips its statutory days off (除夕 to
    初三 and the weekdays given in lieu of the weekend ones), and stays provisional."""
    cal = WorkingCalendar()
    statutory = cal.statutory_holidays(2027)
    # 春节 2027: 除夕 Friday 5 February, 初一 Saturday 6 February (lunar dates from `holidays`).
    assert {date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10)} <= statutory
    started = sh(2027, 1, 29)  # a Friday
    # 1-4 Feb count (4), 5-10 Feb are off, 11, 12 and 15 Feb make 7.
    assert cal.add_working_days(started, 7) == end_of(2027, 2, 15)
    assert cal.is_provisional(started, cal.add_working_days(started, 7))
    # Labour Day, National Day, Qingming, Dragon Boat and Mid-Autumn are days off too.
    for day in (date(2027, 5, 3), date(2027, 10, 1), date(2027, 4, 5), date(2027, 6, 9)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2027, 2, 11))


def test_override_makes_2027_saturday_a_working_day(caplog: pytest.LogCaptureFixture) -> None:
    """Overrides win for an unknown year, and a year with overrides does not warn."""
    cal = WorkingCalendar({date(2027, 1, 9): True, date(2027, 1, 1): False})
    with caplog.at_level(logging.WARNING, logger="odr.calendar"):
        assert cal.is_working_day(date(2027, 1, 9))  # Saturday, made a working day
        assert not cal.is_working_day(date(2027, 1, 1))  # Friday, made a holiday
        assert not cal.is_working_day(date(2027, 1, 10))  # Sunday, fallback
        assert cal.add_working_days(sh(2027, 1, 8), 1) == end_of(2027, 1, 9)
        assert cal.add_working_days(sh(2026, 12, 31), 1) == end_of(2027, 1, 4)
        assert calendar_warnings(caplog) == []


def test_override_wins_over_known_year() -> None:
    """An override also beats chinesecalendar for a year it knows."""
    cal = WorkingCalendar({date(2026, 2, 14): False, date(2026, 3, 7): True})
    assert not cal.is_working_day(date(2026, 2, 14))
    assert cal.is_working_day(date(2026, 3, 7))
    assert cal.add_working_days(sh(2026, 2, 13), 1) == end_of(2026, 2, 24)


def test_per_day_answers_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each day is looked up in chinesecalendar once, however often it is asked for."""
    calls: list[date] = []
    real = chinese_calendar.is_workday

    def counting(day: date) -> bool:
        calls.append(day)
        return real(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    cal = WorkingCalendar()
    for _ in range(5):
        cal.is_working_day(date(2026, 2, 14))
        cal.add_working_days(sh(2026, 2, 12), 3)
    assert len(calls) == len(set(calls))


# --- calendar.yaml ------------------------------------------------------------------------


def test_repository_calendar_yaml_loads() -> None:
    """The shipped workflows/calendar.yaml loads and agrees with chinesecalendar for 2026."""
    cal = WorkingCalendar.from_file(REPO_CALENDAR)
    assert cal.is_working_day(date(2026, 2, 14))
    assert not cal.is_working_day(date(2026, 2, 16))


def test_from_file_overrides(tmp_path: Path) -> None:
    """Workdays and holidays lists become overrides; quoted ISO strings are accepted."""
    path = tmp_path / "calendar.yaml"
    path.write_text(
        "workdays:\n  - 2027-01-09\n  - '2027-02-20'\nholidays:\n  - 2027-01-01\n",
        encoding="utf-8",
    )
    cal = WorkingCalendar.from_file(path)
    assert cal.is_working_day(date(2027, 1, 9))
    assert cal.is_working_day(date(2027, 2, 20))
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 1, 4))


@pytest.mark.parametrize(
    "text",
    ["", "# only comments\n", "workdays: []\nholidays: []\n", "workdays:\nholidays:\n"],
)
def test_from_file_empty(tmp_path: Path, text: str) -> None:
    """Empty files and empty lists load as no overrides."""
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    cal = WorkingCalendar.from_file(path)
    assert cal.is_working_day(date(2026, 2, 14))


@pytest.mark.parametrize(
    "text",
    [
        "workday: [2027-01-09]\n",  # misspelt key
        "workdays: [2027-01-09]\nholidays: [2027-01-09]\n",  # in both lists
        "workdays: [not-a-date]\n",
        "workdays: [2027-01-09 08:00:00]\n",  # a datetime, not a date
        "workdays: 2027-01-09\n",  # not a list
        "- 2027-01-09\n",  # not a mapping
    ],
)
def test_from_file_rejects_bad_input(tmp_path: Path, text: str) -> None:
    """Malformed override files fail loudly instead of silently dropping dates."""
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError):
        WorkingCalendar.from_file(path)


# --- cross-check with the holidays package ------------------------------------------------


def test_agrees_with_holidays_package_for_2026() -> None:
    """For every day of 2026 both libraries agree, make-up working days included."""
    cn = holidays.country_holidays("CN", years=2026)
    day = date(2026, 1, 1)
    disagreements = []
    while day.year == 2026:
        if CAL.is_working_day(day) != cn.is_working_day(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []
    # holidays models 调休 as weekend_workdays (the set also holds dates of other years).
    make_up = {d for d in cn.weekend_workdays if d.year == 2026}
    assert make_up == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    assert all(CAL.is_working_day(d) and d.weekday() >= 5 for d in make_up)


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2004, 1, 2),
        max_value=datetime(2028, 6, 30),
        timezones=st.sampled_from([UTC, SHANGHAI, ZoneInfo("America/New_York")]),
    ),
    days=st.integers(min_value=1, max_value=60),
)
def test_add_working_days_properties(start: datetime, days: int) -> None:
    """Lands on a working day at 23:59:59 local, grows with n, and round-trips the count."""
    result = CAL.add_working_days(start, days)
    local = result.astimezone(SHANGHAI)
    assert result.tzinfo is UTC
    assert (local.hour, local.minute, local.second) == (23, 59, 59)
    assert CAL.is_working_day(local.date())
    assert local.date() > start.astimezone(SHANGHAI).date()
    assert CAL.add_working_days(start, days + 1) > result
    assert CAL.working_days_between(start, result) == days
    # Independent of the cumulative counts the calendar uses internally: walk day by day.
    first, last = start.astimezone(SHANGHAI).date(), local.date()
    walked = [first + timedelta(days=i) for i in range(1, (last - first).days + 1)]
    assert sum(CAL.is_working_day(d) for d in walked) == days
    assert CAL.working_days_left(result, start) == days
    assert CAL.working_days_between(result, start) == -days
