"""Events in commit order: what the 12315 updates feed and the incremental `odr audit verify`
read past a cursor without missing an event that committed late.

On PostgreSQL an event's id comes from a sequence when it is written, and a transaction holding
id 10 may commit after one holding id 11: events get a position after they commit, one
numbering at a time (odr.db.dialects.number_committed); on SQLite the id is the commit order.
Both readers number with the same lock, so a position is given once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.models import CaseEvent
from odr.db.dialects import commit_order, committed_through, number_committed

# The advisory lock key of the numbering (any constant unique to it).
NUMBERING_LOCK = 12315_0008
# Events numbered per pass: a feed left unread for long catches up over a few reads.
NUMBERING_BATCH = 10_000
EVENTS = CaseEvent.__table__


def number_committed_events(factory: sessionmaker[Session], batch: int = NUMBERING_BATCH) -> int:
    """Give committed events without a feed position the next positions, in id order; the count
    (PostgreSQL)."""
    return number_committed(factory, EVENTS.c.id, EVENTS.c.feed_position, NUMBERING_LOCK, batch)


def event_order(session: Session, factory: sessionmaker[Session]) -> Column[Any]:
    """The column of the events' commit order, a batch of committed events numbered first."""
    return commit_order(
        session, factory, EVENTS.c.id, EVENTS.c.feed_position, NUMBERING_LOCK, NUMBERING_BATCH
    )


def events_committed_through(
    session: Session, factory: sessionmaker[Session]
) -> tuple[Column[Any], int]:
    """The column of the events' commit order and its highest value now, every committed
    event numbered first (in transactions of NUMBERING_BATCH events: the rows are locked while
    they are numbered): an event committed later is above it."""
    return committed_through(
        session, factory, EVENTS.c.id, EVENTS.c.feed_position, NUMBERING_LOCK, NUMBERING_BATCH
    )
