"""Group commit: concurrent requests' writes share a transaction, one bad item fails alone, and
a failed commit fails every item of its transaction (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from aio import run
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from odr.db.engine import database_unavailable
from odr.db.group_commit import GroupCommit
from odr.intake.models import IdempotencyKey

CLIENT = "group-commit-test"


def _stored_keys(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        return set(
            session.scalars(select(IdempotencyKey.key).where(IdempotencyKey.client == CLIENT))
        )


class _KeyWriter:
    """A job storing one idempotency row per key, remembering how many items each call got and
    whether all of them met in one transaction."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, session: Session, keys: Sequence[str]) -> list[str]:
        self.calls.append(len(keys))
        for key in keys:
            session.add(
                IdempotencyKey(
                    client=CLIENT,
                    key=key,
                    method="POST",
                    path="/test",
                    request_sha256="0" * 64,
                    created_at=datetime.now(UTC),
                )
            )
        session.flush()
        return [f"stored {key}" for key in keys]


async def _run_all(group_commit: GroupCommit, job, keys: list[str]) -> list[object]:
    return await asyncio.gather(
        *(group_commit.run(job, key) for key in keys), return_exceptions=True
    )


@pytest.fixture
def clean_keys(factory: sessionmaker[Session]):
    yield
    with factory() as session, session.begin():
        session.query(IdempotencyKey).filter(IdempotencyKey.client == CLIENT).delete()


def test_concurrent_items_are_written_together_and_answered_in_order(factory, clean_keys):
    group_commit, job = GroupCommit(factory), _KeyWriter()
    keys = [f"k{n}" for n in range(30)]
    try:
        results = run(_run_all(group_commit, job, keys))
    finally:
        group_commit.close()
    assert results == [f"stored {key}" for key in keys]
    assert sum(job.calls) == 30
    assert max(job.calls) > 1, job.calls  # items queued meanwhile went in one call
    assert _stored_keys(factory) == set(keys)


def test_a_failing_item_fails_alone_and_the_others_are_kept(factory, clean_keys):
    group_commit, job = GroupCommit(factory), _KeyWriter()
    try:
        run(_run_all(group_commit, job, ["taken"]))
        results = run(_run_all(group_commit, job, ["a", "taken", "b"]))
    finally:
        group_commit.close()
    assert results[0] == "stored a" and results[2] == "stored b"
    assert isinstance(results[1], IntegrityError)
    assert _stored_keys(factory) == {"taken", "a", "b"}


def test_a_failed_commit_fails_every_item_of_its_transaction(factory, clean_keys):
    refused = sessionmaker(bind=factory.kw["bind"], expire_on_commit=False)

    @event.listens_for(refused, "before_commit")
    def _refuse(session):
        if not session.in_nested_transaction():  # the transaction's commit, not a savepoint's
            raise RuntimeError("the disk is full")

    group_commit, job = GroupCommit(refused), _KeyWriter()
    try:
        results = run(_run_all(group_commit, job, ["x", "y", "z"]))
    finally:
        group_commit.close()
    assert [type(r) for r in results] == [RuntimeError] * 3, results
    with factory() as session:
        count = select(func.count()).select_from(IdempotencyKey)
        assert session.scalar(count.where(IdempotencyKey.client == CLIENT)) == 0


def test_it_writes_again_after_close(factory, clean_keys):
    """An app's lifespan closes it at shutdown; a test client starting the app again writes."""
    group_commit, job = GroupCommit(factory), _KeyWriter()
    run(_run_all(group_commit, job, ["before"]))
    group_commit.close()
    run(_run_all(group_commit, job, ["after"]))
    group_commit.close()
    assert _stored_keys(factory) == {"before", "after"}


def test_the_database_going_away_fails_every_item_as_an_outage(factory, clean_keys):
    """The connection is lost mid-job: every item of the transaction fails with the outage (a
    503), none is run again alone on the lost connection (PendingRollbackError, a 500)."""

    class _Lost(Exception):
        pass

    writer = _KeyWriter()

    def job(session: Session, keys: Sequence[str]) -> list[str]:
        if "lost" in keys:
            session.connection().invalidate()
            raise OperationalError("INSERT", {}, _Lost("server closed the connection"))
        return writer(session, keys)

    group_commit = GroupCommit(factory)
    try:
        results = run(_run_all(group_commit, job, ["a", "lost", "b"]))
        again = run(_run_all(group_commit, job, ["after"]))
    finally:
        group_commit.close()
    assert all(database_unavailable(r) for r in results), results  # type: ignore[arg-type]
    assert again == ["stored after"]
    assert _stored_keys(factory) == {"after"}


def test_a_transaction_without_failures_takes_no_savepoint(factory, clean_keys):
    """Savepoints (two round trips each on PostgreSQL) are taken only once a job has raised."""
    engine = factory.kw["bind"]
    statements: list[str] = []

    def _seen(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", _seen)
    group_commit, job = GroupCommit(factory), _KeyWriter()
    try:
        assert run(_run_all(group_commit, job, ["p", "q"])) == ["stored p", "stored q"]
        clean = list(statements)
        results = run(_run_all(group_commit, job, ["r", "p", "s"]))
    finally:
        group_commit.close()
        event.remove(engine, "before_cursor_execute", _seen)
    assert not [s for s in clean if "SAVEPOINT" in s.upper()], clean
    assert isinstance(results[1], IntegrityError)  # the failure was written again item by item
    assert any("SAVEPOINT" in s.upper() for s in statements[len(clean) :])
    assert _stored_keys(factory) == {"p", "q", "r", "s"}


def test_more_writers_run_transactions_at_once(factory, postgres_only):
    """With two writers on PostgreSQL, a second batch is written while the first is still in its
    transaction (the first waits for the second: with one writer it would wait in vain)."""
    import threading

    second_ran = threading.Event()

    def first(_session: Session, items: Sequence[str]) -> list[str]:
        assert second_ran.wait(30), "the second batch never started"
        return list(items)

    def second(_session: Session, items: Sequence[str]) -> list[str]:
        second_ran.set()
        return list(items)

    async def both(group_commit: GroupCommit) -> list[str]:
        one = asyncio.ensure_future(group_commit.run(first, "a"))
        for _ in range(3):  # the request queues its item, a writer takes it: "b" comes later
            await asyncio.sleep(0)
        return [await group_commit.run(second, "b"), await one]

    group_commit = GroupCommit(factory, writers=2)
    try:
        assert run(both(group_commit)) == ["b", "a"]
    finally:
        group_commit.close()
