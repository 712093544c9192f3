"""Deadlines across the 2025 and 2026 holidays and make-up working days (调休), counted by hand.

Each expected date was counted on paper from the State Council notices (checked first against
chinesecalendar in CALENDAR_FACTS below), then run through the code. The start day never counts;
a deadline is 23:59:59 Asia/Shanghai of its last day, returned in UTC (15:59:59Z).

In the counts, `(n)` is the n-th working day, 调休 marks a make-up working day on a weekend,
and days skipped are named once as a range.

2025  Spring Festival  off Tue 28 Jan - Tue 4 Feb; 调休 Sun 26 Jan, Sat 8 Feb
      Labour Day       off Thu 1 May - Mon 5 May;  调休 Sun 27 Apr
      National Day +   off Wed 1 Oct - Wed 8 Oct (8 days, Mid-Autumn on Mon 6 Oct);
      Mid-Autumn       调休 Sun 28 Sep, Sat 11 Oct
2026  Spring Festival  off Sun 15 Feb - Mon 23 Feb (9 days); 调休 Sat 14 Feb, Sat 28 Feb
      Qingming         off Sat 4 Apr - Mon 6 Apr
      Labour Day       off Fri 1 May - Tue 5 May;  调休 Sat 9 May
      Mid-Autumn       off Fri 25 Sep - Sun 27 Sep; 调休 Sun 20 Sep
      National Day     off Thu 1 Oct - Wed 7 Oct;  调休 Sat 10 Oct
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import chinese_calendar
import pytest

from odr.clock import SHANGHAI
from odr.engine.calendar import WorkingCalendar

CAL = WorkingCalendar()


def sh(year: int, month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0):  # type: ignore[no-untyped-def]
    """An aware Asia/Shanghai datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0):  # type: ignore[no-untyped-def]
    """An aware UTC datetime (Shanghai is UTC+8: 16:00Z is already the next day there)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# The calendar facts the counts rely on: (date, working day?, what it is).
CALENDAR_FACTS = [
    (date(2025, 1, 26), True, "Sun, 调休 for Spring Festival"),
    (date(2025, 1, 27), True, "Mon, the last working day before it"),
    (date(2025, 1, 28), False, "Tue, 除夕, first day off"),
    (date(2025, 2, 4), False, "Tue, last day off"),
    (date(2025, 2, 5), True, "Wed, back to work"),
    (date(2025, 2, 8), True, "Sat, 调休"),
    (date(2025, 2, 9), False, "Sun, an ordinary weekend day"),
    (date(2025, 4, 27), True, "Sun, 调休 for Labour Day"),
    (date(2025, 5, 1), False, "Thu, Labour Day"),
    (date(2025, 5, 5), False, "Mon, last day off"),
    (date(2025, 5, 6), True, "Tue, back to work"),
    (date(2025, 9, 28), True, "Sun, 调休 for National Day"),
    (date(2025, 10, 1), False, "Wed, National Day"),
    (date(2025, 10, 6), False, "Mon, Mid-Autumn inside the break"),
    (date(2025, 10, 8), False, "Wed, eighth and last day off"),
    (date(2025, 10, 9), True, "Thu, back to work"),
    (date(2025, 10, 11), True, "Sat, 调休"),
    (date(2026, 2, 14), True, "Sat, 调休 for Spring Festival"),
    (date(2026, 2, 15), False, "Sun, first day off"),
    (date(2026, 2, 23), False, "Mon, ninth and last day off"),
    (date(2026, 2, 24), True, "Tue, back to work"),
    (date(2026, 2, 28), True, "Sat, 调休"),
    (date(2026, 4, 6), False, "Mon, Qingming"),
    (date(2026, 5, 1), False, "Fri, Labour Day"),
    (date(2026, 5, 5), False, "Tue, last day off"),
    (date(2026, 5, 6), True, "Wed, back to work"),
    (date(2026, 5, 9), True, "Sat, 调休"),
    (date(2026, 9, 20), True, "Sun, 调休 for National Day"),
    (date(2026, 9, 25), False, "Fri, Mid-Autumn"),
    (date(2026, 10, 1), False, "Thu, National Day"),
    (date(2026, 10, 7), False, "Wed, last day off"),
    (date(2026, 10, 8), True, "Thu, back to work"),
    (date(2026, 10, 10), True, "Sat, 调休"),
]


@pytest.mark.parametrize(("day", "working", "what"), CALENDAR_FACTS, ids=lambda v: str(v))
def test_calendar_facts(day: date, working: bool, what: str) -> None:
    assert chinese_calendar.is_workday(day) is working, what
    assert CAL.is_working_day(day) is working, what
    assert what.startswith(day.strftime("%a"))


# (start, working days, the last day): counted by hand, written out in the comment.
WORKING_DAY_TABLE = [
    # --- 2025 Spring Festival ---
    pytest.param(
        sh(2025, 1, 24, 23, 30),
        5,
        date(2025, 2, 7),
        # Fri 24 late night, start. 25 Sat off, 26 Sun调休(1) 27 Mon(2), 28 Jan-4 Feb off,
        # 5 Wed(3) 6 Thu(4) 7 Fri(5)
        id="2025-spring-5-late-night",
    ),
    pytest.param(
        utc(2025, 1, 23, 16, 30),
        5,
        date(2025, 2, 7),
        # 16:30Z Thu 23 = 00:30 Fri 24 Shanghai: the start day is the 24th, as above.
        # (Counted from the UTC date 23rd it would end Thu 6 Feb.)
        id="2025-spring-5-utc-date-differs",
    ),
    pytest.param(
        sh(2025, 1, 22),
        10,
        date(2025, 2, 11),
        # Wed 22 start. 23 Thu(1) 24 Fri(2) 25 Sat off 26 Sun调休(3) 27 Mon(4), 28 Jan-4 Feb off,
        # 5(5) 6(6) 7(7) 8 Sat调休(8) 9 Sun off 10 Mon(9) 11 Tue(10)
        id="2025-spring-10",
    ),
    pytest.param(
        sh(2025, 1, 26, 9),
        5,
        date(2025, 2, 8),
        # Sun 26 (调休) start, not counted. 27 Mon(1), 28 Jan-4 Feb off, 5(2) 6(3) 7(4) 8 Sat调休(5)
        id="2025-spring-5-start-on-makeup-sunday-ends-on-makeup-saturday",
    ),
    pytest.param(
        sh(2025, 2, 8, 17),
        7,
        date(2025, 2, 18),
        # Sat 8 (调休) start, not counted. 9 Sun off 10 Mon(1) 11(2) 12(3) 13(4) 14 Fri(5),
        # 15-16 weekend, 17 Mon(6) 18 Tue(7)
        id="2025-spring-7-start-on-makeup-saturday",
    ),
    # --- 2025 Labour Day ---
    pytest.param(
        sh(2025, 4, 25, 23, 59),
        7,
        date(2025, 5, 8),
        # Fri 25 late night start. 26 Sat off 27 Sun调休(1) 28 Mon(2) 29(3) 30 Wed(4),
        # 1-5 May off, 6 Tue(5) 7 Wed(6) 8 Thu(7)
        id="2025-labour-7-late-night",
    ),
    pytest.param(
        sh(2025, 4, 30),
        10,
        date(2025, 5, 19),
        # Wed 30 start. 1-5 May off, 6 Tue(1) 7(2) 8(3) 9 Fri(4), 10-11 weekend,
        # 12 Mon(5) 13(6) 14(7) 15(8) 16 Fri(9), 17-18 weekend, 19 Mon(10)
        id="2025-labour-10",
    ),
    # --- 2025 National Day + Mid-Autumn (8 days off) ---
    pytest.param(
        sh(2025, 9, 26, 22),
        5,
        date(2025, 10, 10),
        # Fri 26 late night start. 27 Sat off 28 Sun调休(1) 29 Mon(2) 30 Tue(3), 1-8 Oct off,
        # 9 Thu(4) 10 Fri(5)
        id="2025-national-5-late-night",
    ),
    pytest.param(
        sh(2025, 9, 30),
        10,
        date(2025, 10, 21),
        # Tue 30 start. 1-8 Oct off, 9 Thu(1) 10 Fri(2) 11 Sat调休(3) 12 Sun off 13 Mon(4)
        # 14(5) 15(6) 16(7) 17 Fri(8), 18-19 weekend, 20 Mon(9) 21 Tue(10)
        id="2025-national-10",
    ),
    pytest.param(
        sh(2025, 10, 11, 14),
        7,
        date(2025, 10, 21),
        # Sat 11 (调休) start, not counted. 12 Sun off 13 Mon(1) 14(2) 15(3) 16(4) 17 Fri(5),
        # 18-19 weekend, 20 Mon(6) 21 Tue(7)
        id="2025-national-7-start-on-makeup-saturday",
    ),
    pytest.param(
        sh(2025, 10, 3),
        1,
        date(2025, 10, 9),
        # Fri 3 (holiday) start. 4-8 Oct off, 9 Thu(1)
        id="2025-national-1-start-on-holiday",
    ),
    # --- 2026 Spring Festival ---
    pytest.param(
        sh(2026, 2, 12, 23, 45),
        10,
        date(2026, 3, 4),
        # Thu 12 late night start. 13 Fri(1) 14 Sat调休(2), 15-23 Feb off, 24 Tue(3) 25(4)
        # 26(5) 27 Fri(6) 28 Sat调休(7), 1 Mar Sun off, 2 Mon(8) 3 Tue(9) 4 Wed(10)
        id="2026-spring-10-late-night",
    ),
    pytest.param(
        sh(2026, 2, 14, 9),
        5,
        date(2026, 2, 28),
        # Sat 14 (调休) start, not counted. 15-23 Feb off, 24 Tue(1) 25(2) 26(3) 27 Fri(4)
        # 28 Sat调休(5)
        id="2026-spring-5-start-on-makeup-saturday",
    ),
    pytest.param(
        sh(2026, 2, 28, 23, 59, 59),
        7,
        date(2026, 3, 10),
        # Sat 28 (调休) last second, start. 1 Mar Sun off, 2 Mon(1) 3(2) 4(3) 5(4) 6 Fri(5),
        # 7-8 weekend, 9 Mon(6) 10 Tue(7)
        id="2026-spring-7-start-on-makeup-saturday-last-second",
    ),
    pytest.param(
        sh(2026, 1, 30, 23),
        45,
        date(2026, 4, 10),
        # Fri 30 Jan late night start. 31 Jan-1 Feb weekend, 2 Feb Mon(1)..6 Fri(5),
        # 9 Mon(6)..13 Fri(10) 14 Sat调休(11), 15-23 Feb off, 24 Tue(12) 25(13) 26(14)
        # 27 Fri(15) 28 Sat调休(16), 1 Mar Sun off, 2 Mar(17)..6(21) 9(22)..13(26) 16(27)..20(31)
        # 23(32)..27(36), 30 Mon(37) 31 Tue(38) 1 Apr Wed(39) 2 Thu(40) 3 Fri(41),
        # 4-6 Apr Qingming off, 7 Tue(42) 8(43) 9(44) 10 Fri(45)
        id="2026-spring-45-late-night",
    ),
    # --- 2026 Labour Day ---
    pytest.param(
        sh(2026, 4, 29),
        5,
        date(2026, 5, 9),
        # Wed 29 start. 30 Thu(1), 1-5 May off, 6 Wed(2) 7 Thu(3) 8 Fri(4) 9 Sat调休(5)
        id="2026-labour-5-ends-on-makeup-saturday",
    ),
    pytest.param(
        utc(2026, 4, 29, 16, 30),
        5,
        date(2026, 5, 11),
        # 16:30Z Wed 29 = 00:30 Thu 30 Shanghai: the start day is the 30th. 1-5 May off,
        # 6 Wed(1) 7(2) 8 Fri(3) 9 Sat调休(4) 10 Sun off 11 Mon(5)
        # (Counted from the UTC date 29th it would end Sat 9 May, as the row above.)
        id="2026-labour-5-utc-date-differs",
    ),
    pytest.param(
        sh(2026, 4, 30, 23),
        10,
        date(2026, 5, 18),
        # Thu 30 late night start. 1-5 May off, 6 Wed(1) 7(2) 8 Fri(3) 9 Sat调休(4) 10 Sun off,
        # 11 Mon(5) 12(6) 13(7) 14(8) 15 Fri(9), 16-17 weekend, 18 Mon(10)
        id="2026-labour-10-late-night",
    ),
    pytest.param(
        sh(2026, 5, 9, 8),
        7,
        date(2026, 5, 19),
        # Sat 9 (调休) start, not counted. 10 Sun off, 11 Mon(1) 12(2) 13(3) 14(4) 15 Fri(5),
        # 16-17 weekend, 18 Mon(6) 19 Tue(7)
        id="2026-labour-7-start-on-makeup-saturday",
    ),
    # --- 2026 Mid-Autumn and National Day ---
    pytest.param(
        sh(2026, 9, 18, 23, 59, 59),
        7,
        date(2026, 9, 29),
        # Fri 18 last second, start. 19 Sat off 20 Sun调休(1) 21 Mon(2) 22(3) 23(4) 24 Thu(5),
        # 25 Fri Mid-Autumn off, 26-27 weekend, 28 Mon(6) 29 Tue(7)
        id="2026-national-7-last-second",
    ),
    pytest.param(
        sh(2026, 9, 24),
        10,
        date(2026, 10, 15),
        # Thu 24 start. 25-27 Sep off, 28 Mon(1) 29(2) 30 Wed(3), 1-7 Oct off, 8 Thu(4)
        # 9 Fri(5) 10 Sat调休(6) 11 Sun off 12 Mon(7) 13(8) 14(9) 15 Thu(10)
        id="2026-national-10",
    ),
    pytest.param(
        sh(2026, 10, 10, 12),
        5,
        date(2026, 10, 16),
        # Sat 10 (调休) start, not counted. 11 Sun off, 12 Mon(1) 13(2) 14(3) 15(4) 16 Fri(5)
        id="2026-national-5-start-on-makeup-saturday",
    ),
    pytest.param(
        sh(2026, 9, 10),
        45,
        date(2026, 11, 18),
        # Thu 10 Sep start. 11 Fri(1), 14 Mon(2)..18 Fri(6), 19 Sat off 20 Sun调休(7),
        # 21 Mon(8)..24 Thu(11), 25-27 off, 28 Mon(12) 29(13) 30 Wed(14), 1-7 Oct off,
        # 8 Thu(15) 9 Fri(16) 10 Sat调休(17), 11 Sun off, 12 Oct(18)..16(22) 19(23)..23(27)
        # 26(28)..30(32), 2 Nov Mon(33)..6(37) 9(38)..13(42) 16 Mon(43) 17(44) 18 Wed(45)
        id="2026-national-45",
    ),
]


@pytest.mark.parametrize(("start", "days", "last_day"), WORKING_DAY_TABLE)
def test_add_working_days_table(start: datetime, days: int, last_day: date) -> None:
    deadline = CAL.add_working_days(start, days)
    assert deadline == datetime(last_day.year, last_day.month, last_day.day, 15, 59, 59, tzinfo=UTC)
    assert deadline.astimezone(SHANGHAI).date() == last_day
    assert CAL.is_working_day(last_day)
    # The same count the other way round: exactly `days` working days after the start day.
    assert CAL.working_days_between(start, deadline) == days


CALENDAR_DAY_TABLE = [
    pytest.param(
        sh(2026, 2, 12, 23, 45),
        7,
        date(2026, 2, 19),
        # Thu 12 late night start: 13(1) 14(2) 15(3) 16(4) 17(5) 18(6) 19(7), a holiday all the same
        id="2026-spring-7-calendar-ends-on-holiday",
    ),
    pytest.param(
        utc(2025, 9, 30, 16, 30),
        10,
        date(2025, 10, 11),
        # 16:30Z Tue 30 Sep = 00:30 Wed 1 Oct Shanghai: 2(1) 3(2) .. 10(9) 11(10)
        id="2025-national-10-calendar-utc-date-differs",
    ),
    pytest.param(
        sh(2025, 1, 24, 23, 30),
        15,
        date(2025, 2, 8),
        # Fri 24 Jan late night: 25(1) .. 31(7) 1 Feb(8) .. 8 Feb(15)
        id="2025-spring-15-calendar",
    ),
    pytest.param(
        sh(2026, 12, 20),
        30,
        date(2027, 1, 19),
        # Sun 20 Dec 2026: 31 Dec is (11), 1 Jan 2027 (12) .. 19 Jan (30)
        id="2026-30-calendar-across-new-year",
    ),
]


@pytest.mark.parametrize(("start", "days", "last_day"), CALENDAR_DAY_TABLE)
def test_add_calendar_days_table(start: datetime, days: int, last_day: date) -> None:
    deadline = CAL.add_calendar_days(start, days)
    assert deadline == datetime(last_day.year, last_day.month, last_day.day, 15, 59, 59, tzinfo=UTC)
