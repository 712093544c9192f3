"""The running clock of a case: started, paused, resumed and recounted on the case row (by the
case service only; how it stands now is odr/cases/deadlines.py)."""

from __future__ import annotations

from datetime import datetime

from odr.cases.models import Case
from odr.engine.rules import Rules
from odr.engine.workflow import StateDef, TransitionDef


def start_clock(
    case: Case, state: StateDef, now: datetime, rules: Rules, days: int | None = None
) -> None:
    """Set the deadline of the state just entered (`days` overrides the state's, on resume)."""
    if state.clock is None:
        case.due_at = case.clock_started_at = case.clock_days = case.next_reminder_at = None
        case.deadline_provisional = False
        return
    case.clock_started_at = now
    case.clock_days = state.clock.days if days is None else days
    recount(case, state, rules, now)


def recount(case: Case, state: StateDef, rules: Rules, now: datetime) -> None:
    """Count the deadline from how the clock was set (again, once a missing year is known)."""
    assert state.clock is not None and case.clock_started_at is not None
    case.due_at = rules.due(state.clock, case.clock_started_at, case.clock_days or 0)
    case.deadline_provisional = state.clock.working and rules.calendar.is_provisional(
        case.clock_started_at, case.due_at
    )
    case.next_reminder_at = rules.next_reminder(state, case.due_at, now)


def after_transition(
    case: Case,
    transition: TransitionDef,
    from_state: str,
    state: StateDef,
    now: datetime,
    rules: Rules,
) -> None:
    """Move the clock as a transition says: keep, pause, resume, or start the new state's."""
    if transition.internal:
        return  # a note leaves the clock alone
    if transition.clock == "pause" and case.due_at is not None:
        case.paused_state = from_state
        case.paused_days_left = max(rules.calendar.working_days_left(case.due_at, now), 0)
    if transition.clock == "resume" and case.paused_state == case.state:
        days = case.paused_days_left
        case.paused_state = case.paused_days_left = None
        start_clock(case, state, now, rules, days=days)
        return
    if state.terminal:
        case.paused_state = case.paused_days_left = None
    start_clock(case, state, now, rules)
