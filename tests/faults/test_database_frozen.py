"""PostgreSQL frozen (SIGSTOP: its sockets stay open, its kernel acknowledges every packet, it
answers nothing) under a running `odr serve`: requests answer 503 within the timeouts, not when
the server thaws, and the service is whole once it does.

A private cluster of the test's own (test_database_outage.py's), with timeouts of 2 s."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fault_support import Processes, complaint, free_port, fresh_database, wait_for
from test_database_outage import PrivatePostgres, private_postgres  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow
CLIENT_LIMIT = 15.0  # seconds a client waits before giving up (a load balancer's, say)


def _cluster_pids(cluster: PrivatePostgres) -> list[int]:
    """The postmaster and every process it started."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent(entry) == postmaster
    ]
    return [postmaster, *children]


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@pytest.fixture
def frozen(private_postgres: PrivatePostgres) -> Iterator[tuple[PrivatePostgres, list[int]]]:  # noqa: F811
    """The cluster, and the pids to freeze; thawed whatever happens."""
    stopped: list[int] = []
    try:
        yield private_postgres, stopped
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)


def test_a_frozen_database_answers_503_within_the_timeouts(
    frozen: tuple[PrivatePostgres, list[int]], tmp_path: Path
) -> None:
    cluster, stopped = frozen
    url = fresh_database(cluster.url)
    env = {
        **os.environ,
        "ODR_DATABASE_URL": url,
        "ODR_VAR_DIR": str(tmp_path / "var"),
        "ODR_SECRET_KEY": "frozen-test-secret",
        "ODR_SMTP_HOST": "",
        "ODR_DB_CONNECT_TIMEOUT": "2",
        "ODR_DB_STATEMENT_TIMEOUT": "2",
        "ODR_DB_POOL_TIMEOUT": "2",
        "ODR_DB_KEEPALIVE": "5",
    }
    processes = Processes(tmp_path, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        processes.serve("serve", port, "--no-background")
        warm = [  # the pool holds connections to the server about to freeze
            httpx.post(f"{base}/api/v1/complaints", json=complaint(i, "WARM"), timeout=30)
            for i in range(3)
        ]
        assert [r.status_code for r in warm] == [201] * 3

        for pid in _cluster_pids(cluster):
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)

        def post(i: int) -> httpx.Response:
            headers = {"Idempotency-Key": f"frozen-{i}"} if i % 2 else {}
            return httpx.post(
                f"{base}/api/v1/complaints",
                json=complaint(i, "FROZEN"),
                headers=headers,
                timeout=CLIENT_LIMIT,  # httpx raises ReadTimeout past the client's limit
            )

        with ThreadPoolExecutor(6) as pool:
            posts = list(pool.map(post, range(4)))
            ready = pool.submit(httpx.get, f"{base}/health/ready", timeout=CLIENT_LIMIT).result()
            page = pool.submit(httpx.get, f"{base}/track/NOPE-1", timeout=CLIENT_LIMIT).result()
        for response in posts:
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
        assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
        assert page.status_code in (404, 503), page.text[:300]  # not a 500, not a hang

        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        stopped.clear()
        wait_for(
            lambda: httpx.get(f"{base}/health/ready", timeout=10).status_code == 200,
            60,
            "ready again",
            processes,
        )
        after = httpx.post(f"{base}/api/v1/complaints", json=complaint(9, "THAWED"), timeout=30)
        assert after.status_code == 201, after.text
    finally:
        processes.stop_all()
    log = processes.log("serve")
    assert "Traceback" not in log, log[-3000:]
