"""The demo benchmark runs end to end on a small N (odr demo --cases); it never asserts on time."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from odr.settings import SOURCE_ROOT

BENCHMARKS = SOURCE_ROOT / "benchmarks"
CASES, OVERDUE = 300, 12


def load(name: str) -> ModuleType:
    """A benchmark script, imported as a module (benchmarks/ is not a package)."""
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(f"odr_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("bench-demo")
    output = directory / "demo.json"
    results = load("demo").main(
        ["--cases", str(CASES), "--overdue", str(OVERDUE), "--directory", str(directory),
         "--output", str(output)]
    )  # fmt: skip
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_the_database_holds_what_was_asked(results: dict) -> None:
    found = results["database"]
    assert found["cases"] == CASES
    assert found["overdue"] == OVERDUE
    assert 0 < found["open"] < CASES  # open and closed cases
    assert found["events"] >= 2 * CASES  # at least submit and route for each
    assert found["notifications_sent"] >= CASES
    assert len(found["states"]) >= 8  # states of every track
    assert {"negotiation", "review", "settled"} <= set(found["states"])


def test_every_hash_chain_verifies(results: dict) -> None:
    env = {**os.environ, "ODR_DATABASE_URL": f"sqlite:///{results['database_path']}"}
    odr = Path(sys.executable).with_name("odr")
    done = subprocess.run([odr, "audit", "verify"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intact" in done.stdout


def test_the_table_row_names_target_and_baseline(results: dict) -> None:
    (row,) = results["table"]
    assert row["unit"] == "s" and row["value"] > 0 and row["baseline"] > 0
    assert row["target"] == pytest.approx(120 * CASES / 1_000_000)
    assert row["ratio"] == pytest.approx(row["value"] / row["baseline"])


def test_generated_rows_are_stored_as_the_orm_stores_them(results: dict) -> None:
    """Raw executemany writes each column as SQLAlchemy's type would: otherwise text comparisons
    of dates on SQLite (keyset pages by deadline) skip rows."""
    with sqlite3.connect(results["database_path"]) as connection:
        stamps = [
            value
            for row in connection.execute("SELECT received_at, due_at FROM cases")
            for value in row
            if value is not None
        ]
    assert stamps
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", v) for v in stamps), stamps[
        :3
    ]


def test_each_notification_belongs_to_an_event_of_its_case(results: dict) -> None:
    """The writer adds the batch's first ids to the ids the workers counted within it."""
    with sqlite3.connect(results["database_path"]) as connection:
        orphans, elsewhere, generated = connection.execute(
            "SELECT sum(e.id IS NULL), sum(e.case_id != n.case_id), count(*) FROM notifications n"
            " LEFT JOIN case_events e ON e.id = n.event_id"
        ).fetchone()
    assert generated >= CASES
    assert (orphans, elsewhere) == (0, 0)
