"""The memory benchmark drives a real `odr serve` with the request mix; no timing or size asserted."""

from __future__ import annotations

import json

import pytest
from test_benchmark_demo import load


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("bench-memory")
    output = directory / "memory.json"
    results = load("memory").main(
        ["--cases", "300", "--overdue", "10", "--warm", "60", "--more", "60",
         "--cache", str(directory), "--output", str(output)]
    )  # fmt: skip
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_every_request_was_answered_and_nothing_logged_an_error(results: dict) -> None:
    statuses = results["statuses"]
    assert sum(statuses.values()) == 120
    assert set(statuses) <= {"200", "201"}
    assert results["server_errors"] == []


def test_rss_was_read_three_times(results: dict) -> None:
    rss = results["rss_mb"]
    assert min(rss["start"], rss["after_warm"], rss["after_more"]) > 0
    assert [row["unit"] for row in results["table"]] == ["MB", "MB"]
