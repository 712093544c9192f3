"""Issue 22 on PostgreSQL: the pages, searches, report, sweep and audit of a deployment of
1,000,000 and 10,000,000 cases, measured in one run; the growth from the smaller to the larger
is the figure, beside the goals.

    .venv/bin/python benchmarks/scale_pg.py --sizes 1000000,10000000      (make bench-pg)

For each size, on the demo database of that many cases (`bench_1m`, `bench_10m`: built by
`odr demo` and described by a JSON note kept as the database's comment, see `--database`):

- pages through the whole app (litestar TestClient, as benchmarks/pages.py): the enterprise inbox
  of the platform with the most cases, the district and city queues, a case page, and the public
  disclosure pages (the newest, a search by business name, a business's page, the first page of
  the open-data export); goal p50 under 50 ms;
- each kind of search of benchmarks/search.py, for the city office, a district office and a
  platform; goal p50 under 50 ms;
- the worker's rollups, which the pages read stored: the city office's dashboard figures and
  the largest platform's scorecard (odr.background.refresh_rollups), timed, then stored (as the
  owner); the dashboard page reading them, goal under 1 s;
- the monthly report of the city office (benchmarks/report.py: a month, a quarter, the month's
  workbook, against its per-case loop); goal under 10 s;
- the deadline sweeper (benchmarks/sweep.py): a pass with nothing due (goal under 20 ms) and a
  pass with the database's overdue cases due (10,000 in bench_1m and bench_10m; goal under 5 s);
- `odr audit verify` over every case, as a subprocess, and its rate in events a second,
  against a bare ordered read of every event's hashes (the least a verification can do); on
  sizes up to `--verify-up-to` (1,000,000: a full pass over 10,000,000 cases' events takes
  hours).

Pages and searches also have a goal on growth: p50 at the largest size at most 1.5x that at the
smallest. Every page and search is also given as a ratio to `GET /health/live` of the same app,
measured in the same run (the machine's load moves both).

The shared databases are read-only. Everything but the sweep reads them as a role of its own
(`--reader`, default `scale_reader`: `CREATE ROLE ... LOGIN IN ROLE pg_read_all_data`, made
when missing), so a page or command that would write fails instead of changing them: the
login sessions are opened without the login form (it writes the user's row). The rollups the
pages read are computed and stored first, as the worker does, by the owner.

The sweep writes: it escalates the due cases, writes their events and notifications, and
commits a batch at a time. It runs in one transaction, on a connection of its own, that is
rolled back at the end: every commit of the sweeper's batches is a savepoint's release
(SQLAlchemy's `join_transaction_mode="create_savepoint"`; benchmarks/sweep.py `undo=True`), so
it reads exactly what it reads in production (the cases whose `due_at` or `next_reminder_at`
has come, the `now` of the database's note) and leaves nothing behind but dead rows for
autovacuum and sequences moved on. The choices not taken: a copy of the database (`CREATE
DATABASE ... TEMPLATE bench_1m`) needs nobody connected to it and copies 10,000,000 cases for
a pass over 10,000; moving the deadlines of 10,000 cases into the past and back commits
changes to the shared database. What the rollback costs the figure: the batches' commits are
savepoints, without the WAL flush of a real commit (20 batches: a few milliseconds).

A size whose database is missing, or has no note yet (still being built), is skipped with a
message; with `--build`, a missing database is created and built here (`odr db upgrade`, `odr
demo`, `odr demo --cases N --overdue M --now T`), never one that exists without a note.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scale  # noqa: E402

pages, report, search, sweep = (_scale.sibling(n) for n in ("pages", "report", "search", "sweep"))

RESULTS_PATH = _scale.RESULTS_DIR / "scale_pg.json"
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SHARED = {1_000_000: "bench_1m", 10_000_000: "bench_10m"}
TARGET_PAGE_MS = 50.0
TARGET_GROWTH = 1.5
TARGET_DASHBOARD_S = 1.0
TARGET_REPORT_S = report.TARGET_S
TARGET_IDLE_SWEEP_MS = 20.0
TARGET_DUE_SWEEP_S = 5.0
CITY, DISTRICT = "reg450100", "reg450103"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000000,10000000", help="case counts, comma-separated, smallest first"
    )
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        metavar="SIZE=NAME",
        help="the database of a size: a name on --server or a postgresql:// URL "
        "(default bench_1m, bench_10m, else bench_<size>)",
    )
    parser.add_argument("--server", default=SERVER, help="where the databases are named")
    parser.add_argument(
        "--reader", default="scale_reader", help="the read-only role (pg_read_all_data)"
    )
    parser.add_argument("--build", action="store_true", help="build a size's missing database")
    parser.add_argument("--overdue", type=int, default=10_000, help="overdue cases of a build")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (p50)")
    parser.add_argument("--values", type=int, default=10, help="different values per search kind")
    parser.add_argument("--report-repeat", type=int, default=3, help="timed runs of the report")
    parser.add_argument("--no-verify", action="store_true", help="skip `odr audit verify`")
    parser.add_argument(
        "--verify-up-to",
        type=int,
        default=1_000_000,
        help="run `odr audit verify` (a full pass) on sizes up to this many cases",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Database:
    """A demo database on PostgreSQL, as the scale benchmarks' measure() functions take it."""

    name: str
    url: str  # the owner's: the rolled-back sweep, the build
    reading_url: str  # the read-only role's: everything else
    cases: int
    overdue: int
    now: datetime  # the moment the cases were generated as of
    build_seconds: float | None
    note: dict[str, Any]


