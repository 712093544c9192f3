"""Writing generated demo cases (odr/demo/cases.py) fast: batches are generated in worker
processes, each turned into rows as the database's loader takes them (odr/db/bulk_load.py);
the main process hands them to odr.cases.history.load_rows inside the loader's `loading`
(which, on SQLite, builds a fresh database's secondary indexes once at the end).
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.bulk import CASES, EVENTS, NOTIFICATIONS
from odr.cases.history import load_rows
from odr.cases.models import Case, CaseEvent
from odr.cases.search_index import SEARCH
from odr.db.bulk_load import RowLoader, loader_for
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

# The generator and loader of each worker process (set by the pool initializer; fork shares
# the rest).
_worker: Generator | None = None
_loader: RowLoader | None = None


def _init_worker(generator: Generator, loader: RowLoader) -> None:
    global _worker, _loader
    _worker, _loader = generator, loader


def _init_pool_worker(generator: Generator, loader: RowLoader) -> None:
    """A worker process yields the cores to the writer as much as the loader asks (SQLite's
    inserts are the critical path: three processes on two cores gave it about two thirds of
    one; PostgreSQL's COPY is not)."""
    os.nice(loader.worker_niceness)
    _init_worker(generator, loader)


def _work(task: tuple[int, int, int]) -> tuple[list, list, list]:
    assert _worker is not None and _loader is not None
    cases, events, notifications = _worker.batch(*task)
    for rows in (events, notifications):  # ids within the batch: the insert adds the first id
        for index, row in enumerate(rows):
            row["id"] = index
    for index, row in enumerate(events):  # committed in id order: their feed positions
        row["feed_position"] = index
    case_names, event_names, notification_names = NAMES
    return (
        _loader.prepare(CASES, case_names, cases),
        _loader.prepare(EVENTS, event_names, events),
        _loader.prepare(NOTIFICATIONS, notification_names, notifications),
    )


# The column order of each table's rows (from one generated case).
NAMES: tuple[list[str], list[str], list[str]] = ([], [], [])


def _define_columns(generator: Generator) -> None:
    global NAMES
    cases, events, notifications = generator.batch(0, 200, 1)
    event_names = ["id", "feed_position", *(n for n in events[0] if n != "feed_position")]
    NAMES = (list(cases[0]), event_names, ["id", *notifications[0]])


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
    loader = loader_for(engine)
    tasks = [
        (start, min(BATCH, count - start), first_case + start) for start in range(0, count, BATCH)
    ]
    engine.dispose()  # no pooled connection crosses the fork
    with (
        _batches(generator, tasks, loader, processes) as batches,
        engine.connect() as connection,
        loader.loading(connection, (CASES, EVENTS, NOTIFICATIONS, SEARCH), fresh),
    ):
        for cases, events, notifications in batches:
            with connection.begin():
                first_event = load_rows(
                    connection, loader, NAMES, cases, events, notifications, first_event, first_note
                )
            first_note += len(notifications)
            if progress:
                progress(len(cases))
    return count


@contextmanager
def _batches(
    generator: Generator, tasks: list[tuple[int, int, int]], loader: RowLoader, processes: int
) -> Iterator[Iterator[tuple[list, list, list]]]:
    """Generated batches in order: from worker processes, or here for small counts. The workers
    fork on entry, before the writer opens its connection (SQLite's rule: no fork with one open)."""
    if processes < 2 or len(tasks) < 2:
        _init_worker(generator, loader)
        yield map(_work, tasks)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(
        processes, initializer=_init_pool_worker, initargs=(generator, loader)
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
