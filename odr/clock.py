"""The time of the service: now in UTC, and the zone its deadlines and dates are counted in.

Every deadline runs to the end of a Beijing working day (DOMAIN.md, "Working days"), and rows
store UTC: these two are the only clocks, so code and tests agree on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "utcnow"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every column stores)."""
    return datetime.now(UTC)
