"""The deadline sweeper at scale: a pass with nothing due, and a pass with 10,000 due, on 100,000
and 1,000,000 open cases (SQLite). Its cost must grow with the number due, not the number open.

Baselines, measured in the same run on the same database: a bare indexed
`SELECT id FROM cases WHERE due_at <= :now LIMIT 500` (the least a pass can do), and for the
pass with work, reading the due cases with the ORM (the least a pass with work can do).
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

RESULTS_PATH = _scale.RESULTS_DIR / "sweep.json"
TARGET_IDLE_MS = 20.0
TARGET_DUE_S = 3.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100000,1000000", help="open-case counts, comma-separated"
    )
    parser.add_argument("--due", type=int, default=10_000, help="cases due in the busy pass")
    parser.add_argument("--repeat", type=int, default=20, help="timed idle passes (p50)")
    parser.add_argument(
        "--cache", type=Path, default=_scale.BENCH_DIR, help="where the databases are kept"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


def measure(db: Any, due: int, repeat: int, undo: bool = False) -> dict[str, Any]:
    """Idle pass, bare select, then the busy pass, on the database `db` (its `url` and the `now`
    its cases were generated as of). With `undo`, everything the passes write is rolled back at
    the end: they run in one transaction of a connection of their own, each commit of a batch a
    savepoint's release (`join_transaction_mode="create_savepoint"`), so a database others read
    is left as it was (the claimed rows stay locked until the end; readers do not wait)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    from odr.cases.models import Case
    from odr.db.engine import make_engine, make_session_factory
    from odr.models import import_models

    import_models()
    engine = make_engine(db.url)
    try:
        if not undo:
            return _measure(db.url, engine, make_session_factory(engine), db.now, due, repeat)
        with engine.connect() as connection:
            outer = connection.begin()
            try:
                factory = sessionmaker(
                    bind=connection,
                    expire_on_commit=False,
                    join_transaction_mode="create_savepoint",
                )
                measured = _measure(db.url, engine, factory, db.now, due, repeat)
            finally:
                outer.rollback()
            with make_session_factory(engine)() as session:  # as it was: still due
                measured["busy"]["due_after_undo"] = session.scalar(
                    select(func.count()).where(Case.due_at <= db.now)
                )
            return measured
    finally:
        engine.dispose()


