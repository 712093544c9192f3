"""The monthly report at scale: the report of the city office (南宁市, with its districts) for
the last whole month and the last quarter of the demo database of N cases (SQLite), by
odr/cases/report.py's grouped queries, and its .xlsx workbook.

Variants, measured in the same run on the same database:
- `month`: monthly_report() for the month before the database's moment, all three periods
  (the month, the month before, the same month a year before);
- `quarter`: the same for the quarter before;
- `month + workbook`: the month's report written as an .xlsx workbook (what `odr report` does
  after opening the database);
- baseline `per-case loop`: read the month's received and closed complaints of the offices row
  by row and count received, closed and the loss recovered in Python. Its figures must equal
  the report's headline (checked), so the run also cross-checks the definitions.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

RESULTS_PATH = _scale.RESULTS_DIR / "report.json"
TARGET_S = 10.0  # a month's report over a million cases
OFFICE = "450100"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000", help="case counts, comma-separated")
    parser.add_argument("--overdue", type=int, default=10_000, help="(names the cached database)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each variant (p50)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument("--directory", type=Path, default=_scale.BENCH_DIR, help="database cache")
    return parser.parse_args(argv)


def per_case_loop(session, office_ids, period) -> tuple[int, int, Decimal]:  # type: ignore[no-untyped-def]
    """The baseline: the month's complaints row by row; received, closed, recovered."""
    from sqlalchemy import select

    from odr.cases.models import RECOVERY_OUTCOMES, REPORT_CLAIM, Case

    received = closed = 0
    recovered = Decimal("0.00")
    for claim, office, received_at, closed_at, outcome, amount in session.execute(
        select(
            Case.claim_type,
            Case.office_id,
            Case.received_at,
            Case.closed_at,
            Case.outcome,
            Case.recovered_amount,
        ).where(
            ((Case.received_at >= period.since) & (Case.received_at < period.until))
            | ((Case.closed_at >= period.since) & (Case.closed_at < period.until))
        )
    ):
        if claim == REPORT_CLAIM or office not in office_ids:
            continue
        if period.since <= received_at < period.until:
            received += 1
        if closed_at is not None and period.since <= closed_at < period.until:
            closed += 1
            if outcome in RECOVERY_OUTCOMES and amount is not None:
                recovered += amount
    return received, closed, recovered


def measure(db: Any, repeat: int) -> dict[str, Any]:
    """The figures of the database `db` (a _scale.Database, or any with its url, now, cases and
    build_seconds: scale_pg.py gives one on PostgreSQL)."""
    from sqlalchemy import select

    from odr.cases.report import Period, current_period, monthly_report
    from odr.db.engine import make_engine, make_session_factory
    from odr.engine.rules import load_rules
    from odr.models import import_models
    from odr.offices.models import Office
    from odr.offices.service import supervised_ids
    from odr.portals.regulator.report_workbook import workbook_bytes
    from odr.portals.regulator.reports import category_order
    from odr.settings import Settings

    import_models()
    settings = Settings.from_env(database_url=db.url)
    rules = load_rules(settings.workflows_dir.resolve(), settings.intake_office_code)
    factory = make_session_factory(make_engine(db.url))
    month = current_period(db.now)
    quarter = Period(month.year, quarter=(month.first_month - 1) // 3 + 1)
    order = category_order(rules)
    with factory() as session:
        office = session.scalar(select(Office).where(Office.region_code == OFFICE))
        office_ids = supervised_ids(session, office.id)
        report = monthly_report(session, office_ids, month, rules.calendar, **order)
        headline = {row["figure"]: row["value"] for row in report["headline"]}
        loop = per_case_loop(session, office_ids, month)
        if (headline["received"], headline["closed"], headline["recovered"]) != loop:
            raise SystemExit(f"the report {headline} and the per-case loop {loop} disagree")

        def month_report():  # type: ignore[no-untyped-def]
            return monthly_report(session, office_ids, month, rules.calendar, **order)

        def with_workbook():  # type: ignore[no-untyped-def]
            return workbook_bytes(month_report(), rules.classification, office.name, "zh")

        times = {
            "month": _scale.timed(month_report, repeat, warmup=0),
            "quarter": _scale.timed(
                lambda: monthly_report(session, office_ids, quarter, rules.calendar, **order),
                repeat,
                warmup=0,
            ),
            "month + workbook": _scale.timed(with_workbook, repeat, warmup=0),
            "per-case loop": _scale.timed(
                lambda: per_case_loop(session, office_ids, month), repeat, warmup=0
            ),
        }
    return {
        "cases": db.cases,
        "month": month.code,
        "quarter": quarter.code,
        "received": headline["received"],
        "closed": headline["closed"],
        "recovered": str(headline["recovered"]),
        "build_seconds": db.build_seconds,
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
        for name in ("month", "quarter", "month + workbook"):
            results["rows"].append(
                _scale.row(
                    f"monthly report: {name}, city office, {size:,} cases",
                    measured["seconds"][name],
                    "s",
                    TARGET_S if size >= 1_000_000 and name != "quarter" else None,
                    baseline,
                    "per-case loop",
                )
            )
    _scale.write(results, args.output)
    _scale.print_rows(results["rows"])
    return results


if __name__ == "__main__":
    main()
