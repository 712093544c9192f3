"""API intake over HTTP: complaints/s and latency of POST /api/v1/complaints against a real
`odr serve`, with GET /health/live from the same client and a same-rows bare endpoint as the
baselines.

    python benchmarks/api_intake.py [--clients C] [--seconds S] [--rate R] [--rate-seconds T]
                                    [--rounds N] [--database-url postgresql://...]
                                    [--output PATH]

SQLite (the default): one `odr serve` on a fresh, migrated database with the demo data in a
temporary folder, background jobs running as in production. With --database-url naming a
PostgreSQL database: the database is migrated (demo data loaded when it is empty) and two `odr
serve` processes share it, the client sending to each in turn.

Phases, each bounded by time and count, loopback only:
  1. full load: C clients post complaints back to back (closed loop) for S seconds;
  2. baseline: the same C clients get /health/live for S seconds;
  3. offered load: complaints sent at a fixed R a second for T seconds (open loop; latency counts
     from the moment a request was due, so a slow server is not hidden by a waiting client);
  4. same rows, bare: the odr servers stopped, as many bare servers (benchmarks/_bare_intake.py:
     uvicorn and litestar, one process each, on the same database) take the full load of phase 1:
     each complaint is the seven rows odr wrote for its last one (case, two events, two outbox
     rows, search words, Idempotency-Key), one transaction a request, none of odr's checks.
With --rounds N, phases 1 and 4 run N times in turn (odr, bare, odr, bare...; 2 and 3 once): on
a machine loaded by others, the median of the rounds' ratios is the figure to read.
Every complaint must be answered 201 and be in the database afterwards (checked by number).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).resolve().parent / "results" / "api_intake.json"
DRAIN = 20.0
IDLE_SECONDS = 4.0  # under uvicorn's keep-alive timeout (5 s)
ODR = [sys.executable, "-c", "from odr.cli import main; main()"]
ODR_SERVE = [*ODR, "serve"]
# The same-rows baseline: a bare endpoint writing odr's rows for a complaint (_bare_intake.py).
BARE = [sys.executable, str(Path(__file__).resolve().parent / "_bare_intake.py")]


def complaint(i: int, run: str) -> dict[str, Any]:
    """The i-th complaint: a new consumer and order each time, so none joins an open case."""
    return {
        "complainant_name": "张三",
        "complainant_phone": f"138{i % 100_000_000:08d}",
        "complainant_address": "广西南宁市青秀区民族大道88号",
        "respondent_name": "美团优选（南宁）",
        "product": "阳光玫瑰葡萄 2斤装",
        "purchase_date": "2026-11-20",
        "amount": "39.90",
        "order_number": f"MT-{run}-{i}",
        "claim_type": "refund",
        "facts": "11月20日在小程序下单，次日自提时发现葡萄大面积腐烂，团长拒绝退款。",
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Servers:
    """The `odr serve` processes of a run and their base URLs."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def prepare(env: dict[str, str]) -> None:
    """Migrate the database and load the demo data when it is empty."""
    for command in (["db", "upgrade"], ["demo", "--if-empty"]):
        done = subprocess.run([*ODR, *command], env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"odr {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def start(
    env: dict[str, str], count: int, log_dir: Path, command: Sequence[str] = ODR_SERVE
) -> Servers:
    """Start `count` servers (`odr serve`, or the command given, each with --port) on free
    ports and wait until each answers /health/live."""
    servers = Servers()
    name = "bare" if command == BARE else "serve"
    for n in range(count):
        port = free_port()
        log = open(log_dir / f"{name}-{n}.log", "ab")  # noqa: SIM115 (open while it runs)
        servers.processes.append(
            subprocess.Popen([*command, "--port", str(port)], env=env, stdout=log, stderr=log)
        )
        servers.urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 180  # a loaded machine starts them slowly
    for process, url in zip(servers.processes, servers.urls, strict=True):
        while True:
            if process.poll() is not None:
                servers.stop()
                raise RuntimeError(f"{name} server exited:\n{tail(log_dir, name)}")
            try:
                if httpx.get(url + "/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                servers.stop()
                raise RuntimeError(f"{name} server did not start:\n{tail(log_dir, name)}")
            time.sleep(0.1)
    return servers


def tail(log_dir: Path, name: str) -> str:
    """The last lines the servers of this name logged (the folder goes with the run)."""
    return "\n".join(
        line
        for log in sorted(log_dir.glob(f"{name}-*.log"))
        for line in log.read_text(errors="replace").splitlines()[-15:]
    )


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    seconds: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the servers used during the phase
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)

    def record(self, status: int, latency: float, body: bytes | None = None) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status:  # latencies of answered requests; the unanswered are counted as status 0
            self.latencies.append(latency)
        if body is not None and status == 201:
            self.numbers.append(json.loads(body)["number"])

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        answered, requests = len(ordered), sum(self.statuses.values())

        def ms(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

        return {
            "requests": requests,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "seconds": round(self.seconds, 3),
            # Answered requests a second (status 0, never answered, is left out).
            "per_second": round(answered / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": ms(0.50) if ordered else None,
            "p99_ms": ms(0.99) if ordered else None,
            "max_ms": round(ordered[-1] * 1000, 2) if ordered else None,
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2) if ordered else None,
            # Less sensitive to other load on the machine than the rates.
            "server_cpu_ms_per_request": round(self.server_cpu * 1000 / requests, 3)
            if ordered
            else None,
            "client_cpu_ms_per_request": round(self.client_cpu * 1000 / requests, 3)
            if ordered
            else None,
        }


class TransportError(Exception):
    """The server closed the connection or answered what is not HTTP/1.1."""


class Connections:
    """Keep-alive HTTP/1.1 connections to one server, each carrying one request at a time, on
    raw asyncio streams. A client this lean leaves the CPU to the server it measures: httpx
    spent more CPU on a request than `odr serve` did on /health/live, so the baseline measured
    the client."""

    def __init__(self, url: str):
        address = url.split("://", 1)[1]
        self.host, _, port = address.partition(":")
        self.port = int(port or 80)
        # (reader, writer, when it went idle): uvicorn closes a connection idle for 5 s, and a
        # request written to it then is lost; one idle longer than IDLE_SECONDS is not reused.
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        while self.idle and self.idle[0][2] < time.monotonic() - IDLE_SECONDS:
            self.idle.pop(0)[1].close()
        if self.idle:
            reader, writer, _ = self.idle.pop()
        else:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                raise TransportError(str(exc)) from exc
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split()[1])
            fields = {
                k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])
            }
            if fields.get("transfer-encoding", "").lower() == "chunked":
                content = b""
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    content += (await reader.readexactly(size + 2))[:-2]
                await reader.readuntil(b"\r\n")
            else:
                content = await reader.readexactly(int(fields.get("content-length", "0")))
        except BaseException as exc:  # cancelled or broken: the connection is not reused
            writer.close()
            if isinstance(exc, OSError | asyncio.IncompleteReadError | ValueError | IndexError):
                raise TransportError(repr(exc)) from exc
            raise
        if fields.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return status, content

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


