"""The data's life on a demo database: `odr audit verify`, full and incremental, and `odr
privacy purge` in batches.

By default on a copy of the cached SQLite demo database of --cases cases; with --database-url on
that database as it is (PostgreSQL: give one of your own, built with `odr demo --cases N --now
T`, and T as --now): it is swept and purged.

In order: a full pass; an incremental pass with nothing new; a day's sweep (`odr sweep --now`
a day on), then an incremental pass over the cases it moved; the purge of every case closed
before the cutoff (its rate and its longest transaction); an incremental pass over the purged
cases; a full pass again. Baseline, in the same run on the same database: the first full pass
(each pass's time is given as a ratio to it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

RESULTS_PATH = _scale.RESULTS_DIR / "data_life.json"
ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases of the SQLite demo")
    parser.add_argument(
        "--cache", type=Path, default=_scale.BENCH_DIR, help="where the databases are kept"
    )
    parser.add_argument("--database-url", help="a demo database of your own, changed in place")
    parser.add_argument("--now", help="the --now that database was built with (ISO 8601)")
    parser.add_argument("--batch", type=int, default=100, help="cases a purge transaction")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def measure(url: str, built: datetime, batch: int) -> dict[str, Any]:
    from odr.cases.privacy import purge
    from odr.cases.verification import verify
    from odr.db.engine import make_engine, make_session_factory
    from odr.models import import_models

    import_models()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    problems: list[object] = []
    passes: list[dict[str, Any]] = []

    def verify_pass(label: str, incremental: bool) -> None:
        done = verify(factory, built, problems.append, incremental=incremental)
        passes.append(
            {
                "pass": label,
                "kind": done.kind,
                "cases": done.tally.cases,
                "events": done.tally.events,
                "seconds": done.seconds,
                "events_per_s": done.events_per_second,
                "cases_per_s": done.cases_per_second,
                "load": _load(),
            }
        )
        print(f"  {passes[-1]}", flush=True)

    verify_pass("full", incremental=False)
    verify_pass("incremental, nothing new", incremental=True)
    env = {**os.environ, "ODR_DATABASE_URL": url}
    began = time.perf_counter()
    swept = subprocess.run(
        [str(ROOT / ".venv/bin/odr"), "sweep", "--now", (built + timedelta(days=1)).isoformat()],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    sweep = {"output": swept.stdout.strip(), "seconds": time.perf_counter() - began}
    print(f"  sweep a day on: {sweep}", flush=True)
    verify_pass("incremental after a day's sweep", incremental=True)

    # Every case closed before the cutoff: the demo's cases closed in the weeks before `built`.
    with tempfile.TemporaryDirectory() as evidence:
        purged = purge(
            factory, Path(evidence), "3y", built + timedelta(days=3 * 366 + 60), batch=batch
        )
    purge_figures = {
        "cases": len(purged.cases),
        "events_redacted": purged.events_redacted,
        "seconds": purged.seconds,
        "cases_per_s": len(purged.cases) / purged.seconds if purged.seconds else 0.0,
        "longest_transaction_s": purged.longest_batch_seconds,
        "batch": batch,
        "load": _load(),
    }
    print(f"  purge: {purge_figures}", flush=True)
    verify_pass("incremental after the purge", incremental=True)
    verify_pass("full again", incremental=False)
    engine.dispose()
    return {"verify": passes, "sweep": sweep, "purge": purge_figures, "problems": len(problems)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.database_url:
        if not args.now:
            raise SystemExit("--now: the moment the demo database was built as of")
        run = measure(args.database_url, datetime.fromisoformat(args.now), args.batch)
    else:
        with tempfile.TemporaryDirectory(prefix="odr-bench-life-") as tmp:
            cached = _scale.database(args.cases, args.cases // 50, args.cache)
            db = _scale.copy_of(cached, Path(tmp))
            run = measure(db.url, db.now, args.batch)
            db.path.unlink()
    full = run["verify"][0]
    rows = [
        _scale.row(
            f"audit verify, {p['pass']}: {p['cases']:,} cases, {p['events']:,} events",
            p["seconds"],
            "s",
            None,
            full["seconds"],
            "first full pass",
        )
        for p in run["verify"]
    ]
    purge = run["purge"]
    rows.append(
        _scale.row(
            f"privacy purge, {purge['cases']:,} cases, {purge['batch']} a transaction "
            f"({purge['cases_per_s']:,.0f} cases/s, longest transaction "
            f"{purge['longest_transaction_s'] * 1000:.0f} ms)",
            purge["seconds"],
            "s",
            None,
            full["seconds"],
            "first full pass",
        )
    )
    results = {"machine": _scale.machine(), "run": run, "table": rows}
    _scale.write(results, args.output)
    _scale.print_rows(rows)
    if run["problems"]:
        raise SystemExit(f"{run['problems']} problem(s) found by audit verify")
    return results


if __name__ == "__main__":
    main()
