"""Statutory working-day calendar (State Council holiday notice, 调休 included)."""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import holidays
import yaml

from odr.clock import SHANGHAI

__all__ = ["WorkingCalendar"]


# A deadline runs to the end of its last day, Beijing time (DOMAIN.md, "Working days").
END_OF_DAY = time(23, 59, 59)

log = logging.getLogger("odr.calendar")

_YAML_KEYS = frozenset({"workdays", "holidays"})


def _local_date(moment: datetime) -> date:
    """Return the Asia/Shanghai calendar date of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime could be UTC or local; guessing shifts deadlines by a day.
        raise ValueError(f"timezone-aware datetime required, got naive {moment!r}")
    return moment.astimezone(SHANGHAI).date()


def _end_of_day_utc(day: date) -> datetime:
    """Return 23:59:59 Shanghai time of a local date as an aware UTC datetime."""
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI).astimezone(UTC)


def _coerce_date(value: object, source: str) -> date:
    """Turn a YAML scalar (date or ISO string) into a date."""
    # datetime is a subclass of date: a time of day in this file is a mistake, not a date.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{source}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc
    raise ValueError(f"{source}: {value!r} is not a date (YYYY-MM-DD)")


class WorkingCalendar:
    """Working days per chinesecalendar, corrected by explicit overrides."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        """Create a calendar; overrides map a date to True (working) or False (day off)."""
        self._overrides: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"override keys must be dates, got {day!r}")
            self._overrides[day] = bool(working)
        # Years the operator already transcribed into overrides: no missing-notice warning.
        self._override_years = frozenset(day.year for day in self._overrides)
        self._day_cache: dict[date, bool] = {}
        # Per year: running count of working days from 1 January through each day (index 0).
        self._year_prefix: dict[int, list[int]] = {}
        self._warned_years: set[int] = set()
        self._statutory: dict[int, frozenset[date]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WorkingCalendar:
        """Load overrides from a calendar.yaml (keys ``workdays`` and ``holidays``)."""
        with Path(path).open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping with 'workdays' and 'holidays'")
        unknown = set(data) - _YAML_KEYS
        if unknown:
            # A misspelt key would otherwise silently drop a whole year's notice.
            raise ValueError(f"{path}: unknown keys {sorted(map(str, unknown))}")
        workdays = cls._read_list(data.get("workdays"), f"{path}: workdays")
        holidays = cls._read_list(data.get("holidays"), f"{path}: holidays")
        both = workdays & holidays
        if both:
            raise ValueError(
                f"{path}: dates listed as both workdays and holidays: "
                + ", ".join(d.isoformat() for d in sorted(both))
            )
        overrides = dict.fromkeys(workdays, True)
        overrides.update(dict.fromkeys(holidays, False))
        return cls(overrides)

    @staticmethod
    def _read_list(items: Iterable[object] | None, source: str) -> set[date]:
        """Parse one YAML list of dates; a missing or empty list is fine."""
        if items is None:
            return set()
        if not isinstance(items, list):
            raise ValueError(f"{source}: expected a list of dates")
        return {_coerce_date(item, source) for item in items}

    def is_working_day(self, day: date) -> bool:
        """Return whether a local (Asia/Shanghai) date is a statutory working day."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        if isinstance(day, datetime):
            # A datetime's own date is usually its UTC date, a day off for late-evening events.
            raise TypeError("is_working_day takes a local date; convert datetimes first")
        result = self._compute(day)
        self._day_cache[day] = result
        return result

    def _compute(self, day: date) -> bool:
        """Decide one day without the cache."""
        override = self._overrides.get(day)
        if override is not None:
            return override
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            # The library only knows years whose notice it shipped; intake must keep working.
            self._warn_missing_year(day.year)
            if day.year in self._override_years:
                return day.weekday() < 5  # the operator transcribed that year's notice
            return day.weekday() < 5 and day not in self.statutory_holidays(day.year)

    def statutory_holidays(self, year: int) -> frozenset[date]:
        """The days off the law itself fixes for a year (全国年节及纪念日放假办法): the festivals
        by their lunar or solar dates, and the weekday given in lieu of one on a weekend (art. 6).
        Only the notice's make-up weekends (调休上班) and its bridging days stay unknown."""
        found = self._statutory.get(year)
        if found is None:
            found = frozenset(holidays.country_holidays("CN", years=year))
            self._statutory[year] = found
        return found

    def knows_year(self, year: int) -> bool:
        """Whether the State Council notice of a year is known (library or overrides)."""
        if year in self._override_years:
            return True
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def is_provisional(self, start: datetime, deadline: datetime) -> bool:
        """Whether a deadline was counted across a year whose notice is not known yet."""
        first, last = _local_date(start).year, _local_date(deadline).year
        return not all(self.knows_year(year) for year in range(first, last + 1))

    def _warn_missing_year(self, year: int) -> None:
        """Log once per year that the State Council notice is missing."""
        if year in self._warned_years or year in self._override_years:
            return
        self._warned_years.add(year)
        log.warning(
            "State Council holiday notice for %d is missing from chinesecalendar; "
            "counting Monday-Friday less the statutory holidays as working days (its make-up "
            "weekends unknown, its deadlines provisional). Add that year's holidays and "
            "make-up working days (调休) as overrides to workflows/calendar.yaml.",
            year,
        )

    def _prefix(self, year: int) -> list[int]:
        """Return cumulative working-day counts for a year, computed once."""
        prefix = self._year_prefix.get(year)
        if prefix is None:
            prefix = []
            count = 0
            day = date(year, 1, 1)
            while day.year == year:
                count += self.is_working_day(day)
                prefix.append(count)
                day += timedelta(days=1)
            self._year_prefix[year] = prefix
        return prefix

    def _through(self, day: date) -> int:
        """Count working days from 1 January of the day's year through the day itself."""
        return self._prefix(day.year)[day.timetuple().tm_yday - 1]

    def _count_after(self, first: date, last: date) -> int:
        """Count working days d with first < d <= last (first <= last)."""
        if first.year == last.year:
            return self._through(last) - self._through(first)
        total = self._prefix(first.year)[-1] - self._through(first)
        for year in range(first.year + 1, last.year):
            total += self._prefix(year)[-1]
        return total + self._through(last)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the end (23:59:59 Shanghai, as UTC) of the n-th working day after start."""
        if days < 1:
            raise ValueError(f"days must be >= 1, got {days}")
        day = _local_date(start)
        # The start day never counts: the target is the n-th working day strictly after it.
        # Searching the cumulative counts is O(log) instead of walking day by day.
        year = day.year
        target = self._through(day) + days
        while True:
            prefix = self._prefix(year)
            if prefix[-1] >= target:
                # The first index reaching the target is where the count steps up: a working day.
                offset = bisect_left(prefix, target)
                return _end_of_day_utc(date(year, 1, 1) + timedelta(days=offset))
            target -= prefix[-1]
            year += 1

    def end_of_day(self, moment: datetime) -> datetime:
        """The end (23:59:59 Shanghai, as UTC) of the moment's own local day."""
        return _end_of_day_utc(_local_date(moment))

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """Return the end (23:59:59 Shanghai, as UTC) of the local date n days after start."""
        if days < 1:
            raise ValueError(f"days must be >= 1, got {days}")
        return _end_of_day_utc(_local_date(start) + timedelta(days=days))

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Count working days d with start date < d <= end date; negative if end is earlier."""
        first, last = _local_date(start), _local_date(end)
        if first <= last:
            return self._count_after(first, last)
        return -self._count_after(last, first)

    def working_days_left(self, deadline: datetime, now: datetime) -> int:
        """Working days remaining until the deadline: 0 on its day, negative once overdue."""
        # Deadlines end at 23:59:59 local, so counting by local date is exact; same day gives 0.
        return self.working_days_between(now, deadline)

    def reminder_time(self, deadline: datetime, working_days_before: int) -> datetime:
        """The start (00:00 Shanghai, as UTC) of the first day on which `working_days_before`
        working days are left until the deadline (as working_days_left counts them)."""
        if working_days_before < 1:
            raise ValueError(f"working_days_before must be >= 1, got {working_days_before}")
        # Today never counts as left, so that day is the (n+1)-th last working day.
        day, seen = _local_date(deadline), 0
        while True:
            if self.is_working_day(day):
                seen += 1
                if seen == working_days_before + 1:
                    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)
            day -= timedelta(days=1)
