"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


# How long a writing transaction waits for this process's turn to write before leaving the
# wait to SQLite's busy timeout (the same 30 s).
WRITER_WAIT_SECONDS = 30.0

# An execution option: the transaction only reads. On SQLite it begins DEFERRED, takes no lock
# to write and sees the last commit (WAL): it never waits for a writer. It may not write
# (PRAGMA query_only): a deferred transaction that reads, then writes, would fail with "database
# is locked" at once (SQLite does not wait to upgrade it) whenever another transaction wrote
# meanwhile. Every other transaction begins IMMEDIATE, taking the write lock up front.
READS_ONLY = "odr_reads_only"

# One process writes a SQLite file (the embedded default's limit; more processes means
# PostgreSQL): its writers take turns on a lock of the process, one per file.
_turns: dict[str, threading.Lock] = {}
_turns_guard = threading.Lock()


def _forget_turns() -> None:
    """A forked child takes turns of its own: a lock a parent's thread held at the fork stays
    held in the child."""
    global _turns_guard
    _turns.clear()
    _turns_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_turns)


def _turn_of(database: str) -> threading.Lock:
    """This process's turn to write a SQLite file (engines on the same file share it)."""
    key = str(Path(database).resolve())
    with _turns_guard:
        return _turns.setdefault(key, threading.Lock())


class _TurnTakingConnection(sqlite3.Connection):
    """A SQLite connection whose writing transactions take the process's turn to write its
    file before BEGIN IMMEDIATE and give it back once COMMIT or ROLLBACK is done or the
    connection closes.

    SQLite's busy handler waits for the write lock by sleeping 1, 2, 5, ... 100 ms between
    tries: the process idled in those sleeps while the lock was free. The next writer of the
    process now wakes as soon as the last one is done."""

    turn: threading.Lock
    holds_turn = False

    def take_turn(self) -> None:
        if not self.holds_turn:
            self.holds_turn = self.turn.acquire(timeout=WRITER_WAIT_SECONDS)

    def give_turn(self) -> None:
        if self.holds_turn:
            self.holds_turn = False
            self.turn.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.give_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.give_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_turn()


_JSON = msgspec.json.Encoder()


def json_text(value: Any) -> str:
    """A JSON column's value as stored: compact, characters as they are (json.dumps, the
    default, takes five times as long and writes each Chinese character as six bytes)."""
    return _JSON.encode(value).decode("utf-8")


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout, and transactions that write take the write
    lock when they begin (those marked READS_ONLY take none)."""
    url = normalise_url(url)
    kwargs = {"json_serializer": json_text, **kwargs}
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **kwargs)

    database = make_url(url).database
    connect_args: dict[str, object] = {"timeout": 30}
    turn = None
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # A pool as large as the threads that may hold a connection at once (litestar's handler
        # threads, the commit and group-commit threads, background jobs): above the default 5, each
        # connection is closed on return and opened again, its PRAGMAs run again, under load.
        kwargs = {"pool_size": 20, "max_overflow": 20, **kwargs}
        connect_args["factory"] = _TurnTakingConnection
        turn = _turn_of(database)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, emit BEGIN (see the SQLAlchemy pysqlite docs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        if turn is not None:
            dbapi_connection.turn = turn

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        reads = bool(connection.get_execution_options().get(READS_ONLY))
        # query_only makes a write in a reading transaction fail every time, in tests too, not
        # only when it meets another writer (see READS_ONLY).
        if connection.connection.info.get("query_only", False) != reads:
            connection.exec_driver_sql(f"PRAGMA query_only={int(reads)}")
            connection.connection.info["query_only"] = reads
        if reads:
            connection.exec_driver_sql("BEGIN")
            return
        writer = connection.connection.dbapi_connection
        if not isinstance(writer, _TurnTakingConnection):  # an in-memory database
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        writer.take_turn()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writer.give_turn()
            raise

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work for a background job or command: commit on success, else roll back."""
    with factory() as session, session.begin():
        yield session


def reads_only(session: Session) -> Session:
    """The session, its next transaction marked as one that only reads (READS_ONLY). Call it
    before the session has begun its transaction."""
    session.connection(execution_options={READS_ONLY: True})
    return session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that only reads: on SQLite it never waits for a writer."""
    with factory() as session:
        yield reads_only(session)


def database_unavailable(exc: BaseException) -> bool:
    """The database is away (down, restarting, unreachable, locked past the busy timeout, or no
    connection free in the pool), as opposed to a fault of the request or of the code: worth a
    503 and a retry later."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError)
    return False
