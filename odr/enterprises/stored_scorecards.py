"""Scorecards as the pages show them: stored per enterprise and window (scorecard_snapshots),
so that a page reads one row however many cases the enterprise has. At a million cases the
largest platform's card takes seconds to compute (its response times join every case's
events), at ten million most of a minute: no request should wait for that.

- A page reads the stored card whatever its age, with the moment it was computed (`stored`).
- Only a card never stored is computed for a page (`compute`, on the primary): the first view
  of an enterprise in a window.
- The worker computes again the cards older than the rollup interval (`refresh_stale`), one
  window at a time and every stale enterprise of it in one pass, in a transaction that only
  reads (on SQLite no writer waits for it), then stores them in a short one over the rows still
  stale: of several workers that computed the same window at once, the first stores it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from odr.db.dialects import runs_long
from odr.db.engine import reading, transaction
from odr.engine.calendar import WorkingCalendar
from odr.enterprises.models import ScorecardSnapshot
from odr.enterprises.scorecard import WINDOWS, Scorecard, default_window, scorecards

__all__ = ["compute", "refresh_stale", "stored"]


def stored(session: Session, enterprise_ids: Collection[int], weeks: int) -> dict[int, Scorecard]:
    """The stored cards of these enterprises over the window, whatever their age; an enterprise
    without one is left out."""
    rows = session.scalars(
        select(ScorecardSnapshot).where(
            ScorecardSnapshot.weeks == weeks,
            ScorecardSnapshot.enterprise_id.in_(list(enterprise_ids)),
        )
    )
    return {
        row.enterprise_id: Scorecard.from_stored(row.enterprise_id, row.figures, row.computed_at)
        for row in rows
    }


def compute(
    session: Session,
    enterprise_ids: Collection[int],
    weeks: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> dict[int, Scorecard]:
    """Compute the cards of these enterprises over the window ending today and store them
    (replacing what was stored); answer them."""
    cards = _computed(session, enterprise_ids, weeks, now, calendar)
    _store(session, cards, weeks, now)
    return cards


def _computed(
    session: Session,
    enterprise_ids: Collection[int],
    weeks: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> dict[int, Scorecard]:
    since, until = default_window(now, weeks)
    cards = scorecards(session, enterprise_ids, since, until, calendar)
    for card in cards.values():
        card.computed_at = now
    return cards


def _store(
    session: Session,
    cards: dict[int, Scorecard],
    weeks: int,
    now: datetime,
    older_than: datetime | None = None,
) -> int:
    """Store the cards of a window; with `older_than`, only over rows still older than that
    (another worker may have stored newer ones meanwhile). Answer how many were stored."""
    rows = {
        row.enterprise_id: row
        for row in session.scalars(
            select(ScorecardSnapshot).where(
                ScorecardSnapshot.weeks == weeks,
                ScorecardSnapshot.enterprise_id.in_(list(cards)),
            )
        )
    }
    stored = 0
    for enterprise_id, card in cards.items():
        row = rows.get(enterprise_id)
        if row is None:
            row = ScorecardSnapshot(enterprise_id=enterprise_id, weeks=weeks)
            session.add(row)
        elif older_than is not None and row.computed_at >= older_than:
            continue
        row.computed_at, row.figures = now, card.stored()
        stored += 1
    session.flush()
    return stored


def refresh_stale(
    factory: sessionmaker[Session], calendar: WorkingCalendar, now: datetime, max_age: timedelta
) -> int:
    """Compute again every stored card older than `max_age`, a window at a time: computed in a
    transaction that only reads (on SQLite the writers never wait for it), stored in a short
    one over the rows still stale; answer how many."""
    refreshed, cutoff = 0, now - max_age
    for weeks in WINDOWS:
        with reading(factory) as session:
            runs_long(session)
            stale = session.scalars(
                select(ScorecardSnapshot.enterprise_id).where(
                    ScorecardSnapshot.weeks == weeks, ScorecardSnapshot.computed_at < cutoff
                )
            ).all()
            cards = _computed(session, stale, weeks, now, calendar) if stale else {}
        if cards:
            with transaction(factory) as session:
                refreshed += _store(session, cards, weeks, now, older_than=cutoff)
    return refreshed