def _measure(
    url: str, engine: Any, factory: Any, now: Any, due: int, repeat: int
) -> dict[str, Any]:
    from sqlalchemy import bindparam, func, select, text

    from odr.cases.models import Case, CaseEvent
    from odr.cases.sweeper import sweep
    from odr.cases.workflow_versions import pin_versions
    from odr.engine.rules import load_rules
    from odr.notify.models import Notification
    from odr.settings import Settings

    settings = Settings.from_env(database_url=url)
    rules = load_rules(settings.workflows_dir.resolve(), settings.intake_office_code)
    with factory() as session, session.begin():
        pin_versions(session, rules, now)
    with factory() as session:
        # Just before every deadline and reminder (the demo's late cases ran out in the last
        # working days before its moment: a clock of working days ends at a working day's end).
        idle_moment = min(
            moment
            for column in (Case.due_at, Case.next_reminder_at)
            if (moment := session.scalar(select(func.min(column)))) is not None
        ) - timedelta(seconds=1)
        open_cases = session.scalar(select(func.count()).where(Case.closed_at.is_(None)))
        # What the busy pass adds has ids above these (counting whole tables takes long).
        last_event = session.scalar(select(func.max(CaseEvent.id))) or 0
        last_notification = session.scalar(select(func.max(Notification.id))) or 0

    idle_results = []

    def idle() -> None:
        idle_results.append(sweep(factory, rules, now=idle_moment))

    idle_times = _scale.timed(idle, repeat)
    bare_sql = text(
        "SELECT id FROM cases WHERE due_at <= :now ORDER BY due_at LIMIT 500"
    ).bindparams(bindparam("now", type_=Case.due_at.type))  # stored as the column stores it

    def bare() -> None:
        with engine.connect() as connection:
            connection.execute(bare_sql, {"now": idle_moment}).all()

    bare_times = _scale.timed(bare, repeat)

    def read_due() -> None:
        with factory() as session:
            list(session.scalars(select(Case).where(Case.due_at <= now)))

    read_times = _scale.timed(read_due, 3, warmup=1)
    started, cpu_started = time.perf_counter(), time.process_time()
    busy = sweep(factory, rules, now=now)
    busy_seconds = time.perf_counter() - started
    busy_cpu_seconds = time.process_time() - cpu_started  # this process's: not the server's
    with factory() as session:
        added = select(func.count()).select_from(CaseEvent).where(CaseEvent.id > last_event)
        events_added = session.scalar(added)
        still_due = session.scalar(select(func.count()).where(Case.due_at <= now))
        reminders_due = session.scalar(select(func.count()).where(Case.next_reminder_at <= now))
        expiries = session.scalar(  # the events the busy pass wrote (expire, escalate)
            added.where(CaseEvent.actor_role == "system", CaseEvent.occurred_at == now)
        )
        notifications = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.id > last_notification, Notification.created_at == now)
        )
    return {
        "open_cases": open_cases,
        "idle": {
            "p50_ms": _scale.p50(idle_times) * 1000,
            "times_ms": [t * 1000 for t in idle_times],
            "fired": sum(sum(r) for r in idle_results),
            "bare_select_p50_ms": _scale.p50(bare_times) * 1000,
        },
        "busy": {
            "seconds": busy_seconds,
            "cpu_seconds": busy_cpu_seconds,
            "expired": busy.expired,
            "reminded": busy.reminded,
            "system_events": expiries,
            "notifications_queued": notifications,
            "events_added": events_added,
            "still_due": still_due,
            "reminders_still_due": reminders_due,
            "read_due_seconds": _scale.p50(read_times),
            "due_asked": due,
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="odr-bench-sweep-") as tmp:
        for size in sizes:
            cached = _scale.database(size, args.due, args.cache)
            print(f"sweep: {size:,} cases ({'built' if cached.build_seconds else 'cached'})")
            db = _scale.copy_of(cached, Path(tmp))
            runs[str(size)] = measure(db, args.due, args.repeat)
            db.path.unlink()
    small, large = runs[str(sizes[0])], runs[str(sizes[-1])]
    rows = []
    for size in sizes:
        run = runs[str(size)]
        rows.append(
            _scale.row(
                f"sweep, none due, {run['open_cases']:,} open (p50)",
                run["idle"]["p50_ms"],
                "ms",
                TARGET_IDLE_MS,
                run["idle"]["bare_select_p50_ms"],
                "bare indexed SELECT",
            )
        )
    for size in sizes:
        run = runs[str(size)]
        rows.append(
            _scale.row(
                f"sweep, {run['busy']['expired']:,} due, {run['open_cases']:,} open",
                run["busy"]["seconds"],
                "s",
                TARGET_DUE_S,
                run["busy"]["read_due_seconds"],
                "ORM read of the due cases",
            )
        )
    growth = {
        "idle": large["idle"]["p50_ms"] / small["idle"]["p50_ms"],
        "busy": large["busy"]["seconds"] / small["busy"]["seconds"],
        "open_cases": large["open_cases"] / small["open_cases"],
    }
    results = {
        "machine": _scale.machine(),
        "workload": {"sizes": sizes, "due": args.due, "repeat": args.repeat},
        "runs": runs,
        "growth": growth,
        "ratios": {
            f"idle_vs_bare_select_{s}": runs[str(s)]["idle"]["p50_ms"]
            / runs[str(s)]["idle"]["bare_select_p50_ms"]
            for s in sizes
        },
        "table": rows,
    }
    print(
        f"  growth from {sizes[0]:,} to {sizes[-1]:,} cases ({growth['open_cases']:.0f}x open): "
        f"idle pass {growth['idle']:.2f}x, pass with {args.due:,} due {growth['busy']:.2f}x"
    )
    _scale.print_rows(rows)
    _scale.write(results, args.output)
    return results


if __name__ == "__main__":
    main()
