"""Crash and outage tests: real `odr` processes on a database of their own, killed and restarted."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fault_support import Processes, SlowInbox, free_port, fresh_database
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from odr.db.engine import normalise_url


@pytest.fixture
def fault_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, of the suite's kind: a SQLite file, or on PostgreSQL
    `<suite database>_faults`, created empty, migrated, with the demo data."""
    parsed = make_url(normalise_url(database_url))
    if parsed.get_backend_name() == "sqlite":
        yield fresh_database(f"sqlite:///{tmp_path / 'faults.sqlite3'}")
        return
    name = f"{parsed.database}_faults"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield fresh_database(parsed.set(database=name).render_as_string(hide_password=False))
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def processes(fault_database: str, tmp_path: Path) -> Iterator[Processes]:
    env = {
        **os.environ,
        "ODR_DATABASE_URL": fault_database,
        "ODR_VAR_DIR": str(tmp_path / "var"),
        "ODR_SECRET_KEY": "fault-test-secret",
        "ODR_SWEEP_INTERVAL": "0.5",
        "ODR_DISPATCH_INTERVAL": "0.5",
        "ODR_SMTP_HOST": "",
    }
    running = Processes(tmp_path, env)
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def slow_smtp() -> Iterator[tuple[int, SlowInbox]]:
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()