def _url_of(size: int, given: dict[int, str], server: str) -> str:
    from sqlalchemy.engine import make_url

    name = given.get(size) or SHARED.get(size) or f"bench_{size}"
    if "://" in name:
        return name
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _admin(url: str) -> Any:
    """An AUTOCOMMIT engine on the server's `postgres` database (CREATE DATABASE, roles)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from odr.db.engine import normalise_url

    server = make_url(normalise_url(url)).set(database="postgres")
    return create_engine(server, isolation_level="AUTOCOMMIT")


def _note(url: str) -> tuple[bool, dict[str, Any] | None]:
    """Whether the database exists, and the JSON note of how it was built (its comment)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = _admin(url)
    with admin.connect() as connection:
        comment = connection.execute(
            text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                " WHERE datname = :name"
            ),
            {"name": make_url(url).database},
        ).first()
    admin.dispose()
    if comment is None:
        return False, None
    try:
        note = json.loads(comment[0]) if comment[0] else None
    except ValueError:
        note = None
    return True, note if isinstance(note, dict) and "cases" in note else None


def _has_cases_table(url: str) -> bool:
    from sqlalchemy import create_engine, inspect

    from odr.db.engine import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        return inspect(engine).has_table("cases")
    finally:
        engine.dispose()


def reader_url(url: str, role: str) -> str:
    """`url` as the read-only role, made when missing (cluster-wide; it can read every table
    of every database, and write none)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin = _admin(url)
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
            connection.execute(text(f'CREATE ROLE "{role}" LOGIN IN ROLE pg_read_all_data'))
    admin.dispose()
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def database(size: int, url: str, args: argparse.Namespace) -> Database | None:
    """The database of `size` cases, or None (and why) when it is not there or not ready."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database or url
    exists, note = _note(url)
    built = None
    if note is None:
        if exists and _has_cases_table(url):
            print(f"{size:,} cases: {name} has no note yet (still being built?); skipped")
            return None
        if not args.build:
            state = "is empty" if exists else "does not exist"
            print(f"{size:,} cases: {name} {state}; skipped (--build builds it)")
            return None
        if exists:
            print(f"{size:,} cases: {name} exists, empty; not built over (drop it first)")
            return None
        print(f"{size:,} cases: building {name} ...", flush=True)
        note = _scale.postgres_database(size, args.overdue, url, name=name).note
        built = note["build_seconds"]
    if note["cases"] != size:
        print(f"{size:,} cases: {name} holds {note['cases']:,} by its note; skipped")
        return None
    # Migrations newer than the build are applied (as a deployment would); the cases stay.
    env = {**os.environ, "ODR_DATABASE_URL": url}
    subprocess.run([_scale.ODR, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
    return Database(
        name=name,
        url=url,
        reading_url=reader_url(url, args.reader),
        cases=note["cases"],
        overdue=note.get("overdue", 0),
        now=datetime.fromisoformat(note["now"]),
        build_seconds=built,
        note=note,
    )


def _subjects(url: str) -> dict[str, Any]:
    """What the pages show: the platform with the most cases (its user, its public id and name)
    and a case of the city office to open."""
    from sqlalchemy import func, select

    from odr.auth.models import User
    from odr.cases.disclosure import DISCLOSED, Disclosure
    from odr.cases.models import Case
    from odr.db.engine import make_engine, make_session_factory
    from odr.enterprises.models import Enterprise
    from odr.models import import_models

    import_models()
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        platforms = session.execute(
            select(User.username, Enterprise.id, Enterprise.name)
            .join(Enterprise, Enterprise.id == User.enterprise_id)
            .where(Enterprise.kind == "platform", User.active.is_(True))
        ).all()
        counted = dict(  # one scan: the cases table has no index on enterprise_id
            session.execute(
                select(Case.enterprise_id, func.count())
                .where(Case.enterprise_id.in_([row[1] for row in platforms]))
                .group_by(Case.enterprise_id)
            ).all()
        )
        username, enterprise_id, enterprise_name = max(
            platforms, key=lambda row: counted.get(row[1], 0)
        )
        cases = counted.get(enterprise_id, 0)
        middle = (session.scalar(select(func.max(Case.id))) or 0) // 2
        number = session.scalar(select(Case.number).where(Case.id >= middle).order_by(Case.id))
        published = session.scalar(select(func.count()).where(Disclosure.status == DISCLOSED))
    engine.dispose()
    return {
        "platform_user": username,
        "platform_id": enterprise_id,
        "platform_name": enterprise_name,
        "platform_cases": cases,
        "case_number": number,
        "published": published,
    }


def page_list(subjects: dict[str, Any]) -> tuple[pages.Page, ...]:
    name, target = subjects["platform_name"], TARGET_PAGE_MS
    return (
        (f"enterprise inbox ({subjects['platform_user']})", "enterprise",
         subjects["platform_user"], "/enterprise/", target),
        ("regulator queue (district office)", "regulator", DISTRICT, "/regulator/", target),
        ("regulator queue (city office)", "regulator", CITY, "/regulator/", target),
        ("case page (city office)", "regulator", CITY,
         f"/regulator/cases/{quote(subjects['case_number'])}", target),
        ("dashboard page, stored figures (city office)", "regulator", CITY,
         "/regulator/dashboard/", TARGET_DASHBOARD_S * 1000),
        ("public disclosures, newest", "public", None, "/disclosures", target),
        ("public disclosures, search by business name", "public", None,
         f"/disclosures?q={quote(name)}", target),
        ("public disclosures, a business's page", "public", None,
         f"/disclosures/businesses/{subjects['platform_id']}", target),
        ("open-data export, first page (CSV)", "public", None, "/disclosures/open-data.csv",
         target),
    )  # fmt: skip


def rollups(db: Database, subjects: dict[str, Any], repeat: int) -> dict[str, Any]:
    """The worker's pass that the pages read (odr.background.refresh_rollups): seconds to compute
    the city office's dashboard figures and the largest platform's scorecard (the default
    windows, as of the database's `now`), then both stored, as the owner: the one write this
    benchmark commits besides the sweep's rollback (two rows, replaced on the next run)."""
    from sqlalchemy import select

    from odr.cases import stats
    from odr.db.dialects import runs_long
    from odr.db.engine import make_engine, make_session_factory
    from odr.engine.rules import load_rules
    from odr.enterprises import stored_scorecards
    from odr.enterprises.scorecard import DEFAULT_WEEKS, default_window, scorecards
    from odr.models import import_models
    from odr.offices.models import Office
    from odr.offices.service import supervised_ids
    from odr.settings import Settings

    import_models()
    settings = Settings.from_env(database_url=db.url)
    rules = load_rules(settings.workflows_dir.resolve(), settings.intake_office_code)
    platform, now = [subjects["platform_id"]], db.now
    since, until = default_window(now, DEFAULT_WEEKS)
    engine = make_engine(db.url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        runs_long(session)
        office = session.scalar(select(Office).where(Office.region_code == report.OFFICE))
        office_ids = supervised_ids(session, office.id)
        dashboard = _scale.timed(
            lambda: stats.figures(session, office_ids, DEFAULT_WEEKS, now, rules.calendar),
            repeat,
            warmup=0,
        )
        card = _scale.timed(
            lambda: scorecards(session, platform, since, until, rules.calendar), repeat, warmup=0
        )
        stats.dashboard_snapshot(session, office.id, office_ids, DEFAULT_WEEKS, now, rules.calendar)
        stored_scorecards.compute(session, platform, DEFAULT_WEEKS, now, rules.calendar)
    engine.dispose()
    return {
        "weeks": DEFAULT_WEEKS,
        "dashboard_p50_s": _scale.p50(dashboard),
        "dashboard_times_s": dashboard,
        "scorecard_p50_s": _scale.p50(card),
        "scorecard_times_s": card,
    }


def verify(db: Database) -> dict[str, Any]:
    """`odr audit verify` over the whole database, and a bare ordered read of every event's
    hashes as its baseline; both as the read-only role."""
    from sqlalchemy import create_engine, text

    from odr.db.engine import normalise_url

    engine = create_engine(normalise_url(db.reading_url))

    def bare() -> int:
        read = 0
        with engine.connect() as connection:
            rows = connection.execution_options(stream_results=True, yield_per=10_000).execute(
                text("SELECT case_id, seq, prev_hash, hash FROM case_events ORDER BY case_id, seq")
            )
            for partition in rows.partitions():
                read += len(partition)
        return read

    counted: list[int] = []
    bare_seconds = _scale.timed(lambda: counted.append(bare()), 1, warmup=0)[0]
    engine.dispose()
    outcome: list[subprocess.CompletedProcess[str]] = []
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="odr-bench-verify-") as tmp:
        env = {**os.environ, "ODR_DATABASE_URL": db.reading_url, "ODR_VAR_DIR": tmp}
        seconds = _scale.timed(
            lambda: outcome.append(
                subprocess.run(
                    [_scale.ODR, "audit", "verify"],
                    env=env,
                    capture_output=True,
                    text=True,
                    cwd=_scale.ROOT,
                )
            ),
            1,
            warmup=0,
        )[0]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    done = outcome[0]
    lines = done.stdout.splitlines()
    events = counted[0]
    return {
        "events": events,
        "seconds": seconds,
        "events_per_s": events / seconds,
        "cpu_seconds": cpu,  # the command's own (not the server's): less moved by the load
        "events_per_cpu_s": events / cpu if cpu else None,
        "bare_read_seconds": bare_seconds,
        "bare_read_events_per_s": events / bare_seconds,
        "exit_code": done.returncode,
        "intact": done.returncode == 0,
        "output_tail": lines[-5:] + done.stderr.splitlines()[-5:],
        "incremental": _incremental(),
    }


def _incremental() -> str:
    """Whether `odr audit verify` has an incremental option yet. Not measured: it records how far
    it verified, a write the read-only role cannot make (a verification that records its full
    pass too ends with that error, after the pass: see exit_code and output_tail; measure it
    then in process, its sessions joined to a transaction rolled back, as the sweep is)."""
    helped = subprocess.run(
        [_scale.ODR, "audit", "verify", "--help"], capture_output=True, text=True, check=False
    ).stdout
    found = [word for word in ("--incremental", "--since", "--changed") if word in helped]
    return f"option {found[0]} exists; not measured" if found else "no incremental option yet"


def measure(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    from odr.settings import Settings

    subjects = _subjects(db.reading_url)
    print(
        f"{db.cases:,} cases ({db.name}, as of {db.now:%Y-%m-%d %H:%M}Z): largest platform"
        f" {subjects['platform_user']} ({subjects['platform_cases']:,} cases),"
        f" {subjects['published']:,} published complaints",
        flush=True,
    )
    if not subjects["published"]:
        print("  no complaint is published here: the disclosure pages list none")
    print("  the worker's rollups (dashboard, scorecard), stored for the pages ...", flush=True)
    computed = rollups(db, subjects, args.report_repeat)
    with tempfile.TemporaryDirectory(prefix="odr-bench-scale-pg-") as tmp:
        settings = Settings.from_env(
            database_url=db.reading_url, var_dir=Path(tmp), background_jobs=False
        )
        with _scale.test_client(settings, raise_server_exceptions=False) as client:
            baseline_ms = pages.health_live(client, args.repeat * 3)
            timed_pages = pages.time_pages(client, db.reading_url, page_list(subjects), args.repeat)
            kinds = search.measure(client, db.reading_url, args.repeat, args.values)
    print("  pages and searches done; the report ...", flush=True)
    reading = dataclasses.replace(db, url=db.reading_url)
    monthly = report.measure(reading, args.report_repeat)
    print("  the sweep (rolled back) ...", flush=True)
    swept = sweep.measure(db, db.overdue, args.repeat, undo=True)
    verified = None
    if args.no_verify:
        print("  odr audit verify: not run (--no-verify)")
    elif db.cases > args.verify_up_to:
        print(f"  odr audit verify: not run ({db.cases:,} cases, over --verify-up-to)")
    else:
        print("  odr audit verify ...", flush=True)
        verified = verify(db)
    return {
        "database": db.name,
        "note": db.note,
        "build_seconds": db.build_seconds,
        "subjects": subjects,
        "health_live_p50_ms": baseline_ms,
        "pages": timed_pages,
        "search": kinds,
        "rollups": computed,
        "report": monthly,
        "sweep": swept,
        "verify": verified,
    }


def rows_of(size: int, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's rows of one size."""
    live = run["health_live_p50_ms"]
    rows = [
        _scale.row(f"{figure} (p50), {size:,}", page["p50_ms"], "ms", TARGET_PAGE_MS, live,
                   "/health/live")
        for figure, page in run["pages"].items()
        if not page["missing"]
    ]  # fmt: skip
    rows += [
        _scale.row(f"search, {figure} (p50), {size:,}", kind["p50_ms"], "ms", TARGET_PAGE_MS,
                   live, "/health/live")
        for figure, kind in run["search"].items()
    ]  # fmt: skip
    for figure, seconds in (
        ("dashboard figures, city office", run["rollups"]["dashboard_p50_s"]),
        ("scorecard of the largest platform", run["rollups"]["scorecard_p50_s"]),
    ):
        rows.append(
            _scale.row(f"worker's rollup: {figure} (p50), {size:,}", seconds, "s", None,
                       live / 1000, "/health/live")
        )  # fmt: skip
    seconds = run["report"]["seconds"]
    for name, target in (("month", TARGET_REPORT_S), ("quarter", None), ("month + workbook", None)):
        rows.append(
            _scale.row(
                f"monthly report: {name}, city office, {size:,}",
                seconds[name],
                "s",
                target,
                seconds["per-case loop"],
                "per-case loop",
            )
        )
    idle, busy = run["sweep"]["idle"], run["sweep"]["busy"]
    rows.append(
        _scale.row(
            f"sweep, none due (p50), {size:,}",
            idle["p50_ms"],
            "ms",
            TARGET_IDLE_SWEEP_MS,
            idle["bare_select_p50_ms"],
            "bare indexed SELECT",
        )
    )
    rows.append(
        _scale.row(
            f"sweep, {busy['expired']:,} due (rolled back), {size:,}",
            busy["seconds"],
            "s",
            TARGET_DUE_SWEEP_S,
            busy["read_due_seconds"],
            "ORM read of the due cases",
        )
    )
    if run["verify"] is not None:
        verified = run["verify"]
        rows.append(
            _scale.row(
                f"odr audit verify, full ({verified['events']:,} events), {size:,}",
                verified["events_per_s"],
                "events/s",
                None,
                verified["bare_read_events_per_s"],
                "bare read of the events",
                lower_is_better=False,
            )
        )
    return rows


def growth_rows(sizes: list[int], runs: dict[str, Any]) -> list[dict[str, Any]]:
    """Each page's and search's p50 at the largest size over the smallest (goal at most 1.5x);
    its baseline is the growth of /health/live between the two (the load moves), so the ratio
    is the growth with the machine's drift taken out."""
    small, large = sizes[0], sizes[-1]
    if small == large or str(small) not in runs or str(large) not in runs:
        return []
    live = runs[str(large)]["health_live_p50_ms"] / runs[str(small)]["health_live_p50_ms"]
    rows = []
    for part, label in (("pages", ""), ("search", "search, ")):
        before, after = runs[str(small)][part], runs[str(large)][part]
        for figure, measured in after.items():
            was = before.get(figure)
            if measured.get("missing") or was is None or was.get("missing"):
                continue
            rows.append(
                _scale.row(
                    f"growth {small:,} to {large:,}: {label}{figure}",
                    measured["p50_ms"] / was["p50_ms"],
                    "x",
                    TARGET_GROWTH,
                    live,
                    "growth of /health/live",
                )
            )
    return rows


def print_table(rows: list[dict[str, Any]], markdown: bool = False) -> None:
    """figure, measured, goal, baseline, ratio, met (as Markdown for the README)."""

    def number(value: float | None, unit: str) -> str:
        return "-" if value is None else f"{value:,.4g} {unit}".strip()

    lines = [("figure", "measured", "goal", "baseline", "ratio", "met")]
    for r in rows:
        goal = "-" if r["target"] is None else f"≤ {number(r['target'], r['unit'])}"
        lines.append(
            (
                r["figure"],
                number(r["value"], r["unit"]),
                goal,
                "-"
                if r["baseline"] is None
                else f"{number(r['baseline'], r['unit'])} ({r['baseline_name']})",
                "-" if r["ratio"] is None else f"{r['ratio']:,.2f}x",
                {True: "met", False: "NOT MET", None: "-"}[r["passed"]],
            )
        )
    if markdown:
        aligned = [lines[0], ("---", "---:", "---", "---", "---:", "---"), *lines[1:]]
        print("\n".join(f"| {' | '.join(line)} |" for line in aligned))
        return
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    given = {int(k): v for k, v in (d.split("=", 1) for d in args.database)}
    runs: dict[str, Any] = {}
    skipped: list[int] = []
    for size in sizes:
        db = database(size, _url_of(size, given, args.server), args)
        if db is None:
            skipped.append(size)
            continue
        runs[str(size)] = measure(db, args)
    rows = [row for size in sizes if str(size) in runs for row in rows_of(size, runs[str(size)])]
    rows += growth_rows(sizes, runs)
    results = {
        "machine": _scale.machine(),
        "workload": {"sizes": sizes, "repeat": args.repeat, "values": args.values},
        "skipped": skipped,
        "runs": runs,
        "table": rows,
    }
    _scale.write(results, args.output)
    print_table(rows, args.markdown)
    if skipped:
        print(f"\nnot measured (no database ready): {', '.join(f'{s:,}' for s in skipped)} cases")
    failed = sum(r["passed"] is False for r in rows)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{failed} figure(s) missed their goal; load average {load}")
    return results


if __name__ == "__main__":
    main()