class Client:
    """Requests to every server, taken in turn."""

    def __init__(self, urls: list[str], idempotency_keys: bool):
        self.servers = [Connections(u) for u in urls]
        self.turn = itertools.cycle(self.servers)
        self.idempotency_keys = idempotency_keys
        self.sequence = itertools.count()
        self.run = uuid.uuid4().hex[:8]

    async def post_complaint(self, phase: Phase, due: float | None = None) -> None:
        i = next(self.sequence)
        headers = {"Content-Type": "application/json"}
        if self.idempotency_keys:
            headers["Idempotency-Key"] = f"{self.run}-{i}"
        body = json.dumps(complaint(i, self.run), ensure_ascii=False).encode()
        started = due if due is not None else time.perf_counter()
        try:
            status, content = await next(self.turn).request(
                "POST", "/api/v1/complaints", body, headers
            )
        except TransportError:  # counted as status 0: never answered
            phase.record(0, time.perf_counter() - started)
            return
        phase.record(status, time.perf_counter() - started, content)

    async def get_live(self, phase: Phase) -> None:
        started = time.perf_counter()
        try:
            status, _ = await next(self.turn).request("GET", "/health/live")
        except TransportError:
            phase.record(0, time.perf_counter() - started)
            return
        phase.record(status, time.perf_counter() - started)

    async def close(self) -> None:
        for server in self.servers:
            server.close()


async def closed_loop(
    phase: Phase, request: Any, clients: int, seconds: float, limit: int
) -> Phase:
    """`clients` workers sending back to back until `seconds` pass or `limit` requests went."""
    sent = itertools.count()
    end = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < end and next(sent) < limit:
            await request(phase)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    phase.seconds = time.perf_counter() - start
    return phase


