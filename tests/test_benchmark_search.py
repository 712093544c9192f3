"""The search benchmark asks every kind of query on a small database; no timing asserted."""

from __future__ import annotations

import json

import pytest
from test_benchmark_demo import load


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("bench-search")
    output = directory / "search.json"
    results = load("search").main(
        ["--cases", "300", "--overdue", "10", "--repeat", "2", "--values", "2",
         "--cache", str(directory), "--output", str(output)]
    )  # fmt: skip
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_every_kind_is_asked_and_finds_cases(results: dict) -> None:
    kinds = results["kinds"]
    for kind in ("case number", "whole phone", "phone tail + name", "complainant name"):
        for who in ("city office", "platform"):
            figure = kinds[f"{kind} ({who})"]
            assert figure["statuses"] == [200] and figure["results_p50"] >= 1, (kind, who)
    assert kinds["product or facts word (2 characters) (city office)"]["results_p50"] >= 1
    assert results["baseline_health_live_p50_ms"] > 0
    assert len(results["table"]) == len(kinds)
