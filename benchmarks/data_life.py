"""The data's life on a demo database: `odr audit verify`, full and incremental, and `odr
privacy purge` in batches. The database is changed (swept, purged): give one of your own.

In order: a full pass; an incremental pass with nothing new; a day's sweep (`odr sweep --now`
a day on), then an incremental pass over the cases it moved; the purge of every case closed
before the cutoff (its rate and its longest transaction); an incremental pass over the purged
cases; a full pass again. Baseline, in the same run on the same database: the first full pass
(each incremental pass's time is given as a ratio to it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a demo database of your own")
    parser.add_argument(
        "--now", required=True, help="the --now the demo was built with (ISO 8601 with zone)"
    )
    parser.add_argument("--batch", type=int, default=100, help="cases a purge transaction")
    parser.add_argument("--output", type=Path, help="write the figures here as JSON")
    return parser.parse_args(argv)


def _load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from odr.cases.privacy import purge
    from odr.cases.verification import verify
    from odr.db.engine import make_engine, make_session_factory
    from odr.models import import_models

    import_models()
    engine = make_engine(args.database_url)
    factory = make_session_factory(engine)
    built = datetime.fromisoformat(args.now)
    problems: list[object] = []
    rows: list[dict[str, Any]] = []

    def verify_pass(label: str, incremental: bool) -> None:
        done = verify(factory, built, problems.append, incremental=incremental)
        rows.append(
            {
                "pass": label,
                "kind": done.kind,
                "cases": done.tally.cases,
                "events": done.tally.events,
                "seconds": round(done.seconds, 3),
                "events_per_s": round(done.events_per_second),
                "cases_per_s": round(done.cases_per_second),
                "load": _load(),
            }
        )
        print(rows[-1], flush=True)

    verify_pass("full", incremental=False)
    verify_pass("incremental, nothing new", incremental=True)
    env = {**os.environ, "ODR_DATABASE_URL": args.database_url}
    day_on = (built + timedelta(days=1)).isoformat()
    began = time.perf_counter()
    swept = subprocess.run(
        [str(ROOT / ".venv/bin/odr"), "sweep", "--now", day_on],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"sweep a day on: {swept.stdout.strip()} in {time.perf_counter() - began:.1f} s")
    verify_pass("incremental after a day's sweep", incremental=True)

    # Every case closed before the cutoff: the demo's cases closed in the weeks before `now`.
    purge_now = built + timedelta(days=3 * 366 + 60)
    with tempfile.TemporaryDirectory() as evidence:
        purged = purge(factory, Path(evidence), "3y", purge_now, batch=args.batch)
    figures_purge = {
        "cases": len(purged.cases),
        "events_redacted": purged.events_redacted,
        "seconds": round(purged.seconds, 2),
        "cases_per_s": round(len(purged.cases) / purged.seconds) if purged.seconds else 0,
        "longest_transaction_ms": round(purged.longest_batch_seconds * 1000, 1),
        "batch": args.batch,
        "load": _load(),
    }
    print("purge:", figures_purge, flush=True)
    verify_pass("incremental after the purge", incremental=True)
    verify_pass("full again", incremental=False)

    baseline = rows[0]["seconds"]
    print("\npass | cases | events | s | events/s | cases/s | time / first full pass")
    for row in rows:
        ratio = row["seconds"] / baseline if baseline else 0
        print(
            f"{row['pass']} | {row['cases']:,} | {row['events']:,} | {row['seconds']:.2f} | "
            f"{row['events_per_s']:,} | {row['cases_per_s']:,} | {ratio:.3f}x"
        )
    print(f"problems found: {len(problems)}")
    if args.output:
        args.output.write_text(
            json.dumps({"verify": rows, "purge": figures_purge}, indent=2), encoding="utf-8"
        )
    engine.dispose()
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