async def open_loop(phase: Phase, client: Client, rate: float, seconds: float) -> Phase:
    """Complaints due at a fixed rate, each sent when due whatever the others are doing."""
    total = int(rate * seconds)
    tasks = []
    start = time.perf_counter()
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(client.post_complaint(phase, due)))
    # An overloaded server is given DRAIN seconds more; what is still unanswered counts as 0.
    _, late = await asyncio.wait(tasks, timeout=DRAIN)
    for task in late:
        task.cancel()
        phase.record(0, 0.0)
    await asyncio.gather(*late, return_exceptions=True)
    phase.seconds = time.perf_counter() - start
    return phase


async def measured(phase: Phase, run: Any, pids: list[int]) -> Phase:
    """Run a phase and note the CPU time the servers and this client spent in it."""
    server, client = cpu_seconds(pids), time.process_time()
    await run
    phase.server_cpu = cpu_seconds(pids) - server
    phase.client_cpu = time.process_time() - client
    return phase


async def drive(
    urls: list[str], pids: list[int], args: argparse.Namespace, first: bool
) -> dict[str, Phase]:
    """The phases run against odr: full load each round, the baseline and offered load in the
    first."""
    client = Client(urls, not args.no_idempotency_key)
    phases = {"complaints": Phase("complaints")}
    try:
        # A short warm-up, so that the first connections and caches are not timed.
        await closed_loop(Phase("warm-up"), client.get_live, args.clients, 1.0, args.clients * 4)
        print("  full load ...", flush=True)
        load = phases["complaints"]
        await measured(load, closed_loop(load, client.post_complaint, *limits(args)), pids)
        if first:
            print("  baseline ...", flush=True)
            live = phases["health"] = Phase("health")
            run = closed_loop(live, client.get_live, args.clients, args.seconds, args.max * 10)
            await measured(live, run, pids)
            print("  offered load ...", flush=True)
            offered = phases["offered"] = Phase("offered")
            await measured(offered, open_loop(offered, client, args.rate, args.rate_seconds), pids)
    finally:
        await client.close()
    return phases


async def drive_bare(urls: list[str], pids: list[int], args: argparse.Namespace) -> Phase:
    """Full load against the same-rows baseline, as against odr."""
    client = Client(urls, not args.no_idempotency_key)
    bare = Phase("bare")
    try:
        await closed_loop(Phase("warm-up"), client.get_live, args.clients, 1.0, args.clients * 4)
        print("  same rows, bare ...", flush=True)
        await measured(bare, closed_loop(bare, client.post_complaint, *limits(args)), pids)
    finally:
        await client.close()
    return bare


def limits(args: argparse.Namespace) -> tuple[int, float, int]:
    return args.clients, args.seconds, args.max


