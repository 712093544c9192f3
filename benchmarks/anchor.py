"""Anchoring the hash chains at scale (odr/cases/anchors.py) on 1,000,000 cases (SQLite): the
first anchor (every head new), the next one with nothing changed, and the check of the anchor log
that `odr audit verify` adds.

Baseline, measured in the same run on the same database: one bare ordered scan reading every
case's id, event count and head (`SELECT id, event_count, last_event_hash FROM cases ORDER BY
id`), the least any anchor can do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

RESULTS_PATH = _scale.RESULTS_DIR / "anchor.json"
TARGET_FIRST_S = 60.0  # a daily job: a minute for the first anchor of a million cases
TARGET_NEXT_S = 10.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the database")
    parser.add_argument(
        "--cache", type=Path, default=_scale.BENCH_DIR, help="where the databases are kept"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def _seconds(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def measure(db: _scale.Database) -> dict[str, Any]:
    from sqlalchemy import text

    from odr.cases.anchors import anchor, verify_anchors
    from odr.db.engine import make_engine, make_session_factory
    from odr.models import import_models

    import_models()
    engine = make_engine(db.url)
    factory = make_session_factory(engine)
    scan = text("SELECT id, event_count, last_event_hash FROM cases ORDER BY id")

    def bare() -> int:
        with engine.connect() as connection:
            return len(connection.execute(scan).all())

    bare(), bare()  # warm the page cache, as the anchors that follow find it
    bare_seconds, scanned = _seconds(bare)
    first_seconds, first = _seconds(lambda: anchor(factory, db.now))
    next_seconds, following = _seconds(lambda: anchor(factory, db.now + timedelta(days=1)))

    def check() -> list[str]:
        with factory() as session:
            return [str(p) for p in verify_anchors(session, first.digest)]

    verify_seconds, problems = _seconds(check)
    engine.dispose()
    return {
        "cases": scanned,
        "bare_scan_seconds": bare_seconds,
        "first": {"seconds": first_seconds, "heads": first.heads, "cases": first.cases},
        "next": {"seconds": next_seconds, "heads": following.heads},
        "verify_anchors": {"seconds": verify_seconds, "problems": problems},
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="odr-bench-anchor-") as tmp:
        cached = _scale.database(args.cases, args.cases // 50, args.cache)
        print(f"anchor: {args.cases:,} cases ({'built' if cached.build_seconds else 'cached'})")
        db = _scale.copy_of(cached, Path(tmp))
        run = measure(db)
        db.path.unlink()
    cases = run["cases"]
    rows = [
        _scale.row(
            f"first anchor, {cases:,} cases (every head new)",
            run["first"]["seconds"],
            "s",
            TARGET_FIRST_S,
            run["bare_scan_seconds"],
            "bare ordered scan",
        ),
        _scale.row(
            f"next anchor, {cases:,} cases, none changed",
            run["next"]["seconds"],
            "s",
            TARGET_NEXT_S,
            run["bare_scan_seconds"],
            "bare ordered scan",
        ),
        _scale.row(
            f"anchor log check, {run['first']['heads']:,} heads",
            run["verify_anchors"]["seconds"],
            "s",
            None,
            run["bare_scan_seconds"],
            "bare ordered scan",
        ),
    ]
    results = {"machine": _scale.machine(), "run": run, "table": rows}
    _scale.write(results, args.output)
    _scale.print_rows(rows)
    return results


if __name__ == "__main__":
    main()
