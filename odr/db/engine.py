"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import fcntl
import logging
import math
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from odr.settings import Settings

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


@dataclass(frozen=True)
class Timeouts:
    """How long a PostgreSQL connection may wait for the server (settings: ODR_DB_*_TIMEOUT,
    ODR_DB_KEEPALIVE): a server that is frozen (SIGSTOP, a hung disk, a partition) answers
    nothing, and without a limit every request waiting on it hangs instead of answering 503."""

    connect: float = 5.0  # to connect, or to answer the ping of a pooled connection
    statement: float = 10.0  # one statement (0: no limit, e.g. for bulk loads)
    pool: float = 10.0  # for a free connection of the pool
    keepalive: float = 30.0  # idle seconds before TCP probes a connection (0: no probes)


def timeouts_of(settings: Settings, statement: bool = True) -> Timeouts:
    """The settings' PostgreSQL timeouts; `statement=False` for bulk work whose statements may
    run long (odr demo)."""
    return Timeouts(
        connect=settings.db_connect_timeout_seconds,
        statement=settings.db_statement_timeout_seconds if statement else 0.0,
        pool=settings.db_pool_timeout_seconds,
        keepalive=settings.db_keepalive_seconds,
    )


def _postgres_engine(url: str, timeouts: Timeouts | None, kwargs: dict[str, Any]) -> Engine:
    if timeouts is None:
        return create_engine(url, pool_pre_ping=True, **kwargs)
    connect_args: dict[str, Any] = {"connect_timeout": max(2, math.ceil(timeouts.connect))}
    if timeouts.statement:  # the server ends a slow statement itself (it answers 57014)
        connect_args["options"] = f"-c statement_timeout={int(timeouts.statement * 1000)}"
    if timeouts.keepalive:  # a server whose machine is gone: its connections end
        idle = max(1, int(timeouts.keepalive))
        connect_args |= {
            "keepalives": 1,
            "keepalives_idle": idle,
            "keepalives_interval": max(1, idle // 3),
            "keepalives_count": 3,
            "tcp_user_timeout": idle * 2000,
        }
    engine = create_engine(
        url,
        pool_timeout=timeouts.pool,
        connect_args=connect_args | dict(kwargs.pop("connect_args", None) or {}),
        **kwargs,
    )
    _watch_connections(engine, timeouts)
    return engine


def make_engine(url: str, timeouts: Timeouts | None = None, **kwargs: object) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and write-locking transactions; PostgreSQL
    the `timeouts` given (none: wait as long as the server takes, for migrations and tools)."""
    url = normalise_url(url)
    kwargs = {"json_serializer": json_text, **kwargs}
    if not is_sqlite(url):
        return _postgres_engine(url, timeouts, kwargs)

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


class Watchdog:
    """Ends the PostgreSQL connections whose call to the server has not come back in time.

    A frozen server (SIGSTOP, a hung disk) keeps its sockets open and its kernel acknowledges
    whatever is sent, so neither TCP keepalives nor the server's statement_timeout end the
    wait, and psycopg waits without a limit. One thread shuts down the socket of a call that
    overran (the connection's own file stays open and is closed by its owner): libpq then sees
    the server gone, the call fails as a disconnect, and the pool drops the connection."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._armed: dict[int, tuple[float, int]] = {}  # id(connection) -> (deadline, socket)
        self._running = False

    def arm(self, dbapi_connection: Any, seconds: float) -> None:
        with self._changed:
            was_idle = not self._armed
            self._armed[id(dbapi_connection)] = (
                time.monotonic() + seconds,
                dbapi_connection.fileno(),
            )
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="odr-db-watchdog", daemon=True).start()
            elif was_idle:
                self._changed.notify()

    def disarm(self, dbapi_connection: Any) -> None:
        with self._changed:
            self._armed.pop(id(dbapi_connection), None)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for key, (deadline, fileno) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[key]
                        _shut_down(fileno)
                wake = min((deadline for deadline, _ in self._armed.values()), default=None)
                self._changed.wait(None if wake is None else max(wake - now, 0.01))


def _shut_down(fileno: int) -> None:
    """Shut the socket down for both directions, through a duplicate of its descriptor: the
    call waiting on it wakes to an end of file."""
    try:
        with socket.socket(fileno=os.dup(fileno)) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except OSError as exc:  # closed meanwhile
        log.debug("watchdog: socket %s already gone (%s)", fileno, exc)
    else:
        log.warning("database call overran its timeout: connection ended")


_watchdog = Watchdog()


def _watch_connections(engine: Engine, timeouts: Timeouts) -> None:
    """Every call of this engine's connections to the server, watched: statements (and the
    commit or rollback that ends them) for the statement timeout and a margin for the server
    to end them itself first; a pooled connection's ping, on checkout, for the connect timeout
    (SQLAlchemy's own pool_pre_ping has no hook to watch it, so the pool's checkout event pings;
    raising DisconnectionError there makes the pool connect afresh)."""
    statement = timeouts.statement + 2.0 if timeouts.statement else None

    def arm(connection: Any, *_: object) -> None:
        # An invalidated connection has no DBAPI connection to watch (asking raises).
        if statement is not None and not (connection.invalidated or connection.closed):
            _watchdog.arm(connection.connection.dbapi_connection, statement)

    def disarm_statement(connection: Any, *_: object) -> None:
        if not (connection.invalidated or connection.closed):
            _watchdog.disarm(connection.connection.dbapi_connection)

    def disarm(dbapi_connection: Any, *_: object) -> None:
        _watchdog.disarm(dbapi_connection)

    def reset(dbapi_connection: Any, *_: object) -> None:  # the pool's rollback on return
        if statement is not None:
            _watchdog.arm(dbapi_connection, statement)

    def ping(dbapi_connection: Any, *_: object) -> None:
        _watchdog.arm(dbapi_connection, timeouts.connect)
        try:  # in autocommit, as SQLAlchemy's own ping: no transaction left open by it
            dbapi_connection.autocommit = True
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.autocommit = False
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"the ping failed: {exc}") from exc
        finally:
            _watchdog.disarm(dbapi_connection)

    # A failed statement stays armed until the rollback that follows it arms again and the
    # pool's checkin disarms: ended late, it would only end a connection that is rolled back.
    for name in ("before_cursor_execute", "commit", "rollback"):
        event.listen(engine, name, arm)
    event.listen(engine, "after_cursor_execute", disarm_statement)
    event.listen(engine.pool, "checkout", ping)
    event.listen(engine.pool, "reset", reset)
    for name in ("checkin", "close", "invalidate", "detach"):
        event.listen(engine.pool, name, disarm)
