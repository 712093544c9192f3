"""The 12315 updates feed: status changes of transferred cases after a cursor, in commit order
and without gaps.

A reader that has passed cursor N must never later meet an event below N. Event ids can't give
that on PostgreSQL: ids come from a sequence when the row is written, so a transaction that took
id 10 may commit after one that took id 11. Hiding events whose transaction is younger than the
oldest running one (the xmin of a snapshot) is not enough either while the feed is ordered by
id: the younger transaction's event may have the lower id. Ordering by transaction id instead
would put two events of one case in the wrong order when the older transaction writes last.

So the feed numbers events itself, after they commit: one numbering at a time (an advisory lock
held to its commit) gives every committed, unnumbered event the next position, in id order. A
transaction still running is invisible to it, and its events get higher positions once it has
committed. Positions become visible in order, and a reader sees only committed positions; every
position given later is higher. The write path is untouched (the column stays NULL when rows are
written, by the ORM or by bulk inserts).

SQLite has one writer at a time and gives a new row the next rowid, so the id order there is
the commit order: the feed reads by id and numbers nothing (odr.db.dialects.commit_order).
"""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.event_positions import event_order, number_committed_events
from odr.cases.models import Case, CaseEvent
from odr.intake.import12315 import CHANNEL

__all__ = ["number_committed_events", "read_updates"]


def read_updates(
    session: Session, factory: sessionmaker[Session], cursor: int, limit: int
) -> list[Row[int, CaseEvent, str | None, str]]:
    """(position, event, 12315 number, case number) of transferred cases after `cursor`."""
    position = event_order(session, factory)
    return list(
        session.execute(
            select(position, CaseEvent, Case.external_id, Case.number)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.channel == CHANNEL, position > cursor)
            .order_by(position)
            .limit(limit)
        )
    )
