"""The anchor benchmark runs end to end on a small database; it never asserts on time."""

from __future__ import annotations

import json

import pytest
from test_benchmark_demo import load

CASES = 300


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("bench-anchor")
    output = directory / "anchor.json"
    results = load("anchor").main(
        ["--cases", str(CASES), "--cache", str(directory), "--output", str(output)]
    )
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_the_first_anchor_records_every_head_and_the_next_none(results: dict) -> None:
    run = results["run"]
    assert run["cases"] == CASES
    assert run["first"]["heads"] == run["first"]["cases"] == CASES
    assert run["next"]["heads"] == 0
    assert run["verify_anchors"]["problems"] == []


def test_the_table_has_a_row_per_figure(results: dict) -> None:
    assert len(results["table"]) == 3
    assert all(r["baseline"] and r["ratio"] for r in results["table"])
