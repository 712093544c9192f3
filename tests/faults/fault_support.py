"""Helpers of the crash and outage tests: odr processes, complaints, and what a crash must not
leave behind (broken chains, half-written cases)."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from odr.cases.chain import verify_all
from odr.cases.models import Case, CaseEvent
from odr.clock import utcnow
from odr.db.engine import make_engine, make_session_factory, transaction
from odr.db.migrate import upgrade
from odr.demo import load_demo
from odr.notify.models import Notification

ODR = str(Path(sys.executable).with_name("odr"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """odr processes with their logs; whatever still runs is stopped at the end."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.directory, self.env = directory, env
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        with open(self.directory / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                [ODR, *args], env=self.env | env, stdout=log, stderr=subprocess.STDOUT
            )
        self.running.append(process)
        return process

    def serve(self, name: str, port: int, *args: str, **env: str) -> subprocess.Popen[bytes]:
        process = self.start(name, "serve", "--port", str(port), *args, **env)
        wait_for(lambda: live(port), 60, f"odr serve on port {port}", self)
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no shutdown hook, no rollback, no flush; the operating system just ends it."""
        process.send_signal(signal.SIGKILL)
        process.wait()

    @staticmethod
    def stop(process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self) -> None:
        for process in self.running:
            self.stop(process)

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def tails(self, lines: int = 20) -> str:
        return "\n".join(
            f"== {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            for path in sorted(self.directory.glob("*.log"))
        )


def live(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(predicate: Callable[[], object], timeout: float, what: str, procs: Processes) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{procs.tails()}")


PLATFORMS = ("美团优选（南宁）", "多多买菜（南宁）", "兴盛优选（南宁）")


def complaint(i: int, prefix: str = "FAULT", email: bool = False) -> dict[str, object]:
    return {
        "complainant_name": "张三",
        "complainant_phone": f"138{i:08d}",
        "complainant_email": f"c{i}@example.cn" if email else None,
        "complainant_address": "广西南宁市青秀区民族大道88号",
        "respondent_name": PLATFORMS[i % len(PLATFORMS)],
        "product": "阳光玫瑰葡萄 2斤装",
        "purchase_date": "2026-11-20",
        "amount": "39.90",
        "order_number": f"{prefix}-{i}",
        "claim_type": "refund",
        "facts": "次日自提时发现葡萄大面积腐烂，团长拒绝退款。",
        "notify_sms": True,
        "notify_email": email,
    }


def chain_problems(session: Session) -> list[str]:
    return [str(problem) for problem in verify_all(session)]


def half_written(session: Session) -> list[str]:
    """Cases missing what a submission writes in the same transaction: the submit event first,
    as many events as the case counts, its complainant, and the outbox rows of the submission
    (co-complainants, CaseParty rows, only come with joint complaints)."""
    events = dict(
        session.execute(select(CaseEvent.case_id, func.count()).group_by(CaseEvent.case_id)).all()
    )
    first = dict(
        session.execute(
            select(CaseEvent.case_id, CaseEvent.trigger).where(
                CaseEvent.id.in_(select(func.min(CaseEvent.id)).group_by(CaseEvent.case_id))
            )
        ).all()
    )
    outbox = Counter(session.scalars(select(Notification.case_id)))
    found = []
    for case_id, number, count, version, name, phone in session.execute(
        select(
            Case.id,
            Case.number,
            Case.event_count,
            Case.version,
            Case.complainant_name,
            Case.complainant_phone,
        )
    ):
        if first.get(case_id) != "submit":
            found.append(f"{number}: first event {first.get(case_id)!r}, not submit")
        if events.get(case_id, 0) != count or count < 1:
            found.append(f"{number}: {events.get(case_id, 0)} events, counted {count}")
        if not name or not phone:
            found.append(f"{number}: no complainant")
        if not outbox[case_id]:
            found.append(f"{number}: no outbox rows")
        if version < 1:
            found.append(f"{number}: version {version}")
    return found


MESSAGE_ID = re.compile(rb"Message-ID: <[^>]*odr-(\d+)@odr\.local>", re.IGNORECASE)


class SlowInbox:
    """An SMTP handler that takes its time over each mail and counts them by notification id."""

    def __init__(self, delay: float = 0.15) -> None:
        self.delay = delay
        self.received: Counter[int] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802 (aiosmtpd's name)
        await asyncio.sleep(self.delay)
        found = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.received[int(found.group(1)) if found else -1] += 1
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())


def fresh_database(url: str) -> str:
    """Migrate a new database and load the demo offices, enterprises and users into it."""
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        load_demo(session, utcnow())
    engine.dispose()
    return url
