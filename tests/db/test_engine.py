"""SQLite writers of one process queue on a lock of the process, not in SQLite's busy handler
(which sleeps 1 to 100 ms between tries and left the server idle while the lock was free)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from odr.db import engine as engine_module
from odr.db.engine import make_engine


def _engine(path):
    """An odr engine on a file whose connections give up at once in SQLite's busy handler: a
    transaction that did not wait on the process's queue fails with "database is locked"."""
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection, _record):  # runs after make_engine's own PRAGMAs
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
    return engine


def _hold_then_write(engine, held: threading.Event, hold: float) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        held.set()
        time.sleep(hold)


def test_a_second_writer_waits_for_the_first_to_commit(tmp_path):
    engine = _engine(tmp_path / "odr.sqlite3")
    held = threading.Event()
    first = threading.Thread(target=_hold_then_write, args=(engine, held, 0.3))
    first.start()
    held.wait(5)
    with engine.begin() as connection:  # would be "database is locked" without the queue
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 1
        connection.execute(text("INSERT INTO t VALUES (2)"))
    first.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    engine.dispose()


def test_engines_on_one_file_share_the_queue(tmp_path):
    one, other = _engine(tmp_path / "odr.sqlite3"), _engine(tmp_path / "odr.sqlite3")
    held = threading.Event()
    first = threading.Thread(target=_hold_then_write, args=(one, held, 0.3))
    first.start()
    held.wait(5)
    with other.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (2)"))
    first.join()
    with other.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    one.dispose()
    other.dispose()


def test_the_queue_moves_on_after_a_rollback_a_failed_statement_and_a_closed_connection(
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
    assert done.is_set(), "a writer still waited on the queue"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t")).scalars().all() == [3]
    engine.dispose()


HOLD_IN_ANOTHER_PROCESS = """
import sys, time
from sqlalchemy import text
from odr.db.engine import make_engine
engine = make_engine(f"sqlite:///{sys.argv[1]}")
with engine.begin() as connection:
    connection.execute(text("INSERT INTO t VALUES (1)"))
    print("held", flush=True)
    time.sleep(0.5)
print("committed", flush=True)
"""


def test_a_writer_of_another_process_is_waited_for_not_refused(tmp_path):
    """Two processes on one file (odr serve and odr worker, two serves): the second writer
    waits for the first's commit on the file's writer lock, not in SQLite's busy handler."""
    engine = _engine(tmp_path / "odr.sqlite3")
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD_IN_ANOTHER_PROCESS, str(tmp_path / "odr.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdout is not None and other.stdout.readline().strip() == "held"
    with engine.begin() as connection:  # "database is locked" without the queue
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 1
        connection.execute(text("INSERT INTO t VALUES (2)"))
    assert other.wait(10) == 0
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    engine.dispose()


def _checkpointed_rows(path) -> int:
    """Rows of t in the database file itself, the WAL file left unread."""
    with closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as db:
        return db.execute("SELECT count(*) FROM t").fetchone()[0]


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_commits_are_checkpointed_by_a_thread_not_by_the_writer(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "CHECKPOINT_IDLE_SECONDS", 0.3)
    path = tmp_path / "odr.sqlite3"
    engine = _engine(path)
    checkpointer = engine_module._of_file(engine_module.Checkpointer, str(path))
    with engine.connect() as connection:  # the writer leaves the WAL to the Checkpointer
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    assert _wait_for(lambda: not checkpointer.running)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
    assert checkpointer.running  # started by the commit
    assert _wait_for(lambda: _checkpointed_rows(path) == 3)  # copied into the database file
    assert _wait_for(lambda: not checkpointer.running)  # its thread ends once commits stop
    with engine.begin() as connection:  # the next commit starts it again
        connection.execute(text("INSERT INTO t VALUES (4)"))
    assert _wait_for(lambda: _checkpointed_rows(path) == 4)
    engine.dispose()


def test_a_checkpointer_whose_file_is_gone_stops_and_makes_no_file(tmp_path):
    path = tmp_path / "gone.sqlite3"
    checkpointer = engine_module.Checkpointer(str(path))
    checkpointer.nudge()
    assert _wait_for(lambda: not checkpointer.running)
    assert not path.exists()
