"""Pages of cases by deadline (nearest first, those without one last, then by id) with a keyset
cursor, read as several short index walks merged: the regulator's queues (a walk per office and
queue part) and the enterprise inbox (a walk for the enterprise, one per merchant).

One query with an OR over the branches makes the database gather and sort every matching case,
hundreds of thousands on a large platform; a walk per branch along an index in (due_at, id)
order stops after the page's rows, so a page costs the same on 1,000 cases as on 1,000,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal_column, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from odr.cases.models import Case

ID_DUE = (literal_column("id", Case.id.type), literal_column("due_at", Case.due_at.type))


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last case's deadline (None: no deadline, sorted last) and id."""

    due_at: datetime | None
    id: int

    @classmethod
    def of(cls, case: Case) -> Cursor:
        return cls(case.due_at, case.id)

    def encode(self) -> str:
        return f"{self.due_at.isoformat() if self.due_at else '-'}~{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """The cursor a `next page` link carries; None when the text is not one."""
        if not raw or "~" not in raw:
            return None
        due, _, ident = raw.rpartition("~")
        if not ident.isdigit():
            return None
        try:
            return cls(None if due == "-" else datetime.fromisoformat(due), int(ident))
        except (ValueError, OverflowError):
            return None

    def after(self) -> ColumnElement[bool]:
        """Cases sorted after this one among those like it (with a deadline, or without): by
        deadline then id. The first term is an index range; the OR only breaks ties."""
        if self.due_at is None:
            return Case.due_at.is_(None) & (Case.id > self.id)
        return (Case.due_at >= self.due_at) & or_(Case.due_at > self.due_at, Case.id > self.id)


def page_ids(
    session: Session,
    walks: Sequence[Sequence[ColumnElement[bool]]],
    cursor: Cursor | None,
    limit: int,
) -> list[tuple[int, datetime | None]]:
    """(id, due_at) of the next `limit` cases in deadline order among the cases any walk (a list
    of conditions) matches: first those with a deadline, then the rest by id. Each walk must lead
    with an equality on the first column of an index whose next columns are (due_at, id)."""
    found: list[tuple[int, datetime | None]] = []
    for dated in (True, False):
        if dated and cursor is not None and cursor.due_at is None:
            continue  # the cursor is already among the cases without a deadline
        after = (
            [cursor.after()] if cursor is not None and (cursor.due_at is not None) == dated else []
        )
        due = Case.due_at.is_not(None) if dated else Case.due_at.is_(None)
        order = (Case.due_at, Case.id) if dated else (Case.id,)
        wanted = limit - len(found)
        # Each walk selected from as a plain subquery, its columns named in text: SQLAlchemy's
        # column collections of 50 subqueries would cost more than the database's reads.
        reads = [
            select(*ID_DUE).select_from(
                select(Case.id, Case.due_at)
                .where(*walk, due, *after)
                .order_by(*order)
                .limit(wanted)
                .subquery()
            )
            for walk in walks
        ]
        if not reads:
            break
        # UNION, not UNION ALL: a case two walks match is listed once.
        merged = union(*reads).subquery()
        merged_order = (merged.c.due_at, merged.c.id) if dated else (merged.c.id,)
        found += [
            (row.id, row.due_at)
            for row in session.execute(
                select(merged.c.id, merged.c.due_at).order_by(*merged_order).limit(wanted)
            )
        ]
        if len(found) >= limit:
            break
    return found


def load_page(session: Session, ids: list[tuple[int, datetime | None]]) -> list[Case]:
    """The cases of page_ids, in its order."""
    by_id = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_([i for i, _ in ids])))}
    return [by_id[i] for i, _ in ids if i in by_id]
