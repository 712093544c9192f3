"""Memory of a real `odr serve` process: resident set size after 10,000 requests and after
100,000 more, of a mix of portal pages and API calls, on a database of 100,000 cases (SQLite).

Baseline, measured in the same run: the process's RSS once it answers its first request.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

RESULTS_PATH = _scale.RESULTS_DIR / "memory.json"
TARGET_RSS_MB = 250.0
TARGET_GROWTH_MB = 10.0  # "does not grow": less than this over the second phase
THREADS = 4


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=10_000, help="(names the cached database)")
    parser.add_argument("--warm", type=int, default=10_000, help="requests before the first RSS")
    parser.add_argument("--more", type=int, default=100_000, help="requests before the second")
    parser.add_argument(
        "--cache", type=Path, default=_scale.BENCH_DIR, help="where the databases are kept"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def complaint(i: int) -> dict[str, Any]:
    return {
        "complainant_name": "张三",
        "complainant_phone": f"139{i:08d}",
        "complainant_address": "广西南宁市青秀区民族大道88号",
        "respondent_name": "美团优选（南宁）",
        "product": "阳光玫瑰葡萄 2斤装",
        "purchase_date": "2026-11-20",
        "amount": "39.90",
        "order_number": f"MEM-{i}",
        "claim_type": "refund",
        "facts": "次日自提时发现葡萄大面积腐烂，团长拒绝退款。",
        "locale": "zh-CN",
        "notify_sms": True,
        "notify_email": False,
    }


class Load:
    """The request mix: one logged-in client per portal, a consumer and an API client."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.api = httpx.Client(base_url=base, timeout=60)
        self.staff = {
            "enterprise": self._login("enterprise", "meituan"),
            "regulator": self._login("regulator", "reg450103"),
        }
        created = self.api.post("/api/v1/complaints", json=complaint(0)).json()
        self.case = (created["number"], created["access_code"])
        self.statuses: Counter[int] = Counter()
        self.counter = itertools.count(1)

    def _login(self, portal: str, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=60, follow_redirects=True)
        client.get("/track")
        response = client.post(
            f"/{portal}/login",
            data={
                "_csrf_token": client.cookies["odr_csrf"],
                "username": username,
                "password": _scale.BENCH_PASSWORD,
            },
        )
        if response.status_code != 200:
            raise SystemExit(f"login as {username}: {response.status_code}")
        return client

    def one(self, rng: random.Random) -> None:
        """One request of the mix (weights: mostly cheap calls, some pages, some writes)."""
        kind = rng.choices(
            ("live", "form", "respondents", "read", "submit", "inbox", "queue"),
            (40, 10, 15, 20, 7, 4, 4),
        )[0]
        if kind == "live":
            response = self.api.get("/health/live")
        elif kind == "form":
            response = self.api.get("/")
        elif kind == "respondents":
            response = self.api.get("/api/v1/respondents", params={"q": rng.choice("美多兴青")})
        elif kind == "read":
            number, code = self.case
            response = self.api.get(f"/api/v1/cases/{number}", headers={"X-Access-Code": code})
        elif kind == "submit":
            response = self.api.post("/api/v1/complaints", json=complaint(next(self.counter)))
        elif kind == "inbox":
            response = self.staff["enterprise"].get("/enterprise/")
        else:
            response = self.staff["regulator"].get("/regulator/")
        self.statuses[response.status_code] += 1

    def run(self, count: int, seed: int) -> float:
        """Send `count` requests from a few threads; return the seconds it took."""
        started = time.perf_counter()

        def worker(index: int) -> None:
            rng = random.Random(seed * 100 + index)
            for _ in range(count // THREADS + (index < count % THREADS)):
                self.one(rng)

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(worker, range(THREADS)))
        return time.perf_counter() - started

    def close(self) -> None:
        for client in (self.api, *self.staff.values()):
            client.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    cached = _scale.database(args.cases, args.overdue, args.cache)
    print(f"memory: {args.cases:,} cases ({'built' if cached.build_seconds else 'cached'})")
    with tempfile.TemporaryDirectory(prefix="odr-bench-memory-") as tmp:
        db = _scale.copy_of(cached, Path(tmp))
        _scale.set_passwords(db.url, ["meituan", "reg450103"])
        port = free_port()
        env = {
            **os.environ,
            "ODR_DATABASE_URL": db.url,
            "ODR_VAR_DIR": tmp,
            "ODR_BACKGROUND_JOBS": "false",
        }
        log_path = Path(tmp) / "serve.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen(
                [_scale.ODR, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
            )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, server)
            start_rss = rss_mb(server.pid)
            load = Load(base)
            warm_seconds = load.run(args.warm, seed=1)
            warm_rss = rss_mb(server.pid)
            more_seconds = load.run(args.more, seed=2)
            final_rss = rss_mb(server.pid)
            statuses = {str(code): n for code, n in sorted(load.statuses.items())}
            load.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
        errors = [
            line
            for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            if " ERROR " in line or "Traceback" in line or '"level": "ERROR"' in line
        ]
    growth = final_rss - warm_rss
    rows = [
        _scale.row(
            f"odr serve RSS after {args.warm:,} requests",
            warm_rss,
            "MB",
            TARGET_RSS_MB,
            start_rss,
            "RSS at start",
        ),
        _scale.row(
            f"odr serve RSS growth over {args.more:,} more requests",
            growth,
            "MB",
            TARGET_GROWTH_MB,
            None,
            "",
        ),
    ]
    results = {
        "machine": _scale.machine(),
        "workload": {"cases": args.cases, "warm": args.warm, "more": args.more},
        "rss_mb": {"start": start_rss, "after_warm": warm_rss, "after_more": final_rss},
        "growth_mb": growth,
        "seconds": {"warm": warm_seconds, "more": more_seconds},
        "requests_per_second": (args.warm + args.more) / (warm_seconds + more_seconds),
        "statuses": statuses,
        "server_errors": errors[:20],
        "ratios": {"rss_after_warm_vs_start": warm_rss / start_rss},
        "table": rows,
    }
    print(f"  statuses {statuses}, {results['requests_per_second']:.0f} requests/s")
    _scale.print_rows(rows)
    _scale.write(results, args.output)
    return results


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"odr serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/health/live", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("odr serve did not come up")


if __name__ == "__main__":
    main()
