"""`odr serve` killed with SIGKILL while concurrent clients file complaints over the API, then
started again: every complaint is answered 2xx in the end and stored once, no case is
half-written, the hash chains verify, and a retry with the same Idempotency-Key after the restart
creates nothing twice. A key the killed process had claimed is taken over once its lease runs
out (ODR_IDEMPOTENCY_LEASE, a few seconds here instead of a minute)."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fault_support import Processes, chain_problems, complaint, free_port, half_written
from sqlalchemy import select

from odr.cases.models import Case
from odr.db.engine import make_engine, make_session_factory

pytestmark = pytest.mark.slow
# The issue files 2,000 (ODR_FAULT_COMPLAINTS=2000, about 100 s here); the suite 1,000 to stay
# within CI time: the kill lands half-way either way.
COMPLAINTS = int(os.environ.get("ODR_FAULT_COMPLAINTS", "1000"))
CLIENTS = 8
LEASE = "3"  # seconds the restarted server leaves a dead process's claim before taking it over


def test_server_killed_half_way_loses_and_duplicates_nothing(
    fault_database: str, processes: Processes, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = processes.serve("serve", port, "--no-background")
    answered: dict[int, int] = {}  # complaint -> the 2xx status it got
    numbers: dict[int, str] = {}
    lock = threading.Lock()
    half = threading.Event()
    errors: Counter[str] = Counter()

    def submit(i: int) -> None:
        deadline = time.monotonic() + 150  # a client that gives up is reported below
        with httpx.Client(base_url=base, timeout=30) as client:
            while time.monotonic() < deadline:
                try:
                    response = client.post(
                        "/api/v1/complaints",
                        json=complaint(i),
                        headers={"Idempotency-Key": f"fault-{i}"},
                    )
                except httpx.TransportError as exc:  # the server is down: the same key again
                    with lock:
                        errors[type(exc).__name__] += 1
                    time.sleep(0.2)
                    continue
                if response.status_code == 409:  # claimed by the killed process: its lease runs
                    with lock:
                        errors["409"] += 1
                    time.sleep(0.5)
                    continue
                assert response.status_code in (200, 201), response.text
                with lock:
                    answered[i] = response.status_code
                    numbers[i] = response.json()["number"]
                    if len(answered) >= COMPLAINTS // 2:
                        half.set()
                return

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(submit, i) for i in range(COMPLAINTS)]
        assert half.wait(180), processes.tails()
        processes.kill(server)  # mid-stream: requests in flight are cut off
        killed_at = len(answered)
        processes.serve("serve-again", port, "--no-background", ODR_IDEMPOTENCY_LEASE=LEASE)
        for future in futures:
            future.result()

    assert killed_at < COMPLAINTS  # the kill landed half-way, not after the last answer
    assert errors  # and some clients saw it
    unanswered = sorted(set(range(COMPLAINTS)) - set(answered))
    engine = make_engine(fault_database)
    try:
        with make_session_factory(engine)() as session:
            orders = Counter(session.scalars(select(Case.order_number)))
            stored = set(session.scalars(select(Case.number)))
            assert set(numbers.values()) <= stored  # every 2xx answer's case exists
            assert len(set(numbers.values())) == len(answered)  # one case per answered complaint
            assert {n for n, times in orders.items() if times > 1} == set()  # no duplicates
            assert set(orders) <= {f"FAULT-{i}" for i in range(COMPLAINTS)}
            assert half_written(session) == []
            assert chain_problems(session) == []
    finally:
        engine.dispose()
    assert unanswered == [], f"never answered 2xx; retries {dict(errors)}"
    assert len(orders) == COMPLAINTS
