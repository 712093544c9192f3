"""Group commit: the writes of concurrent requests, committed together.

A request that writes hands its item to the process's GroupCommit and awaits the result. A
writer thread of its own takes whatever has queued up while the last transaction ran and writes
it all in one transaction: one wait for SQLite's write lock, one commit for the lot, and the
items of one job written together (a job is a function of a session and a list of items, such
as filing complaints through odr.cases.bulk). When a job raises, the transaction is undone and
written again with each job in a savepoint, and the items of the one that raises one at a time,
each in a savepoint of its own, so one bad item fails alone and the others are kept (the
savepoints, two round trips each on PostgreSQL, are only paid when something fails). A failed
commit fails every item of the transaction.

One writer by default. ODR_GROUP_COMMIT_WRITERS lets more transactions run at once on
PostgreSQL: while one waits for the server (each statement a round trip, the commit a flush of
the WAL), the next takes what queued meanwhile. Their transactions meet as those of two
processes do (the Idempotency-Key's unique claim, odr.cases' rules for concurrent filings).
On a loaded 2-core machine three writers cost more CPU a complaint (smaller batches) for no
rate measured (benchmarks/README.md, issue 22). SQLite writes one transaction at a time: one
writer whatever the setting.

Only async code awaits it (handlers, middleware); sync code keeps its own sessions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from odr.db.engine import database_unavailable, is_sqlite

Item = TypeVar("Item")
Result = TypeVar("Result")
Job = Callable[[Session, Sequence[Item]], Sequence[Result]]

Batch = list[tuple[Job[Any, Any], Any, "asyncio.Future[Any]"]]
MAX_ITEMS = 500  # a transaction's items: its latency stays a few tens of milliseconds


class _Failed:
    """An item whose job raised: the exception, re-raised in the request that awaits it."""

    def __init__(self, error: BaseException):
        self.error = error


class GroupCommit:
    def __init__(
        self, factory: sessionmaker[Session], max_items: int = MAX_ITEMS, writers: int = 1
    ):
        self._factory = factory
        self._max_items = max_items
        bind = factory.kw.get("bind")
        # SQLite takes one writer at a time; PostgreSQL as many as asked (0: one).
        self._writers = 1 if bind is None or is_sqlite(bind) else max(1, writers)
        self._pending: Batch = []
        self._draining = 0  # writers at work
        self._thread: ThreadPoolExecutor | None = None  # started by the first write

    async def run(self, job: Job[Item, Result], item: Item) -> Result:
        """The job's result for this item, once the transaction that wrote it has committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((job, item, future))
        if self._draining < self._writers:
            self._draining += 1
            asyncio.get_running_loop().create_task(self._drain())
        outcome = await future
        if isinstance(outcome, _Failed):
            raise outcome.error
        return outcome

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        if self._thread is None:
            self._thread = ThreadPoolExecutor(self._writers, thread_name_prefix="odr-group-commit")
        try:
            while self._pending:
                batch = self._pending[: self._max_items]
                del self._pending[: self._max_items]
                try:
                    outcomes = await loop.run_in_executor(self._thread, self._write, batch)
                except BaseException as exc:  # the commit failed: so did every item
                    outcomes = [_Failed(exc)] * len(batch)
                for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():  # its request may have been cancelled
                        future.set_result(outcome)
        finally:
            self._draining -= 1

    def _write(self, batch: Batch) -> list[Any]:
        by_job: dict[Job[Any, Any], list[int]] = {}
        for index, (job, _, _) in enumerate(batch):
            by_job.setdefault(job, []).append(index)
        with self._factory() as session:
            session.begin()
            try:
                try:
                    outcomes = _together(session, batch, by_job)
                except Exception as exc:
                    if database_unavailable(exc):
                        raise
                    # A job raised: its writes and the others' are undone. Once more, each job
                    # in a savepoint, and the one that raises item by item.
                    session.rollback()
                    session.begin()
                    outcomes = _carefully(session, batch, by_job)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        return outcomes

    def close(self) -> None:
        """Let the thread go once its last transaction is done (the next write starts another)."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None


def _each_job(
    batch: Batch,
    by_job: dict[Job[Any, Any], list[int]],
    run: Callable[[Job[Any, Any], list[Any]], list[Any]],
) -> list[Any]:
    """The outcome of each item of the batch, its job run on all its items by `run`."""
    outcomes: list[Any] = [None] * len(batch)
    for job, indexes in by_job.items():
        results = run(job, [batch[i][1] for i in indexes])
        for index, outcome in zip(indexes, results, strict=True):
            outcomes[index] = outcome
    return outcomes


def _together(session: Session, batch: Batch, by_job: dict[Job[Any, Any], list[int]]) -> list[Any]:
    """Every job on its items, in the transaction itself (no savepoint)."""

    def run(job: Job[Any, Any], items: list[Any]) -> list[Any]:
        results = list(job(session, items))
        _check(job, results, items)
        return results

    return _each_job(batch, by_job, run)


def _carefully(session: Session, batch: Batch, by_job: dict[Job[Any, Any], list[int]]) -> list[Any]:
    """Every job in a savepoint of its own; one that raises, on each item alone."""
    return _each_job(batch, by_job, lambda job, items: _run_job(session, job, items))


def _check(job: Job[Any, Any], results: list[Any], items: Sequence[Any]) -> None:
    if len(results) != len(items):  # a job's bug: every item of the transaction fails
        raise ValueError(f"{job.__name__} answered {len(results)} of {len(items)} items")


def _run_job(session: Session, job: Job[Any, Any], items: list[Any]) -> list[Any]:
    """The job on all its items in a savepoint; if it raises, on each item alone. The database
    going away is no item's fault: it fails the whole transaction (every item answers 503),
    where running each item again on the lost connection answered PendingRollbackError (500)."""
    try:
        with session.begin_nested():
            results = list(job(session, items))
    except Exception as exc:
        if database_unavailable(exc):
            raise
        if len(items) == 1:
            return [_Failed(exc)]
        return [_alone(session, job, item) for item in items]
    _check(job, results, items)
    return results


def _alone(session: Session, job: Job[Any, Any], item: Any) -> Any:
    try:
        with session.begin_nested():
            return job(session, [item])[0]
    except Exception as exc:
        if database_unavailable(exc):
            raise
        return _Failed(exc)
