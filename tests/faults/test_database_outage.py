"""PostgreSQL stopped for a while under a running `odr serve` and `odr worker`, then started again.

A private PostgreSQL instance of the test's own (initdb + pg_ctl on a free port; the shared one is
never touched), so this runs in both suite runs. While it is down: the API answers 503 problem+json,
the portals a 503 page in both languages, /health/ready 503 -- never a 500; the worker logs, waits
and does not exit, and a worker started meanwhile waits for the database. Once it is back: the
complaints accepted before are there, new ones are accepted, every notification is delivered and
every due case escalated."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fault_support import (
    Processes,
    SlowInbox,
    chain_problems,
    complaint,
    free_port,
    fresh_database,
    wait_for,
)
from sqlalchemy import func, select

from odr.cases.models import Case
from odr.db.engine import make_engine, make_session_factory
from odr.notify.models import Notification

pytestmark = pytest.mark.slow
THIRTY_DAYS = str(30 * 24 * 3600)
MAILS = 15


def _postgres_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory, run as the postgres user."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="odr-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            cwd=self.root,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "pg.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _postgres_bin()
    if bin_dir is None or shutil.which("runuser") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "CI must run the outage test: no PostgreSQL binaries in /usr/lib/postgresql"
            )
        pytest.skip("needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin) and runuser")
    cluster = PrivatePostgres(bin_dir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.remove()


def test_database_outage_answers_503_and_loses_nothing(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    url = fresh_database(private_postgres.url)
    env = {
        **os.environ,
        "ODR_DATABASE_URL": url,
        "ODR_VAR_DIR": str(tmp_path / "var"),
        "ODR_SECRET_KEY": "outage-test-secret",
        "ODR_SWEEP_INTERVAL": "0.5",
        "ODR_DISPATCH_INTERVAL": "0.5",
        "ODR_SMTP_HOST": "",
    }
    processes = Processes(tmp_path, env)
    engine = make_engine(url)
    factory = make_session_factory(engine)

    def count(statement) -> int:  # type: ignore[no-untyped-def]
        with factory() as session:
            return session.scalar(statement) or 0

    def settled() -> bool:
        pending = select(func.count()).where(Notification.status.in_(("pending", "sending")))
        waiting = select(func.count()).where(Case.state == "negotiation")
        return count(pending) == 0 and count(waiting) == 0

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    browsers: list[httpx.Client] = []
    try:
        processes.serve("serve", port, "--no-background")
        # The worker's clock runs 30 days ahead: every negotiation is overdue at once.
        worker = processes.start("worker", "worker", ODR_CLOCK_OFFSET=THIRTY_DAYS)
        before = [
            httpx.post(f"{base}/api/v1/complaints", json=complaint(i, "BEFORE"), timeout=30)
            for i in range(5)
        ]
        assert [r.status_code for r in before] == [201] * 5
        wait_for(settled, 60, "the first complaints escalated and told", processes)
        engine.dispose()
        # Two readers of the first case's page, one in Chinese, one in English.
        number, code = before[0].json()["number"], before[0].json()["access_code"]
        for language in ("zh", "en"):
            browser = httpx.Client(base_url=base, timeout=30)
            browsers.append(browser)
            browser.get(f"/lang/{language}")
            browser.get("/track")
            form = {"_csrf_token": browser.cookies["odr_csrf"], "number": number}
            looked_up = browser.post("/track", data=form | {"access_code": code})
            assert looked_up.status_code == 303, looked_up.text[:500]
            assert browser.get(f"/track/{number}").status_code == 200

        private_postgres.stop()
        api = httpx.post(f"{base}/api/v1/complaints", json=complaint(99, "DOWN"), timeout=30)
        assert api.status_code == 503, api.text
        assert api.headers["content-type"].startswith("application/problem+json")
        assert api.json()["status"] == 503 and "database" in api.json()["detail"]
        assert api.headers["retry-after"]
        keyed = httpx.post(  # the Idempotency-Key middleware meets the outage first
            f"{base}/api/v1/complaints",
            json=complaint(98, "DOWN"),
            headers={"Idempotency-Key": "outage-98"},
            timeout=30,
        )
        assert keyed.status_code == 503, keyed.text
        assert keyed.headers["content-type"].startswith("application/problem+json")
        for browser, words in zip(
            browsers, ("服务暂时不可用", "Service temporarily unavailable"), strict=True
        ):
            page = browser.get(f"/track/{number}")
            assert page.status_code == 503, page.text[:500]
            assert page.headers["content-type"].startswith("text/html")
            assert words in page.text and "Traceback" not in page.text
        ready = httpx.get(f"{base}/health/ready", timeout=30)
        assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
        # A worker started while the database is away waits for it.
        late = processes.start("worker-late", "worker", ODR_CLOCK_OFFSET=THIRTY_DAYS)
        # Until it has met the stopped database (starting a process takes seconds on a busy
        # machine: a fixed wait let the database come back first).
        wait_for(
            lambda: "database is unreachable" in processes.log("worker-late"),
            60,
            "the late worker to meet the stopped database",
            processes,
        )
        time.sleep(1)  # a few rounds of its loops against the stopped database
        assert worker.poll() is None and late.poll() is None, processes.tails()

        private_postgres.start()
        wait_for(
            lambda: httpx.get(f"{base}/health/ready", timeout=10).status_code == 200,
            60,
            "ready again",
            processes,
        )
        after = [
            httpx.post(f"{base}/api/v1/complaints", json=complaint(i, "AFTER"), timeout=30)
            for i in range(5)
        ]
        assert [r.status_code for r in after] == [201] * 5
        wait_for(settled, 60, "the later complaints escalated and told", processes)
        # The first worker may be in its longest wait still (the late one did the work meanwhile).
        # (Other loops that met the outage, captures or rollups, say so too.)
        wait_for(
            lambda: all(
                f"{loop}: the database answers again" in processes.log("worker")
                for loop in ("sweeper", "dispatcher")
            ),
            30,
            "the first worker's sweeper and dispatcher back",
            processes,
        )
        assert worker.poll() is None and late.poll() is None
    finally:
        for browser in browsers:
            browser.close()
        processes.stop_all()

    with factory() as session:
        numbers = set(session.scalars(select(Case.number)))
        assert {r.json()["number"] for r in before + after} == numbers
        assert set(session.scalars(select(Notification.status))) == {"sent"}
        assert set(session.scalars(select(Case.state))) == {"acceptance"}
        assert chain_problems(session) == []
    engine.dispose()
    for name in ("worker", "serve"):
        log = processes.log(name)
        assert "Traceback" not in log, log[-3000:]
    assert "database is unreachable" in processes.log("worker")
    assert "database is unreachable" in processes.log("worker-late")


def test_mail_sent_while_the_database_goes_away_is_recorded_once_it_is_back(
    private_postgres: PrivatePostgres, slow_smtp: tuple[int, SlowInbox], tmp_path: Path
) -> None:
    """The dispatcher sends a batch outside any transaction; the database stops meanwhile. It
    waits to record the outcomes (its claim still holds) instead of leaving the rows claimed, to
    be sent a second time when the claim runs out."""
    smtp_port, inbox = slow_smtp
    inbox.delay = 0.3
    url = fresh_database(private_postgres.url)
    env = {
        **os.environ,
        "ODR_DATABASE_URL": url,
        "ODR_VAR_DIR": str(tmp_path / "var"),
        "ODR_SECRET_KEY": "outage-test-secret",
        "ODR_DISPATCH_INTERVAL": "0.5",
        "ODR_SMTP_HOST": "127.0.0.1",
        "ODR_SMTP_PORT": str(smtp_port),
    }
    processes = Processes(tmp_path, env)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    port = free_port()
    try:
        processes.serve("serve", port, "--no-background")
        for i in range(MAILS):
            response = httpx.post(
                f"http://127.0.0.1:{port}/api/v1/complaints",
                json=complaint(i, "MAIL", email=True),
                timeout=30,
            )
            assert response.status_code == 201, response.text
        with factory() as session:
            emails = set(
                session.scalars(select(Notification.id).where(Notification.channel == "email"))
            )
        engine.dispose()
        assert len(emails) == MAILS
        worker = processes.start("worker", "worker")
        wait_for(lambda: inbox.total() >= 3, 60, "the first mails", processes)
        private_postgres.stop()  # mid-batch: the rest is sent while the database is away
        wait_for(lambda: inbox.total() >= MAILS, 60, "every mail of the batch", processes)
        wait_for(lambda: "database is away" in processes.log("worker"), 30, "the worker", processes)
        private_postgres.start()

        def recorded() -> bool:
            with factory() as session:
                statuses = set(session.scalars(select(Notification.status)))
            return statuses == {"sent"}

        wait_for(recorded, 60, "the outcomes recorded", processes)
        assert worker.poll() is None
    finally:
        processes.stop_all()
    engine.dispose()
    assert inbox.received == Counter({i: 1 for i in emails})  # each mail once