def stored(database_url: str, numbers: list[str]) -> int:
    """How many of these case numbers are in the database."""
    from sqlalchemy import func, select

    from odr.cases.models import Case
    from odr.db.engine import make_engine

    engine = make_engine(database_url)
    found = 0
    with engine.connect() as connection:
        for i in range(0, len(numbers), 500):
            chunk = numbers[i : i + 500]
            found += connection.scalar(
                select(func.count()).select_from(Case).where(Case.number.in_(chunk))
            )
    engine.dispose()
    return found


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument("--seconds", type=float, default=15, help="per closed-loop phase (15)")
    parser.add_argument("--max", type=int, default=100_000, help="most complaints at full load")
    parser.add_argument("--rate", type=float, default=300, help="offered complaints/s (300)")
    parser.add_argument("--rate-seconds", type=float, default=10, help="offered-load time (10)")
    parser.add_argument("--database-url", help="a PostgreSQL database: 2 servers share it")
    parser.add_argument("--servers", type=int, help="odr serve processes (1 SQLite, 2 PostgreSQL)")
    parser.add_argument(
        "--no-idempotency-key", action="store_true", help="send no Idempotency-Key header"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="full load against odr, then bare, N times (1)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        # A benchmark stopped with SIGTERM (e.g. by `timeout`) still stops its servers.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database_url = args.database_url or f"sqlite:///{folder / 'odr.sqlite3'}"
        servers_count = args.servers or (1 if database_url.startswith("sqlite") else 2)
        env = {
            **os.environ,
            "ODR_DATABASE_URL": database_url,
            "ODR_VAR_DIR": str(folder / "var"),
            "ODR_BACKGROUND_JOBS": "1",
        }
        prepare(env)
        rounds: list[tuple[Phase, Phase]] = []
        for n in range(args.rounds):
            # odr first: the bare endpoint copies the rows odr wrote for its last complaint.
            print(f"round {n + 1} of {args.rounds}: odr", flush=True)
            servers = start(env, servers_count, folder)
            try:
                pids = [p.pid for p in servers.processes]
                phases = asyncio.run(drive(servers.urls, pids, args, first=n == 0))
            finally:
                servers.stop()
            if n == 0:
                first = phases
            print(f"round {n + 1} of {args.rounds}: bare", flush=True)
            servers = start(env, servers_count, folder, BARE)
            try:
                pids = [p.pid for p in servers.processes]
                bare = asyncio.run(drive_bare(servers.urls, pids, args))
            finally:
                servers.stop()
            rounds.append((phases["complaints"], bare))
        numbers = [n for load, _ in rounds for n in load.numbers] + first["offered"].numbers
        found = stored(database_url, numbers)
        bare_numbers = [n for _, bare in rounds for n in bare.numbers]
        bare_found = stored(database_url, bare_numbers)

    per_round = [
        {
            "complaints": load.summary(),
            "bare": bare.summary(),
        }
        for load, bare in rounds
    ]
    for figures in per_round:
        odr_rate, bare_rate = figures["complaints"]["per_second"], figures["bare"]["per_second"]
        figures["ratio_complaints_vs_bare"] = round(odr_rate / bare_rate, 4) if bare_rate else None
    ratios = [r["ratio_complaints_vs_bare"] for r in per_round if r["ratio_complaints_vs_bare"]]
    load, live, offered = (first[k].summary() for k in ("complaints", "health", "offered"))
    bare_load = per_round[0]["bare"]
    results = {
        "database": "postgresql" if "postgres" in database_url else "sqlite",
        "servers": servers_count,
        "clients": args.clients,
        "idempotency_key": not args.no_idempotency_key,
        "complaints": load,
        "health_live": live,
        "ratio_complaints_vs_health": round(load["per_second"] / live["per_second"], 4)
        if live["per_second"]
        else None,
        "bare": bare_load,
        # odr's complaints/s over the same-rows baseline's, each round; the median of them.
        "ratio_complaints_vs_bare": statistics.median(ratios) if ratios else None,
        "rounds": per_round,
        "offered": {"rate": args.rate, **offered},
        "complaints_answered_201": len(numbers),
        "complaints_stored": found,
        "bare_answered_201": len(bare_numbers),
        "bare_stored": bare_found,
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    where = f"{results['database']}, {servers_count} odr serve, {args.clients} clients"
    print(f"API intake over HTTP on loopback ({where})")
    for label, figures in (
        ("POST /api/v1/complaints", load),
        ("same rows, bare", bare_load),
        ("GET /health/live", live),
    ):
        print(
            f"  {label:<24} {figures['per_second']:9,.0f}/s  p50 {figures['p50_ms']} ms  "
            f"p99 {figures['p99_ms']} ms  max {figures['max_ms']} ms  {figures['statuses']}"
        )
        print(
            f"  {'':<24} server CPU {figures['server_cpu_ms_per_request']} ms/request, "
            f"client CPU {figures['client_cpu_ms_per_request']} ms/request"
        )
    print(f"  ratio complaints / health: {results['ratio_complaints_vs_health']:.2%}")
    for n, figures in enumerate(per_round, 1):
        print(
            f"  round {n}: complaints {figures['complaints']['per_second']:,.0f}/s, "
            f"bare {figures['bare']['per_second']:,.0f}/s, ratio "
            f"{figures['ratio_complaints_vs_bare'] or 0:.2%}"
        )
    if ratios:
        print(
            f"  ratio complaints / same rows bare (median of {len(ratios)}): "
            f"{statistics.median(ratios):.2%}"
        )
    print(
        f"  offered {args.rate:g}/s for {args.rate_seconds:g} s: {offered['per_second']:,.0f}/s "
        f"answered, p50 {offered['p50_ms']} ms  p99 {offered['p99_ms']} ms  "
        f"max {offered['max_ms']} ms  {offered['statuses']}"
    )
    print(f"  answered 201: {len(numbers)}, found in the database: {found}")
    print(f"  bare answered 201: {len(bare_numbers)}, found in the database: {bare_found}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
