"""The moment a complaint was received where it was first filed (12315's 登记时间, a partner's
received time): parsed in the forms exports really use, checked like every other field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from odr.errors import InvalidData
from odr.text import N_

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Clocks of the sending system and ours disagree by a little: later than this is an error.
CLOCK_SKEW = timedelta(minutes=5)
# 2026-11-02 09:00:00, 2026/11/2 9:00, 2026.11.02, 2026年11月2日 9时, ISO 8601 with a zone.
_MOMENT = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:(?:[T\s]+)(\d{1,2})[:时](\d{1,2})?(?:[:分](\d{1,2})(?:\.\d{1,6})?)?秒?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
INVALID = N_("应为有效的日期时间，如 2026-11-02 09:00:00")
FUTURE = N_("不能晚于当前时间")


def parse_received_at(value: str, now: datetime, field: str) -> datetime | None:
    """The moment as an aware UTC datetime (Beijing time when no zone is given); None when
    empty. A moment a few minutes ahead of `now` (clock skew) counts as now."""
    value = value.strip()
    if not value:
        return None
    match = _MOMENT.match(value)
    if match is None:
        raise InvalidData({field: INVALID})
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=_zone(zone),
        )
    except ValueError:
        raise InvalidData({field: INVALID}) from None
    moment = moment.astimezone(UTC)
    if moment > now + CLOCK_SKEW:
        raise InvalidData({field: FUTURE})
    return min(moment, now)


def _zone(text: str | None) -> tzinfo:
    """Beijing time when no zone is given; a bad offset is a ValueError."""
    if not text:
        return SHANGHAI
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes >= 60:
        raise ValueError(text)
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(offset if text[0] == "+" else -offset)
