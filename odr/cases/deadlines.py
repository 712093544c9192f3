"""How a case's clock stands now: the deadline and working days left that pages and lists
show (read only; the clock itself moves in odr/cases/clocks.py, through the service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from odr.cases.models import Case
from odr.engine.rules import Rules


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    working_days_left: int
    overdue: bool
    # Counted across a year whose holiday notice is not known yet (Monday to Friday).
    provisional: bool = False


def deadline_of(case: Case, rules: Rules, now: datetime) -> Deadline | None:
    """How the case's clock stands at `now` (None when no clock runs)."""
    if case.due_at is None:
        return None
    return Deadline(
        due_at=case.due_at,
        working_days_left=rules.calendar.working_days_left(case.due_at, now),
        overdue=case.due_at < now,
        provisional=case.deadline_provisional,
    )
