"""SQLite transactions: writers take turns on a lock of the process (not SQLite's busy handler,
which sleeps 1 to 100 ms between tries), readers take no lock and never wait for a writer."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from odr.db.engine import make_engine, make_session_factory, reading


def _engine(path):
    """An odr engine on a file whose connections give up at once in SQLite's busy handler: a
    transaction that waited neither on the process's turn nor for no lock at all fails with
    "database is locked"."""
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection, _record):  # runs after make_engine's own PRAGMAs
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
    return engine


def _hold_then_write(engine, held: threading.Event, release: threading.Event) -> None:
    """Write in a transaction held open until `release` is set (at most 10 s)."""
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        held.set()
        release.wait(10)


def test_a_second_writer_waits_for_the_first_to_commit(tmp_path):
    engine = _engine(tmp_path / "odr.sqlite3")
    held, release = threading.Event(), threading.Event()
    first = threading.Thread(target=_hold_then_write, args=(engine, held, release))
    first.start()
    held.wait(5)
    threading.Timer(0.3, release.set).start()
    with engine.begin() as connection:  # would be "database is locked" without the turn
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 1
        connection.execute(text("INSERT INTO t VALUES (2)"))
    first.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    engine.dispose()


def test_engines_on_one_file_share_the_turn(tmp_path):
    one, other = _engine(tmp_path / "odr.sqlite3"), _engine(tmp_path / "odr.sqlite3")
    held, release = threading.Event(), threading.Event()
    first = threading.Thread(target=_hold_then_write, args=(one, held, release))
    first.start()
    held.wait(5)
    threading.Timer(0.3, release.set).start()
    with other.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (2)"))
    first.join()
    with other.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    one.dispose()
    other.dispose()


def test_the_turn_moves_on_after_a_rollback_a_failed_statement_and_a_closed_connection(
    tmp_path,
):
    engine = _engine(tmp_path / "odr.sqlite3")
    with pytest.raises(ZeroDivisionError), engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        raise ZeroDivisionError  # rolled back
    with pytest.raises(OperationalError), engine.begin() as connection:
        connection.execute(text("INSERT INTO no_such_table VALUES (1)"))
    connection = engine.connect()
    connection.begin()
    connection.execute(text("INSERT INTO t VALUES (1)"))
    connection.invalidate()  # the DBAPI connection is closed mid-transaction
    connection.close()

    done = threading.Event()

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (3)"))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(10)
    assert done.is_set(), "a writer still waited for its turn"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t")).scalars().all() == [3]
    engine.dispose()


def test_a_reading_transaction_does_not_wait_for_a_writer(tmp_path):
    engine = _engine(tmp_path / "odr.sqlite3")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (0)"))
    held, release = threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_then_write, args=(engine, held, release))
    writer.start()
    held.wait(5)
    with reading(make_session_factory(engine)) as session:
        # busy_timeout=0: a transaction waiting for the write lock would fail here
        counted = session.execute(text("SELECT count(*) FROM t")).scalar()
    writer_still_open = writer.is_alive()
    release.set()
    writer.join()
    assert writer_still_open  # read while the writer held its transaction
    assert counted == 1  # the last commit, not the open transaction's row
    engine.dispose()


def test_a_reading_transaction_may_not_write_and_the_next_writer_may(tmp_path):
    engine = _engine(tmp_path / "odr.sqlite3")
    factory = make_session_factory(engine)
    with pytest.raises(OperationalError, match="readonly"), reading(factory) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
    with factory() as session, session.begin():  # the same pooled connection, writing again
        session.execute(text("INSERT INTO t VALUES (2)"))
    with reading(factory) as session:
        assert session.execute(text("SELECT n FROM t")).scalars().all() == [2]
    engine.dispose()
