"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


# How long a transaction waits for this process's writer before leaving the wait to SQLite's
# busy timeout (the same 30 s).
WRITER_WAIT_SECONDS = 30.0
_writer_locks: dict[str, threading.Lock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock(database: str) -> threading.Lock:
    """The one lock of this process for a SQLite file (engines on the same file share it)."""
    key = str(Path(database).resolve())
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.Lock())


class _QueuedWriterConnection(sqlite3.Connection):
    """A SQLite connection whose transactions queue on a lock of this process before BEGIN
    IMMEDIATE, and let it go once COMMIT or ROLLBACK is done (or the connection closes).

    SQLite's busy handler waits for a lock another connection holds by sleeping 1, 2, 5, 10,
    ... 100 ms and trying again: with the threads of one `odr serve` taking turns to write,
    the process idled in those sleeps (under load about 40 % of the time) while the lock was
    free. Threads of one process now wait on a lock that wakes the next at once; other
    processes on the same file still meet SQLite's own busy timeout."""

    writer_lock: threading.Lock
    holds_writer_lock = False

    def queue_for_writer(self) -> None:
        if not self.holds_writer_lock:
            self.holds_writer_lock = self.writer_lock.acquire(timeout=WRITER_WAIT_SECONDS)

    def writer_done(self) -> None:
        if self.holds_writer_lock:
            self.holds_writer_lock = False
            self.writer_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.writer_done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.writer_done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.writer_done()


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and write-locking transactions."""
    url = normalise_url(url)
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **kwargs)

    database = make_url(url).database
    connect_args: dict[str, object] = {"timeout": 30}
    writer_lock = None
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # A pool as large as the threads that may hold a connection at once (litestar's handler
        # threads, anyio's for idempotency keys and background jobs): above the default 5, each
        # connection is closed on return and opened again, its PRAGMAs run again, under load.
        kwargs = {"pool_size": 20, "max_overflow": 20, **kwargs}
        connect_args["factory"] = _QueuedWriterConnection
        writer_lock = _writer_lock(database)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, emit BEGIN (see the SQLAlchemy pysqlite docs).
        dbapi_connection.isolation_level = None
        if writer_lock is not None:
            dbapi_connection.writer_lock = writer_lock
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes fails with "database is locked" instead of waiting when another writer is busy.
        queued = connection.connection.dbapi_connection
        if not isinstance(queued, _QueuedWriterConnection):  # an in-memory database
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        queued.queue_for_writer()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            queued.writer_done()
            raise

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work for a background job or command: commit on success, else roll back."""
    with factory() as session, session.begin():
        yield session


def database_unavailable(exc: BaseException) -> bool:
    """The database is away (down, restarting, unreachable, locked past the busy timeout, or no
    connection free in the pool), as opposed to a fault of the request or of the code: worth a
    503 and a retry later."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError)
    return False
