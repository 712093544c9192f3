"""Enterprise scorecards at scale: every enterprise's scorecard over all cases of the demo
database of N cases (SQLite), by odr's SQL group-bys, against a per-case Python loop.

Variants, measured in the same run on the same database:
- `scorecards`: odr.enterprises.scorecard.scorecards(session, None, ...) with trend and
  response times (what the public and supervision pages show);
- `rates only`: the same without trend and response times (a dashboard of rates);
- baseline `per-case loop`: read every cohort case and its events, count in Python. Its figures
  must equal the group-bys' (checked), so the run also cross-checks the indicator definitions.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

RESULTS_PATH = _scale.RESULTS_DIR / "scorecard.json"
TARGET_S = 10.0  # every enterprise's full scorecard over a million cases


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="case counts, comma-separated")
    parser.add_argument("--overdue", type=int, default=10_000, help="(names the cached database)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each variant (p50)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument("--directory", type=Path, default=_scale.BENCH_DIR, help="database cache")
    return parser.parse_args(argv)


def per_case_loop(session, since, until, calendar) -> dict[int, tuple]:  # type: ignore[no-untyped-def]
    """The baseline: every case and event through Python; the figures scorecards() gives."""
    from sqlalchemy import select

    from odr.cases.models import REPORT_CLAIM, Case, CaseEvent
    from odr.enterprises import scorecard as sc

    cases = session.execute(
        select(
            Case.id,
            Case.enterprise_id,
            Case.escalation_reason,
            Case.outcome,
            Case.closed_at,
            Case.rating,
        ).where(
            Case.enterprise_id.is_not(None),
            Case.received_at >= since,
            Case.received_at < until,
            Case.claim_type != REPORT_CLAIM,
        )
    ).all()
    routed: dict[int, datetime] = {}
    responded: dict[int, datetime] = {}
    ids = {row.id for row in cases}
    for case_id, role, trigger, at in session.execute(
        select(CaseEvent.case_id, CaseEvent.actor_role, CaseEvent.trigger, CaseEvent.occurred_at)
    ):
        if case_id not in ids:
            continue
        if trigger == sc.ROUTE_TRIGGER:
            routed[case_id] = min(at, routed.get(case_id, at))
        elif role == "enterprise" and trigger not in sc.INTERNAL_TRIGGERS:
            responded[case_id] = min(at, responded.get(case_id, at))
    figures: dict[int, list[int]] = defaultdict(lambda: [0] * 7)
    for row in cases:
        f = figures[row.enterprise_id]
        f[0] += 1
        if row.escalation_reason is not None:
            f[2] += 1
            f[3] += row.escalation_reason != sc.OVERDUE
        elif row.closed_at is not None:
            f[1] += 1
            f[3] += 1
            f[4] += row.outcome in sc.SETTLED_OUTCOMES
        if row.id in responded and row.id in routed:
            f[5] += 1
            f[6] += calendar.working_days_between(routed[row.id], responded[row.id])
    return {k: tuple(v) for k, v in figures.items()}


def figures_of(cards) -> dict[int, tuple]:  # type: ignore[no-untyped-def]
    return {
        i: (c.received, c.closed, c.escalated, c.on_time, c.settled, c.responded,
            c.response_working_days)
        for i, c in cards.items()
    }  # fmt: skip


def measure(db: _scale.Database, repeat: int) -> dict[str, Any]:
    from odr.db.engine import make_engine, make_session_factory
    from odr.engine.rules import load_rules
    from odr.enterprises.scorecard import scorecards
    from odr.models import import_models
    from odr.settings import Settings

    import_models()
    settings = Settings.from_env(database_url=db.url)
    rules = load_rules(settings.workflows_dir.resolve(), settings.intake_office_code)
    factory = make_session_factory(make_engine(db.url))
    since, until = datetime(2000, 1, 1, tzinfo=UTC), db.now + timedelta(days=1)
    with factory() as session:
        full = scorecards(session, None, since, until, rules.calendar)
        loop = per_case_loop(session, since, until, rules.calendar)
        if figures_of(full) != loop:
            raise SystemExit("scorecards() and the per-case loop disagree")

        def run(**options: bool):  # type: ignore[no-untyped-def]
            return lambda: scorecards(session, None, since, until, rules.calendar, **options)

        times = {
            "scorecards": _scale.timed(run(), repeat, warmup=0),
            "rates only": _scale.timed(run(trend=False, response_times=False), repeat, warmup=0),
            "per-case loop": _scale.timed(
                lambda: per_case_loop(session, since, until, rules.calendar), repeat, warmup=0
            ),
        }
    return {
        "cases": db.cases,
        "enterprises": len(full),
        "cohort": sum(c.received for c in full.values()),
        "seconds": {name: _scale.p50(t) for name, t in times.items()},
        "all_seconds": times,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    results: dict[str, Any] = {"machine": _scale.machine(), "sizes": [], "rows": []}
    for size in (int(s) for s in args.sizes.split(",")):
        measured = measure(_scale.database(size, args.overdue, args.directory), args.repeat)
        results["sizes"].append(measured)
        baseline = measured["seconds"]["per-case loop"]
        for name in ("scorecards", "rates only"):
            results["rows"].append(
                _scale.row(
                    f"scorecard: {name}, every enterprise, {size:,} cases",
                    measured["seconds"][name],
                    "s",
                    TARGET_S if size >= 1_000_000 and name == "scorecards" else None,
                    baseline,
                    "per-case loop",
                )
            )
    _scale.write(results, args.output)
    _scale.print_rows(results["rows"])
    return results


if __name__ == "__main__":
    main()
