"""The deadline sweeper: fire each due expiry trigger once, however many sweepers run."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from odr.auth.actor import SYSTEM
from odr.cases.models import Case
from odr.cases.service import ConcurrentChange, act, utcnow
from odr.db.engine import is_sqlite
from odr.engine.rules import Rules

log = logging.getLogger("odr.sweeper")


def _claim_due(session: Session, now: datetime, batch: int) -> list[Case]:
    """Lock a batch of due cases; other sweepers skip the locked ones (PostgreSQL)."""
    statement = select(Case).where(Case.due_at <= now).order_by(Case.due_at, Case.id).limit(batch)
    if not is_sqlite(session.get_bind()):
        # SQLite has one writer at a time (BEGIN IMMEDIATE): the batch is already ours.
        statement = statement.with_for_update(skip_locked=True, of=Case)
    return list(session.scalars(statement))


def sweep(
    factory: sessionmaker[Session], rules: Rules, now: datetime | None = None, batch: int = 500
) -> int:
    """Fire the expiry trigger of every case whose clock has run out; return how many fired."""
    now = now or utcnow()
    fired = 0
    while True:
        with factory() as session, session.begin():
            cases = _claim_due(session, now, batch)
            for case in cases:
                clock = rules.workflow(case.workflow).states[case.state].clock
                if clock is None:  # a definition changed under a running case: stop its clock
                    log.warning("case %s: state %s has no clock now", case.number, case.state)
                    case.due_at = None
                    continue
                try:
                    with session.begin_nested():
                        act(session, case, clock.on_expiry, SYSTEM, {}, rules=rules, now=now)
                except ConcurrentChange:
                    log.info("case %s changed meanwhile; left for the next pass", case.number)
                    continue
                fired += 1
        if len(cases) < batch:
            return fired
