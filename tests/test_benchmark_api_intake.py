"""The API intake benchmark runs end to end with tiny numbers against real `odr serve`
processes and its same-rows baseline (SQLite; two servers of each on PostgreSQL when the run has
one); it never asserts on time."""

from __future__ import annotations

import json
import subprocess
import sys

from odr.settings import SOURCE_ROOT

SCRIPT = SOURCE_ROOT / "benchmarks" / "api_intake.py"


def test_every_complaint_is_answered_201_and_stored(tmp_path, database_url, is_postgres):
    # A process of its own, as `make bench` runs it: the test process may already be running
    # an event loop (the browser tests' Playwright), where asyncio.run() is refused.
    output = tmp_path / "api_intake.json"
    argv = ["--clients", "3", "--seconds", "2", "--max", "12", "--rate", "6"]
    argv += ["--rate-seconds", "1", "--rounds", "2", "--output", str(output)]
    if is_postgres:
        argv += ["--database-url", database_url]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *argv], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(output.read_text(encoding="utf-8"))

    assert results["database"] == ("postgresql" if is_postgres else "sqlite")
    assert results["servers"] == (2 if is_postgres else 1)
    load, live, offered = results["complaints"], results["health_live"], results["offered"]
    assert 0 < load["requests"] <= 12
    assert load["statuses"] == {"201": load["requests"]}
    assert live["requests"] > 0 and live["statuses"] == {"200": live["requests"]}
    assert offered["statuses"] == {"201": 6}
    answered = sum(one["complaints"]["requests"] for one in results["rounds"])
    answered += offered["requests"]
    assert results["complaints_answered_201"] == answered
    assert results["complaints_stored"] == answered
    for figures in (load, live, offered):
        assert figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]

    # The same-rows baseline answered and stored every complaint of both rounds, as odr did.
    rounds = results["rounds"]
    assert len(rounds) == 2
    for one in rounds:
        assert 0 < one["complaints"]["requests"] <= 12
        assert one["bare"]["statuses"] == {"201": one["bare"]["requests"]}
        assert one["ratio_complaints_vs_bare"] > 0
    assert results["bare"] == rounds[0]["bare"]
    bare_sent = sum(one["bare"]["requests"] for one in rounds)
    assert results["bare_answered_201"] == results["bare_stored"] == bare_sent
    assert results["ratio_complaints_vs_bare"] > 0
