"""Staff pages on a database of 1,000,000 cases (SQLite): the enterprise inbox, the regulator
queue (district and city office) and the regulator dashboard, rendered through the whole app
(litestar TestClient: routing, session, guards, queries, templates).

Baseline, measured in the same run and process: `GET /health/live`, the cheapest page there is.
A page that is not there (404) or fails is reported as missing, not timed.

With `--during-import N`, the pages are timed again, on a copy of the database, while `odr
import-12315` files N transfer records into it in a process of its own (as an operator runs
it): each page's p50 under the import against its p50 idle in the same run (goal: under 2x).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

RESULTS_PATH = _scale.RESULTS_DIR / "pages.json"
# (figure, portal, user (None: a public page, no login), path, target p50 in ms)
Page = tuple[str, str, str | None, str, float]
PAGES: tuple[Page, ...] = (
    ("enterprise inbox (meituan)", "enterprise", "meituan", "/enterprise/", 30.0),
    ("regulator queue (district office)", "regulator", "reg450103", "/regulator/", 30.0),
    ("regulator queue (city office)", "regulator", "reg450100", "/regulator/", 30.0),
    ("regulator dashboard (city office)", "regulator", "reg450100", "/regulator/dashboard", 500.0),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000, help="(names the cached database)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (p50)")
    parser.add_argument(
        "--cache", type=Path, default=_scale.BENCH_DIR, help="where the databases are kept"
    )
    parser.add_argument(
        "--during-import",
        type=int,
        default=0,
        metavar="N",
        help="also time the pages while `odr import-12315` files N records (e.g. 100000)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def _imported(path: Path) -> bool:
    """Whether the import has committed its first cases."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        found = db.execute("SELECT 1 FROM cases WHERE channel = '12315' LIMIT 1").fetchone()
    db.close()
    return found is not None


def time_pages(client: Any, url: str, pages: Iterable[Page], repeat: int) -> dict[str, Any]:
    """p50 of each page through the app (logged in as its user, read from the database at
    `url`); a page that is not there (404) or fails is reported as missing, not timed."""
    timed: dict[str, Any] = {}
    logged_in: str | None = None
    for figure, portal, user, path, target in pages:
        if user is None:
            client.cookies.clear()
        elif logged_in != user:
            _scale.log_in(client, url, user)
        logged_in = user
        response = client.get(path)
        if response.status_code != 200:  # not there (404), or e.g. a page another change builds
            timed[figure] = {"path": path, "missing": True, "target_ms": target}
            timed[figure]["error"] = response.status_code
            print(f"  {figure}: {path} answered {response.status_code}; not timed")
            continue
        statuses: list[int] = []
        times = _scale.timed(
            lambda path=path, statuses=statuses: statuses.append(client.get(path).status_code),
            repeat,
        )
        timed[figure] = {
            "path": path,
            "portal": portal,
            "user": user,
            "missing": False,
            "statuses": sorted(set(statuses)),
            "bytes": len(response.content),
            "case_links": response.text.count("/cases/"),
            "p50_ms": _scale.p50(times) * 1000,
            "max_ms": max(times) * 1000,
            "target_ms": target,
        }
    return timed


def health_live(client: Any, repeat: int) -> float:
    """The baseline: p50 of `GET /health/live`, the cheapest page there is, in ms."""
    return _scale.p50(_scale.timed(lambda: client.get("/health/live"), repeat)) * 1000


def during_import(
    client: Any, url: str, pages: dict[str, Any], db_path: Path, records: int, tmp: Path
) -> dict[str, Any]:
    """p50 of each page while `odr import-12315` files `records` records into the database,
    the pages taken in turn from its first commit to its end."""
    import import_12315

    timed_pages = [figure for figure, page in pages.items() if not page["missing"]]
    cookies: dict[str, dict[str, str]] = {}  # logged in before: logging in writes
    for figure in timed_pages:
        user = pages[figure]["user"]
        if user not in cookies:
            _scale.log_in(client, url, user)
            cookies[user] = dict(client.cookies)
    transfer = tmp / "transfer.jsonl"
    transfer.write_bytes(import_12315.records(records))
    env = {**os.environ, "ODR_DATABASE_URL": f"sqlite:///{db_path}", "ODR_VAR_DIR": str(tmp)}
    started = time.perf_counter()
    log = tmp / "import.log"
    importer = subprocess.Popen(
        [_scale.ODR, "import-12315", str(transfer)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    while not _imported(db_path) and importer.poll() is None:
        time.sleep(0.05)
    times: dict[str, list[float]] = {figure: [] for figure in timed_pages}
    while importer.poll() is None:
        for figure in timed_pages:
            client.cookies.clear()
            client.cookies.update(cookies[pages[figure]["user"]])
            begun = time.perf_counter()
            client.get(pages[figure]["path"])
            times[figure].append(time.perf_counter() - begun)
    seconds = time.perf_counter() - started
    if importer.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"odr import-12315 failed ({importer.returncode}):\n{tail}")
    return {
        "records": records,
        "import_seconds": seconds,
        "records_per_s": records / seconds,
        "pages": {
            figure: {
                "requests": len(found),
                "p50_ms": _scale.p50(found) * 1000 if found else None,
                "max_ms": max(found) * 1000 if found else None,
                "idle_p50_ms": pages[figure]["p50_ms"],
                "ratio_to_idle": _scale.p50(found) * 1000 / pages[figure]["p50_ms"]
                if found
                else None,
            }
            for figure, found in times.items()
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from odr.settings import Settings

    db = _scale.database(args.cases, args.overdue, args.cache)
    print(f"pages: {args.cases:,} cases ({'built' if db.build_seconds else 'cached'})")
    pages: dict[str, Any] = {}
    under_import: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="odr-bench-pages-") as tmp:
        if args.during_import:  # the import changes the database: a copy of it
            db = _scale.copy_of(db, Path(tmp))
        settings = Settings.from_env(database_url=db.url, var_dir=Path(tmp), background_jobs=False)
        with _scale.test_client(settings) as client:
            baseline_ms = health_live(client, args.repeat * 3)
            pages = time_pages(client, db.url, PAGES, args.repeat)
            if args.during_import:
                under_import = during_import(
                    client, db.url, pages, db.path, args.during_import, Path(tmp)
                )
    rows = [
        _scale.row(
            f"{figure} (p50)",
            page["p50_ms"],
            "ms",
            page["target_ms"],
            baseline_ms,
            "/health/live",
        )
        for figure, page in pages.items()
        if not page["missing"]
    ]
    results = {
        "machine": _scale.machine(),
        "workload": {
            "cases": args.cases,
            "repeat": args.repeat,
            "during_import": args.during_import,
        },
        "baseline_health_live_p50_ms": baseline_ms,
        "pages": pages,
        "ratios": {r["figure"]: r["ratio"] for r in rows},
        "table": rows,
        "during_import": under_import,
    }
    _scale.print_rows(rows)
    if under_import is not None:
        print(
            f"  while odr import-12315 filed {under_import['records']:,} records"
            f" ({under_import['records_per_s']:,.0f}/s):"
        )
        for figure, page in under_import["pages"].items():
            if page["p50_ms"] is None:
                print(f"    {figure}: no request finished during the import")
                continue
            print(
                f"    {figure}: p50 {page['p50_ms']:.4g} ms of {page['requests']} requests,"
                f" idle {page['idle_p50_ms']:.4g} ms: {page['ratio_to_idle']:.2f}x idle"
                f" (goal < 2x), max {page['max_ms']:.4g} ms"
            )
    _scale.write(results, args.output)
    return results


if __name__ == "__main__":
    main()
