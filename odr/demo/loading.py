"""Writing generated demo cases (odr/demo/cases.py) fast: batches are generated in worker
processes, each turned into rows as SQLite stores them; the main process hands them to
odr.cases.history.load_rows (the driver's executemany: the ORM's per-row work would cost more
than the generation) and, into a fresh database, builds the secondary indexes once at the end.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.history import load_rows
from odr.cases.models import Case, CaseEvent
from odr.db.engine import json_text
from odr.demo.cases import (
    Generator,
    generate_enterprises,
    known_recipients,
    offices_by_code,
    respondents,
)
from odr.engine.rules import Rules
from odr.notify.models import Notification

BATCH = 10_000  # cases a worker generates and the writer commits at a time

# The generator of each worker process (set by the pool initializer; fork shares the rest).
_worker: Generator | None = None
_storage: bool = False


def _init_worker(generator: Generator, storage: bool) -> None:
    global _worker, _storage
    _worker, _storage = generator, storage


def _init_pool_worker(generator: Generator, storage: bool) -> None:
    """A worker process yields the cores to the writer, whose inserts are the critical path:
    three processes on two cores gave it about two thirds of one."""
    os.nice(10)
    _init_worker(generator, storage)


def _work(task: tuple[int, int, int]) -> tuple[list, list, list]:
    assert _worker is not None
    cases, events, notifications = _worker.batch(*task)
    if _storage:  # ids within the batch: the writer's INSERT adds the batch's first id
        for rows in (events, notifications):
            for index, row in enumerate(rows):
                row["id"] = index
        return (
            _as_stored(cases, CASE_COLUMNS),
            _as_stored(events, EVENT_COLUMNS),
            _as_stored(notifications, NOTIFICATION_COLUMNS),
        )
    return cases, events, notifications


def _columns(table: Table, names: list[str]) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Each column with how SQLite stores its value: the column type's own bind processor, so
    raw executemany writes exactly what SQLAlchemy would (dates in its text format, JSON); a
    moment in UTC is written by stored_moment, which writes the same text faster."""
    dialect = sqlite.dialect(json_serializer=json_text)
    return tuple(
        (
            name,
            stored_moment
            if isinstance(table.c[name].type, DateTimeUTC)
            else table.c[name].type.dialect_impl(dialect).bind_processor(dialect),
        )
        for name in names
    )


def stored_moment(value: datetime | None) -> str | None:
    """A moment as SQLAlchemy stores a UtcDateTime in SQLite ("2026-12-05 01:02:03.004567", in
    UTC): a third of the time of its processors, which a million cases call 18 million times."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise TypeError("tzinfo is required")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _as_stored(rows: list[dict[str, Any]], columns: tuple) -> list[tuple]:
    converters = [(name, conv) for name, conv in columns if conv is not None]
    in_order = itemgetter(*(name for name, _ in columns))
    out = []
    for row in rows:
        for name, conv in converters:
            row[name] = conv(row[name])
        out.append(in_order(row))
    return out


CASE_COLUMNS: tuple = ()
EVENT_COLUMNS: tuple = ()
NOTIFICATION_COLUMNS: tuple = ()


def _define_columns(generator: Generator) -> None:
    """The column order of each table's rows, from one generated case."""
    global CASE_COLUMNS, EVENT_COLUMNS, NOTIFICATION_COLUMNS
    cases, events, notifications = generator.batch(0, 200, 1)
    CASE_COLUMNS = _columns(Case.__table__, list(cases[0]))
    EVENT_COLUMNS = _columns(CaseEvent.__table__, ["id", *events[0]])
    NOTIFICATION_COLUMNS = _columns(Notification.__table__, ["id", *notifications[0]])


# Kept while the rows go in: their keys grow in the order rows are written (a case's
# notifications by case id; events' feed positions, all empty), so each insert appends to the
# index's last page. That costs the writer less than building the index afterwards, which
# reads the whole table again (about 4 s of a 1,000,000-case load).
KEPT_WHILE_LOADING = {"ix_notifications_case_id", "ix_case_events_feed_position"}


def _secondary_indexes(connection: Any, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """The indexes to drop before a fresh load and build once at its end."""
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(tables))})",
        tables,
    ).all()
    return [(name, sql) for name, sql in rows if name not in KEPT_WHILE_LOADING]


