"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("odr.db")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(bind: Engine | Connection | str) -> bool:
    url = make_url(bind) if isinstance(bind, str) else bind.engine.url
    return url.get_backend_name() == "sqlite"


# How long a transaction waits for the writer's turn before leaving the wait to SQLite's busy
# timeout (the same 30 s).
WRITER_WAIT_SECONDS = 30.0
# How often a process whose turn is held by another process looks again (SQLite's busy handler
# sleeps 1 to 100 ms between looks).
OTHER_PROCESS_POLL_SECONDS = 0.0002


class WriterQueue:
    """The turn to write a SQLite file: a lock shared by this process's connections to it, then
    an advisory lock on `<file>-writer.lock` shared with every other process writing it (`odr
    serve`, `odr worker`, an import). Only one thread of a process looks for the other
    processes' lock at a time, so its short sleeps cost next to nothing."""

    def __init__(self, database: str):
        self._threads = threading.Lock()
        self._file = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o644)

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._threads.release()
                    return False
                time.sleep(OTHER_PROCESS_POLL_SECONDS)

    def release(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()


# A commit leaves its pages in the WAL file; copying them into the database file (a
# checkpoint, with an fsync of each) is the job of a thread of the process's own, not of the
# writer whose commit made the WAL pass 1,000 pages, as SQLite does by itself: that writer
# held the write lock meanwhile (a large sweep spent much of its time so: benchmarks/README.md).
CHECKPOINT_DELAY_SECONDS = 0.2  # after a commit: the commits meanwhile are copied together
CHECKPOINT_IDLE_SECONDS = 10.0  # the thread ends when no commit came for so long


class Checkpointer:
    """Checkpoints a SQLite file's WAL (PASSIVE: readers and the next writer go on meanwhile)
    on a thread of its own, shortly after commits; the thread starts with the first commit and
    ends when commits stop."""

    def __init__(self, database: str):
        self._database = database
        self._wake = threading.Event()
        self._guard = threading.Lock()
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def nudge(self) -> None:
        """A commit was made."""
        with self._guard:
            self._wake.set()
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="odr-checkpoint", daemon=True).start()

    def _run(self) -> None:
        connection = None
        try:
            connection = sqlite3.connect(  # mode=rw: a file gone meanwhile is not made again
                f"{Path(self._database).as_uri()}?mode=rw", uri=True, timeout=WRITER_WAIT_SECONDS
            )
            while self._commits_came():
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception as exc:  # the file is gone (a test's), or the disk is full: the
            log.info("checkpoints of %s stopped: %s", self._database, exc)  # next commit retries
            with self._guard:
                self._running = False
        finally:
            if connection is not None:
                connection.close()

    def _commits_came(self) -> bool:
        """True once a commit came (and those right after it); False, the thread ending, when
        none came for CHECKPOINT_IDLE_SECONDS."""
        if not self._wake.wait(CHECKPOINT_IDLE_SECONDS):
            with self._guard:
                if not self._wake.is_set():  # else a commit came just now: go on
                    self._running = False
                    return False
        time.sleep(CHECKPOINT_DELAY_SECONDS)
        self._wake.clear()
        return True


_of_files: dict[tuple[type, str], Any] = {}
_of_files_guard = threading.Lock()


def _forget_files() -> None:
    """A forked child opens the lock files again: an open file shared with its parent would
    share the parent's lock, and a lock a parent's thread held at the fork stays held. Its
    checkpoints need a thread of its own too."""
    global _of_files_guard
    _of_files.clear()
    _of_files_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_files)

Kind = TypeVar("Kind", WriterQueue, Checkpointer)


def _of_file(kind: type[Kind], database: str) -> Kind:
    """The one WriterQueue or Checkpointer of this process for a SQLite file (engines on the
    same file share it)."""
    key = str(Path(database).resolve())
    with _of_files_guard:
        if (kind, key) not in _of_files:
            _of_files[(kind, key)] = kind(key)
        return _of_files[(kind, key)]


class _QueuedWriterConnection(sqlite3.Connection):
    """A SQLite connection whose transactions wait for the writer's turn (WriterQueue) before
    BEGIN IMMEDIATE, and give it up once COMMIT or ROLLBACK is done (or the connection closes).

    SQLite's busy handler waits for a lock another connection holds by sleeping 1, 2, 5, 10,
    ... 100 ms and trying again: with the threads of one `odr serve` taking turns to write,
    the process idled in those sleeps (under load, much of the time) while the lock was
    free, and two processes on one file served fewer complaints than one. The next writer of
    this process now wakes at once, one of another process within a fraction of a
    millisecond."""

    writer_queue: WriterQueue
    checkpointer: Checkpointer
    holds_writer_lock = False

    def queue_for_writer(self) -> None:
        if not self.holds_writer_lock:
            self.holds_writer_lock = self.writer_queue.acquire(timeout=WRITER_WAIT_SECONDS)

    def writer_done(self) -> None:
        if self.holds_writer_lock:
            self.holds_writer_lock = False
            self.writer_queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.writer_done()
        self.checkpointer.nudge()

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


_JSON = msgspec.json.Encoder()


def json_text(value: Any) -> str:
    """A JSON column's value as stored: compact, characters as they are (json.dumps, the
    default, is several times slower and writes each Chinese character as six bytes)."""
    return _JSON.encode(value).decode("utf-8")


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and write-locking transactions."""
    url = normalise_url(url)
    kwargs = {"json_serializer": json_text, **kwargs}
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **kwargs)

    database = make_url(url).database
    connect_args: dict[str, object] = {"timeout": 30}
    writer_queue = checkpointer = None
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # A pool as large as the threads that may hold a connection at once (litestar's handler
        # threads, the commit and group-commit threads, background jobs): above the default 5, each
        # connection is closed on return and opened again, its PRAGMAs run again, under load.
        kwargs = {"pool_size": 20, "max_overflow": 20, **kwargs}
        connect_args["factory"] = _QueuedWriterConnection
        writer_queue = _of_file(WriterQueue, database)
        checkpointer = _of_file(Checkpointer, database)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, emit BEGIN (see the SQLAlchemy pysqlite docs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if writer_queue is not None:
            dbapi_connection.writer_queue = writer_queue
            dbapi_connection.checkpointer = checkpointer
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer's job
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
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
