"""The data's-life benchmark runs end to end on a small database; it never asserts on time."""

from __future__ import annotations

import json

import pytest
from test_benchmark_demo import load

CASES = 300


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("bench-life")
    output = directory / "data_life.json"
    results = load("data_life").main(
        ["--cases", str(CASES), "--cache", str(directory), "--output", str(output), "--batch", "7"]
    )
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_incremental_passes_read_only_what_changed(results: dict) -> None:
    full, nothing, swept, purged, again = results["run"]["verify"]
    assert full["cases"] == again["cases"] == CASES
    assert (full["kind"], nothing["kind"], again["kind"]) == ("full", "incremental", "full")
    assert nothing["cases"] == 0
    assert 0 < swept["cases"] < CASES
    assert purged["cases"] == results["run"]["purge"]["cases"] > 0  # each purged case once
    assert results["run"]["problems"] == 0


def test_the_table_has_a_row_per_figure(results: dict) -> None:
    assert len(results["table"]) == 6
    assert all(r["baseline"] and r["ratio"] for r in results["table"])