def generate_cases(
    factory: sessionmaker[Session],
    rules: Rules,
    count: int,
    now: datetime,
    *,
    overdue: int | None = None,
    seed: int = 1,
    processes: int = 2,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write `count` cases with their events and delivered notifications; return how many.

    Open cases' deadlines are spread over the coming weeks; `overdue` of them (default 2 %) ran
    out at the end of yesterday, so the sweeper has work. Every reminder is still ahead.
    """
    overdue = count // 50 if overdue is None else min(overdue, count)
    late = frozenset(random.Random(seed).sample(range(count), overdue))
    with factory() as session, session.begin():
        generate_enterprises(session, seed)
        by_kind = respondents(session, rules.intake_office_code)
        offices = offices_by_code(session)
        generator = Generator(rules, by_kind, offices, lambda *_: [], now, late, seed)
        generator.recipients = known_recipients(
            session,
            {
                w.routed.enterprise.id if w.routed.enterprise else None
                for g in by_kind.values()
                for w in g
            },
            {o.id for o in offices.values()} | {None},
            generator.route_notices(),
        )
        first_case = (session.scalar(select(func.max(Case.id))) or 0) + 1
        first_event = (session.scalar(select(func.max(CaseEvent.id))) or 0) + 1
        first_note = (session.scalar(select(func.max(Notification.id))) or 0) + 1
        fresh = first_case == 1
    _define_columns(generator)
    engine: Engine = factory.kw["bind"]
    sqlite = engine.dialect.name == "sqlite"
    tasks = [
        (start, min(BATCH, count - start), first_case + start) for start in range(0, count, BATCH)
    ]
    engine.dispose()  # no pooled connection crosses the fork
    case_names, event_names, notification_names = (
        [name for name, _ in columns]
        for columns in (CASE_COLUMNS, EVENT_COLUMNS, NOTIFICATION_COLUMNS)
    )
    names = (case_names, event_names, notification_names)
    with _batches(generator, tasks, sqlite, processes) as batches, engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None  # a live connection's
        dropped: list[tuple[str, str]] = []
        if sqlite:
            raw.execute("PRAGMA synchronous=OFF")  # outside a transaction, as SQLite requires
            raw.execute("PRAGMA cache_size=-262144")
            raw.execute("PRAGMA threads=2")  # CREATE INDEX sorts on both cores
            if fresh:  # build the secondary indexes once, at the end
                with connection.begin():
                    dropped = _secondary_indexes(
                        connection, ("cases", "case_events", "notifications")
                    )
                    for name, _ in dropped:
                        connection.exec_driver_sql(f'DROP INDEX "{name}"')
        try:
            for cases, events, notifications in batches:
                with connection.begin():
                    first_event = load_rows(
                        connection, names, cases, events, notifications, first_event, first_note
                    )
                first_note += len(notifications)
                if progress:
                    progress(len(cases))
        finally:
            if dropped:
                with connection.begin():
                    for _, sql in dropped:
                        connection.exec_driver_sql(sql)
        with connection.begin():
            if not sqlite:
                for table in ("cases", "case_events", "notifications"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
            if sqlite:  # statistics from a sample of each index: a full pass reads every row again
                connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            connection.exec_driver_sql("ANALYZE")
        if sqlite:
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA cache_size=-2000")
            raw.execute("PRAGMA threads=0")
    return count


@contextmanager
def _batches(
    generator: Generator, tasks: list[tuple[int, int, int]], sqlite: bool, processes: int
) -> Iterator[Iterator[tuple[list, list, list]]]:
    """Generated batches in order: from worker processes, or here for small counts. The workers
    fork on entry, before the writer opens its connection (SQLite's rule: no fork with one open)."""
    if processes < 2 or len(tasks) < 2:
        _init_worker(generator, sqlite)
        yield map(_work, tasks)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(
        processes, initializer=_init_pool_worker, initargs=(generator, sqlite)
    ) as pool:

        def in_order() -> Iterator[tuple[list, list, list]]:
            # A few batches ahead, no more: what the writer has not taken yet is held in memory.
            pending: deque[Any] = deque()
            for task in tasks:
                pending.append(pool.apply_async(_work, (task,)))
                if len(pending) > processes * 2:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()

        yield in_order()
