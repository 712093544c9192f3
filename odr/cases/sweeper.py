"""The deadline sweeper: fire each due expiry and reminder once, however many sweepers run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload, sessionmaker

from odr.auth.actor import SYSTEM
from odr.cases.bulk import CASES, CaseValues, act_batch, stop_clocks, stored_cases
from odr.cases.models import Case
from odr.cases.service import recount_deadline, remind
from odr.clock import utcnow
from odr.db.dialects import claim
from odr.engine.rules import Rules
from odr.errors import ConcurrentChange
from odr.settings import Settings

log = logging.getLogger("odr.sweeper")


def _due(
    moment: InstrumentedAttribute[datetime | None], now: datetime, batch: int, of: Any = CASES
) -> Select[Any]:
    """A batch of cases whose moment has come (rows of the cases table, or what `of` names),
    locked: other sweepers skip the locked ones."""
    return claim(select(of).where(moment <= now).order_by(moment, Case.id).limit(batch), of=CASES)


def _expire(session: Session, rules: Rules, now: datetime, batch: int) -> tuple[int, int]:
    """Fire the expiry trigger of a batch of due cases, the cases of one trigger together
    (odr.cases.bulk: as rows, not ORM objects, whose flush writes them one by one). Returns
    how many were claimed and how many fired."""
    claimed = stored_cases(session, _due(Case.due_at, now, batch))
    by_trigger: dict[str, list[tuple[CaseValues, dict[str, Any]]]] = {}
    stopped = []
    for case, stored in claimed:
        clock = rules.workflow(case.workflow, case.workflow_version).states[case.state].clock
        if clock is None:  # a definition changed under a running case: stop its clock
            log.warning("case %s: state %s has no clock now", case.number, case.state)
            stopped.append((case, stored))
            continue
        by_trigger.setdefault(clock.on_expiry, []).append((case, stored))
    stop_clocks(session, stopped)
    fired = sum(
        act_batch(session, due, trigger, SYSTEM, rules=rules, now=now)
        for trigger, due in by_trigger.items()
    )
    return len(claimed), fired


def _remind(session: Session, rules: Rules, now: datetime, batch: int) -> tuple[int, int]:
    """Remind the party of each case of a batch whose reminder is due; claimed and fired."""
    cases = session.scalars(
        _due(Case.next_reminder_at, now, batch, Case)
        # The notifications read both; loaded once per batch, and held (the session's identity
        # map is weak: an enterprise nobody holds would be read again for each case).
        .options(selectinload(Case.enterprise), selectinload(Case.office))
    ).all()
    fired = 0
    for case in cases:
        if case.due_at is not None and case.due_at <= now:
            continue  # the expiry pass handles it
        remind(session, case, rules=rules, now=now)
        fired += 1
    return len(cases), fired


def _pass(
    factory: sessionmaker[Session],
    fire: Callable[[Session, Rules, datetime, int], tuple[int, int]],
    rules: Rules,
    now: datetime,
    batch: int,
) -> int:
    fired = 0
    while True:
        # No savepoint per case: the claimed rows are ours until the commit (locked FOR UPDATE
        # on PostgreSQL, the single writer on SQLite), so no one changes them meanwhile.
        try:
            with factory() as session, session.begin():
                claimed, done = fire(session, rules, now, batch)
        except ConcurrentChange as exc:
            log.info("case %s changed meanwhile; its batch is left for the next pass", exc)
            return fired
        fired += done
        if claimed < batch:
            return fired


def clock(settings: Settings) -> datetime:
    """Now, moved by ODR_CLOCK_OFFSET (0 unless a drill or test moves time on)."""
    return utcnow() + timedelta(seconds=settings.clock_offset_seconds)


class SweepResult(NamedTuple):
    expired: int
    reminded: int


def sweep(
    factory: sessionmaker[Session], rules: Rules, now: datetime | None = None, batch: int = 500
) -> SweepResult:
    """Fire every expired clock, then every due reminder."""
    now = now or utcnow()
    return SweepResult(
        expired=_pass(factory, _expire, rules, now, batch),
        reminded=_pass(factory, _remind, rules, now, batch),
    )


def recount_provisional(
    factory: sessionmaker[Session], rules: Rules, now: datetime | None = None, batch: int = 500
) -> int:
    """Count every provisional deadline again; return how many moved or became final."""
    now = now or utcnow()
    changed, last_id = 0, 0
    while True:
        with factory() as session, session.begin():
            statement = claim(
                select(Case)
                .where(Case.deadline_provisional.is_(True), Case.id > last_id)
                .order_by(Case.id)
                .limit(batch),
                of=Case,
            )
            cases = list(session.scalars(statement))
            for case in cases:
                changed += recount_deadline(session, case, rules=rules, now=now) is not None
            if cases:
                last_id = cases[-1].id
        if len(cases) < batch:
            return changed
