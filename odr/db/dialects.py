"""What SQLite and PostgreSQL do differently, answered here, so that domain code never asks
which database it runs on.

- Claiming rows: PostgreSQL locks the rows a transaction claims and lets other claimers skip
  them (`FOR UPDATE SKIP LOCKED`). SQLite has one writer at a time, and every transaction
  that writes takes the write lock when it begins (odr.db.engine): the rows it reads are
  already its own. SQLAlchemy's SQLite dialect renders no `FOR UPDATE`.
- Commit order: SQLite gives a new row the next rowid under that one write lock, so ids are
  in commit order. On PostgreSQL ids come from a sequence when a row is written, and a
  transaction holding id 10 may commit after one holding id 11: rows are numbered after they
  commit (see number_committed).
- Planning: SQLite's planner misses an index for some statements that PostgreSQL's finds by
  itself (see guided).
- Long lists of values: PostgreSQL takes them as one array (`= ANY(...)`), parsed and planned
  once; thousands of IN parameters cost more to render, send and plan than to look up
  (see one_of).
- Statement limits: PostgreSQL ends a statement after ODR_DB_STATEMENT_TIMEOUT (odr.db.engine);
  a rollup computed over millions of cases may run longer, and says so (runs_long). SQLite
  has no such limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    CursorResult,
    Select,
    any_,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from odr.db.engine import is_sqlite


def claim(statement: Select[Any], of: Any = None) -> Select[Any]:
    """The statement, its rows (of the table `of` names, else all) claimed by the transaction
    that reads them: a transaction claiming at the same time skips them."""
    return statement.with_for_update(skip_locked=True, of=of)


def runs_long(session: Session) -> None:
    """Lift the statement time limit for the rest of the session's transaction (a rollup over
    every case: the dashboard's figures, the scorecards)."""
    if not is_sqlite(session.get_bind()):
        session.execute(text("SET LOCAL statement_timeout = 0"))


def number_committed(
    factory: sessionmaker[Session], ids: Column[int], positions: Column[Any], lock: int, batch: int
) -> int:
    """Give the committed rows without a position the next positions, in id order, in a
    transaction of its own; how many. One numbering runs at a time (an advisory lock, key
    `lock`, held to its commit); a transaction still running is invisible to it, and its rows
    get higher positions once it has committed. PostgreSQL only."""
    with factory() as session, session.begin():
        session.execute(select(func.pg_advisory_xact_lock(lock)))
        # Read after the lock: every earlier numbering has committed and is seen here.
        last = session.scalar(select(func.coalesce(func.max(positions), 0)))
        unnumbered = (
            select(ids, func.row_number().over(order_by=ids).label("offset"))
            .where(positions.is_(None))
            .order_by(ids)
            .limit(batch)
            .subquery()
        )
        result = session.execute(
            update(ids.table)
            .where(ids == unnumbered.c[ids.name])
            .values({positions.name: last + unnumbered.c.offset})
        )
        return cast(CursorResult[Any], result).rowcount


def commit_order(
    session: Session,
    factory: sessionmaker[Session],
    ids: Column[int],
    positions: Column[Any],
    lock: int,
    batch: int,
) -> Column[Any]:
    """The column that orders a table's committed rows, for a reader's session, as they were
    committed, a row's value never below one the reader saw before: the ids on SQLite; on
    PostgreSQL the positions, the committed rows numbered first (number_committed)."""
    if is_sqlite(session.get_bind()):
        return ids
    number_committed(factory, ids, positions, lock, batch)
    return positions


def committed_through(
    session: Session,
    factory: sessionmaker[Session],
    ids: Column[int],
    positions: Column[Any],
    lock: int,
    batch: int,
) -> tuple[Column[Any], int]:
    """The commit-order column (as commit_order) and the highest value a committed row has in
    it, every committed row numbered first (PostgreSQL: in numberings of `batch` rows until
    none is left); a row committed later gets a higher value."""
    if is_sqlite(session.get_bind()):
        return ids, session.scalar(select(func.coalesce(func.max(ids), 0))) or 0
    while number_committed(factory, ids, positions, lock, batch) == batch:
        pass
    return positions, session.scalar(select(func.coalesce(func.max(positions), 0))) or 0


def guided(session: Session, statement: Select[Any], *implied: ColumnElement[bool]) -> Select[Any]:
    """The statement with criteria its rows meet anyway, on SQLite, whose planner needs them
    to read along the right index; PostgreSQL's finds it alone and could take another for
    them."""
    if is_sqlite(session.get_bind()):
        return statement.where(*implied)
    return statement


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values` for a long list (thousands of ids): one array parameter on
    PostgreSQL, the plain IN on SQLite (whose parameters cost little)."""
    if is_sqlite(session.get_bind()):
        return cast(ColumnElement[bool], column.in_(values))
    return cast(
        ColumnElement[bool],
        column == any_(bindparam(None, list(values), type_=ARRAY(column.type), unique=True)),
    )
