"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
import math
import os
import socket
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# ODR_DATABASE_POOLER: what stands between odr and PostgreSQL. "transaction": a pooler such as
# PgBouncer in transaction mode, which hands each transaction whichever server connection is
# free. A statement psycopg prepared on one server connection (after 5 runs, by default) is
# unknown on the next, and a setting made at connect time (`options`) stays with the server
# connection it was made on (PgBouncer refuses the `options` parameter, or forwards only the few
# it tracks): so no prepared statements (prepare_threshold=None) and the statement timeout set in
# each transaction (SET LOCAL) instead. "session": a pooler in session mode, nothing to change.
POOLERS = frozenset({"transaction", "session"})


def _postgres_engine(
    url: str, timeouts: Timeouts | None, pooler: str | None, kwargs: dict[str, Any]
) -> Engine:
    per_transaction = pooler == "transaction"
    if timeouts is None:
        pooled = _pooled_args(per_transaction) | dict(kwargs.pop("connect_args", None) or {})
        return create_engine(url, pool_pre_ping=True, connect_args=pooled, **kwargs)
    connect_args: dict[str, Any] = {"connect_timeout": max(2, math.ceil(timeouts.connect))}
    connect_args |= _pooled_args(per_transaction)
    statement_ms = int(timeouts.statement * 1000)
    if timeouts.statement and not per_transaction:
        # the server ends a slow statement itself (it answers 57014)
        connect_args["options"] = f"-c statement_timeout={statement_ms}"
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
    if timeouts.statement and per_transaction:

        @event.listens_for(engine, "begin")
        def _statement_timeout(connection: Connection) -> None:
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {statement_ms}")

    _watch_connections(engine, timeouts)
    return engine


def _pooled_args(per_transaction: bool) -> dict[str, Any]:
    """psycopg's connect arguments behind a pooler in transaction mode: no prepared statements."""
    return {"prepare_threshold": None} if per_transaction else {}


def make_engine(
    url: str, timeouts: Timeouts | None = None, pooler: str | None = None, **kwargs: object
) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout, and transactions that write take the write
    lock when they begin (those marked READS_ONLY take none); PostgreSQL the `timeouts` given
    (none: wait as long as the server takes, for migrations and tools), and behind a `pooler`
    in transaction mode, no prepared statements (POOLERS)."""
    url = normalise_url(url)
    kwargs = {"json_serializer": json_text, **kwargs}
    if pooler is not None and pooler not in POOLERS:
        raise ValueError(f"ODR_DATABASE_POOLER: {pooler!r} is none of {sorted(POOLERS)}")
    if not is_sqlite(url):
        return _postgres_engine(url, timeouts, pooler, kwargs)

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
    def _on_connect(dbapi_connection, _record):
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
    def _on_begin(connection):
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


def primary_engine(settings: Settings, statement: bool = True) -> Engine:
    """The engine of the settings' database (ODR_DATABASE_URL), its timeouts and pooler;
    `statement=False`: no statement timeout (bulk work)."""
    return make_engine(
        settings.database_url,
        timeouts_of(settings, statement),
        settings.database_pooler,
        **_pool_of(settings, settings.database_url),
    )


def replica_engine(settings: Settings) -> Engine | None:
    """The engine of the read replica (ODR_DATABASE_REPLICA_URL), or None without one: the
    reads that may lag a few seconds then read the primary."""
    url = settings.database_replica_url
    if url is None:
        return None
    if is_sqlite(normalise_url(settings.database_url)) or is_sqlite(normalise_url(url)):
        raise ValueError(
            "ODR_DATABASE_REPLICA_URL: a read replica is a PostgreSQL streaming replica of a "
            "PostgreSQL primary (ODR_DATABASE_URL)"
        )
    return make_engine(
        url, timeouts_of(settings), settings.database_pooler, **_pool_of(settings, url)
    )


def _pool_of(settings: Settings, url: str) -> dict[str, Any]:
    """The settings' pool for a PostgreSQL engine (SQLite keeps its own, see make_engine)."""
    if is_sqlite(normalise_url(url)):
        return {}
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_pool_overflow}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work for a background job or command: commit on success, else roll back."""
    with factory() as session, session.begin():
        yield session


_reading_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def reads_only(session: Session) -> Session:
    """The session, its transactions marked as ones that only read (READS_ONLY). Call it before
    the session has begun one. No connection is taken here: a request's session is provided on
    the event loop, which must never wait for the pool (the commits that free connections run
    from the loop too)."""
    engine = session.get_bind()
    if isinstance(engine, Engine):
        if engine not in _reading_engines:
            _reading_engines[engine] = engine.execution_options(**{READS_ONLY: True})
        session.bind = _reading_engines[engine]
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
