"""The sweep benchmark runs end to end on small databases; it never asserts on time."""

from __future__ import annotations

import json

import pytest
from test_benchmark_demo import load

SIZES, DUE = (200, 400), 15


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("bench-sweep")
    output = directory / "sweep.json"
    results = load("sweep").main(
        ["--sizes", ",".join(map(str, SIZES)), "--due", str(DUE), "--repeat", "2",
         "--cache", str(directory), "--output", str(output)]
    )  # fmt: skip
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_the_idle_pass_fires_nothing(results: dict) -> None:
    for size in SIZES:
        assert results["runs"][str(size)]["idle"]["fired"] == 0


def test_the_busy_pass_fires_every_due_deadline_once(results: dict) -> None:
    for size in SIZES:
        busy = results["runs"][str(size)]["busy"]
        assert busy["expired"] == DUE and busy["reminded"] == 0
        assert busy["events_added"] == busy["system_events"] == DUE  # one event each
        assert busy["still_due"] == 0 and busy["reminders_still_due"] == 0
        assert busy["notifications_queued"] >= DUE


def test_the_table_has_a_row_per_figure(results: dict) -> None:
    rows = results["table"]
    assert len(rows) == 2 * len(SIZES)
    assert all(r["target"] and r["baseline"] and r["ratio"] for r in rows)
    assert set(results["growth"]) == {"idle", "busy", "open_cases"}
