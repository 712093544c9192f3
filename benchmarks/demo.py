"""`odr demo --cases 1000000` on SQLite: the time to fill a database with a million realistic
cases (every track and state, hash-chained events, delivered notifications). The database is
kept under var/bench/ for the sweep and pages benchmarks.

Baseline, measured in the same run on the same disk: the driver's bare executemany of as many
rows of (id, text) into an empty SQLite file (the floor of any bulk load here).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

RESULTS_PATH = _scale.RESULTS_DIR / "demo.json"
TARGET_SECONDS = 120.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--directory", type=Path, default=_scale.BENCH_DIR)
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def bare_insert(rows: int) -> float:
    """Seconds to executemany `rows` narrow rows into a new SQLite file."""
    with tempfile.TemporaryDirectory(prefix="odr-bench-demo-") as tmp:
        connection = sqlite3.connect(Path(tmp) / "bare.sqlite3", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        started = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO t (id, body) VALUES (?, ?)",
            ((i, "投诉内容示例 complaint text") for i in range(1, rows + 1)),
        )
        connection.execute("COMMIT")
        seconds = time.perf_counter() - started
        connection.close()
    return seconds


def counts(path: Path, now: datetime) -> dict[str, Any]:
    with sqlite3.connect(path) as connection:
        one = lambda sql: connection.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "cases": one("SELECT count(*) FROM cases"),
            "open": one("SELECT count(*) FROM cases WHERE closed_at IS NULL"),
            "overdue": connection.execute(
                "SELECT count(*) FROM cases WHERE due_at <= ?", (f"{now:%Y-%m-%d %H:%M:%S}",)
            ).fetchone()[0],
            "events": one("SELECT count(*) FROM case_events"),
            "notifications_sent": one("SELECT count(*) FROM notifications WHERE status = 'sent'"),
            "states": dict(
                connection.execute(
                    "SELECT state, count(*) FROM cases GROUP BY state ORDER BY 2 DESC"
                ).fetchall()
            ),
            "file_mb": path.stat().st_size / 2**20,
        }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    path = args.directory / f"demo-{args.cases}-{args.overdue}.sqlite3"
    print(f"demo: odr demo --cases {args.cases:,} into {path}")
    now = datetime.now(UTC).replace(microsecond=0)
    seconds = _scale.build(path, args.cases, args.overdue, now)
    baseline = bare_insert(args.cases)
    found = counts(path, now)
    rows = [
        _scale.row(
            f"odr demo --cases {args.cases:,} (SQLite)",
            seconds,
            "s",
            TARGET_SECONDS * args.cases / 1_000_000,
            baseline,
            f"bare executemany of {args.cases:,} rows",
        )
    ]
    results = {
        "machine": _scale.machine(),
        "workload": {"cases": args.cases, "overdue": args.overdue, "now": now.isoformat()},
        "database_path": str(path),
        "seconds": seconds,
        "cases_per_second": args.cases / seconds,
        "bare_insert_seconds": baseline,
        "database": found,
        "ratios": {"demo_vs_bare_insert": seconds / baseline},
        "table": rows,
    }
    print(
        f"  {found['cases']:,} cases ({found['open']:,} open), {found['events']:,} events, "
        f"{found['notifications_sent']:,} notifications, {found['file_mb']:,.0f} MB"
    )
    _scale.print_rows(rows)
    _scale.write(results, args.output)
    return results


if __name__ == "__main__":
    main()
