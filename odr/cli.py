"""The `odr` command: serve, worker, db, demo, sweep, dispatch, audit, workflow, documents."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from odr.settings import Settings

if TYPE_CHECKING:  # the commands import what they use when they run: `odr --help` stays quick
    from sqlalchemy.orm import Session, sessionmaker

    from odr.engine.rules import Rules


def _settings() -> Settings:
    from odr.security import access_codes

    settings = Settings.from_env()
    access_codes.use_key(settings)  # cases made or checked here hash codes as the server does
    return settings


def _factory(settings: Settings, statement_timeout: bool = True) -> sessionmaker[Session]:
    from odr.db.engine import make_session_factory, primary_engine
    from odr.models import import_models

    import_models()  # every table a foreign key may name (e.g. cases -> users in a worker)
    return make_session_factory(primary_engine(settings, statement=statement_timeout))


def _lagging_factory(settings: Settings) -> sessionmaker[Session]:
    """Sessions for reads that may lag a few seconds: the read replica's
    (ODR_DATABASE_REPLICA_URL), else the primary's."""
    from odr.db.engine import make_session_factory, replica_engine
    from odr.models import import_models

    import_models()
    replica = replica_engine(settings)
    return _factory(settings) if replica is None else make_session_factory(replica)


def _rules(settings: Settings, pinned: bool = True) -> Rules:
    """The rules; `pinned` also gives workflows their stored versions (needs the database)."""
    from odr.cases.workflow_versions import pin_versions
    from odr.db.engine import transaction
    from odr.engine.rules import load_rules

    rules = load_rules(settings.workflows_dir.resolve(), settings.intake_office_code)
    if pinned:
        factory = _factory(settings)
        with transaction(factory) as session:
            pin_versions(session, rules, _now(settings))
        factory.kw["bind"].dispose()  # no connection left open behind the caller's back
    return rules


def _now(settings: Settings, value: str | None = None) -> datetime:
    """The one clock of every command: --now when given, else now moved by ODR_CLOCK_OFFSET (as
    the loops of `odr serve` and `odr worker` see it), so what a moved sweep queues, a dispatch
    with the same clock finds due."""
    from odr.cases.sweeper import clock

    if value is None:
        return clock(settings)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise click.BadParameter(
            "give a time zone, e.g. 2026-12-31T16:00:00+00:00", param_hint="--now"
        )
    return moment


@click.group(help="odr: online dispute resolution for consumer complaints.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    from odr.ops.logging import configure_logging

    configure_logging(_settings().log_format, verbose)  # ODR_LOG_FORMAT=json: JSON lines


@main.command(help="Serve the portals and the API, with the sweeper and dispatcher in-process.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-background", is_flag=True, help="Leave sweeping and dispatch to `odr worker`.")
def serve(host: str, port: int, no_background: bool) -> None:
    import gc

    import uvicorn

    from odr.app import create_app
    from odr.security.production import InsecureSettings, check_production

    settings = Settings.from_env(background_jobs=not no_background and _settings().background_jobs)
    try:
        check_production(settings)  # ODR_ENV=production refuses the development secret
    except InsecureSettings as exc:
        raise click.ClickException(str(exc)) from exc
    # uvicorn logs through our handler (text or JSON); odr.access replaces its access lines,
    # which carry the client's address and raw path.
    app = create_app(settings)
    # What start-up made (the app, its rules, SQLAlchemy's and litestar's machinery) lives as
    # long as the process: the collector's full passes no longer walk it. They did, stalling
    # every request in flight (the figures: benchmarks/README.md).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=None, access_log=False)


@main.command(help="Run the deadline sweeper and the notification dispatcher without HTTP.")
@click.option(
    "--metrics-port",
    type=int,
    help="Serve this process's /metrics (pass durations) on this port for Prometheus.",
)
def worker(metrics_port: int | None) -> None:
    from odr.background import loops, when_database_answers

    settings = _settings()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    # Started while the database is away (a reboot of both, say): wait for it, don't exit.
    rules = when_database_answers(lambda: _rules(settings), "worker")

    async def run() -> None:
        await asyncio.gather(*loops(_factory(settings), rules, settings))

    asyncio.run(run())


@main.group(help="Database commands.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply the migrations (creates the SQLite file when needed).")
def db_upgrade() -> None:
    from odr.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo("database is at the newest migration")


# What `odr demo` files into an empty database beside the offices, businesses and users (the
# README's tour): cases in every state of every track, these many past their deadline since
# the end of yesterday, so the server's first sweep escalates them.
TOUR_CASES, TOUR_OVERDUE = 300, 12


@main.command(
    help="Load demo data (Nanning's offices, platforms, users, and cases for the tour) and print "
    "the logins."
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@click.option(
    "--cases",
    type=click.IntRange(min=0),
    help="Generate this many cases (all tracks and states, events, delivered notifications; "
    f"default {TOUR_CASES} into an empty database, none into one with data).",
)
@click.option(
    "--overdue", type=click.IntRange(min=0), help="How many of them are overdue (default 2 %)."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated data.")
@click.option("--now", help="Generate the cases as of this moment (ISO 8601 with zone).")
def demo(
    if_empty: bool, cases: int | None, overdue: int | None, seed: int, now: str | None
) -> None:
    from odr.db.engine import transaction
    from odr.demo import is_empty, load_demo
    from odr.demo.loading import generate_cases

    settings = _settings()
    factory = _factory(settings, statement_timeout=False)
    with transaction(factory) as session:
        empty = is_empty(session)
        if not empty and not cases:
            if if_empty:
                click.echo("demo data: the database already has data; nothing loaded")
                return
            raise click.ClickException("the database already has data")
        logins = load_demo(session, _now(settings)) if empty else []
    if logins:
        click.echo("Demo logins (passwords are shown only now) / 演示账号（密码只显示这一次）:")
        for login in logins:
            click.echo(
                f"  {login.portal:<10} {login.username:<12} {login.password:<14} {login.who}"
            )
        click.echo(
            "Consumer form: http://127.0.0.1:8000/ · enterprise: /enterprise · regulator: /regulator"
        )
    if cases is None and empty:  # the tour's cases: every state, a few for the first sweep
        cases, overdue = TOUR_CASES, TOUR_OVERDUE if overdue is None else overdue
    if cases:
        rules = _rules(settings)
        with click.progressbar(length=cases, label="generating cases", show_pos=True) as bar:
            written = generate_cases(
                factory,
                rules,
                cases,
                _now(settings, now),
                overdue=overdue,
                seed=seed,
                progress=bar.update,
            )
        click.echo(f"{written} case(s) generated")


@main.command(
    help="Fire every due deadline once and publish the closed complaints whose notice period "
    "is over (the passes the server runs periodically)."
)
@click.option("--now", help="Pretend it is this moment (ISO 8601 with zone).")
def sweep(now: str | None) -> None:
    from odr.cases.disclosure import publish_due
    from odr.cases.sweeper import sweep as run_sweep

    settings = _settings()
    factory, rules, moment = _factory(settings), _rules(settings), _now(settings, now)
    result = run_sweep(factory, rules, now=moment)
    published = publish_due(factory, rules, settings.disclosure_notice_days, now=moment)
    click.echo(
        f"{result.expired} deadline(s) fired, {result.reminded} reminder(s) sent, "
        f"{published} complaint(s) published"
    )


@main.group(help="Deadlines.")
def deadlines() -> None:
    pass


@deadlines.command(
    "recompute",
    help="Count provisional deadlines again, after a year's holidays were added to "
    "workflows/calendar.yaml (or chinesecalendar was upgraded).",
)
def deadlines_recompute() -> None:
    from odr.cases.sweeper import recount_provisional

    settings = _settings()
    changed = recount_provisional(_factory(settings), _rules(settings), now=_now(settings))
    click.echo(f"{changed} deadline(s) recounted")


@main.command(help="Deliver due notifications once.")
@click.option("--now", help="Pretend it is this moment (ISO 8601 with zone), as `odr sweep --now`.")
def dispatch(now: str | None) -> None:
    from odr.notify.dispatcher import dispatch as run_dispatch

    settings = _settings()
    sent = run_dispatch(_factory(settings), settings, now=_now(settings, now))
    click.echo(f"{sent} notification(s) sent")


@main.group(help="Audit commands.")
def audit() -> None:
    pass


@audit.command(
    "verify",
    help="Recompute every case's hash chain and check it against the anchors, each issued paper's "
    "file and every web capture's files against their hashes; name each broken case, event, "
    "anchor, paper and capture. With --incremental, only the cases with an event committed since "
    "the last pass that found nothing (run a full pass too, weekly). Prints the rate.",
)
@click.option(
    "--digest",
    help="An anchor's digest kept outside odr (from `odr audit anchor`): it must still be there.",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="Only the cases changed since the last clean pass, and the anchors made since.",
)
def audit_verify(digest: str | None, incremental: bool) -> None:
    from odr.captures.service import verify_captures
    from odr.cases.anchors import latest
    from odr.cases.verification import FULL, verify
    from odr.documents.verify import verify_documents

    settings = _settings()
    factory = _factory(settings, statement_timeout=False)
    done = verify(
        factory,
        _now(settings),
        lambda problem: click.echo(str(problem)),
        incremental=incremental,
        digest=digest,
        checks=(
            lambda session, cases: verify_documents(session, settings.evidence_dir, case_ids=cases),
            lambda session, cases: verify_captures(session, settings.evidence_dir, case_ids=cases),
        ),
    )
    scope = (
        "full pass"
        if done.kind == FULL
        else f"incremental pass (events after position {done.since})"
    )
    click.echo(
        f"{scope} through event position {done.through}: {done.tally.cases} case(s), "
        f"{done.tally.events} event(s) in {done.seconds:.2f} s: "
        f"{done.events_per_second:,.0f} events/s, {done.cases_per_second:,.0f} cases/s"
    )
    with factory() as session:
        newest = latest(session)
    if newest is not None and newest.digest:
        click.echo(
            f"newest anchor #{newest.id} ({newest.created_at:%Y-%m-%d %H:%M}Z): {newest.digest}"
        )
    if done.problems:
        click.echo(f"{done.problems} problem(s) found", err=True)
        sys.exit(1)
    if done.kind == FULL:
        click.echo("every case's hash chain is intact")
    else:
        click.echo("every changed case's hash chain is intact")


@audit.command(
    "anchor",
    help="Record every case's chain head in the append-only anchor log and print the anchor's "
    "digest: keep it outside odr, for `odr audit verify --digest`. The server and workers "
    "anchor by themselves every ODR_ANCHOR_INTERVAL.",
)
@click.option("--latest", "show_latest", is_flag=True, help="Print the newest anchor only.")
def audit_anchor(show_latest: bool) -> None:
    from odr.cases.anchors import anchor, latest

    settings = _settings()
    factory = _factory(settings, statement_timeout=False)
    if show_latest:
        with factory() as session:
            newest = latest(session)
        if newest is None or not newest.digest:
            raise click.ClickException("no anchor yet: run `odr audit anchor`")
        click.echo(f"anchor #{newest.id} ({newest.created_at:%Y-%m-%d %H:%M}Z): {newest.digest}")
        return
    made = anchor(factory, _now(settings))
    if made is None:
        raise click.ClickException("another process is anchoring now; try again in a while")
    click.echo(
        f"anchor #{made.id} of {made.cases} case(s), {made.heads} head(s) recorded "
        f"({made.created_at:%Y-%m-%d %H:%M}Z): {made.digest}"
    )


@main.group(help="Workflow definitions.")
def workflow() -> None:
    pass


@workflow.command("check", help="Validate workflow files (default: every file in workflows/).")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def workflow_check(files: tuple[Path, ...]) -> None:
    from odr.engine.workflow import WorkflowError, is_workflow_file, load_workflow

    paths = list(files) or sorted(
        p for p in _settings().workflows_dir.glob("*.yaml") if is_workflow_file(p)
    )
    failed = False
    for path in paths:
        try:
            wf = load_workflow(path)
        except WorkflowError as exc:
            click.echo(str(exc), err=True)
            failed = True
            continue
        if unclocked := wf.unclocked():
            # A case resting there would never be reminded, escalated or counted as overdue.
            click.echo(
                f"{path}: states without a clock and without no_clock "
                f"(paused, escalated or routing): {', '.join(unclocked)}",
                err=True,
            )
            failed = True
            continue
        click.echo(
            f"{path}: ok ({wf.name} v{wf.version}, {len(wf.states)} states, "
            f"{len(wf.transitions)} transitions)"
        )
    if failed:
        sys.exit(1)


@workflow.command("show", help="Print a workflow as a Mermaid state diagram or a text outline.")
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "text"]),
    default="mermaid",
    show_default=True,
)
def workflow_show(name: str, fmt: str) -> None:
    from odr.engine.diagram import mermaid, text

    # A diagram needs no database: the workflows as the files define them.
    workflows = _rules(_settings(), pinned=False).workflows
    if name not in workflows:
        raise click.BadParameter(
            f"unknown workflow '{name}' (known: {', '.join(sorted(workflows))})",
            param_hint="NAME",
        )
    click.echo((mermaid if fmt == "mermaid" else text)(workflows[name]), nl=False)


@workflow.command("readme", help="Rewrite the workflow diagrams between the markers of README.md.")
def workflow_readme() -> None:
    from odr.engine.diagram import update_readme
    from odr.engine.workflow import load_workflows
    from odr.settings import SOURCE_ROOT

    # The README documents the workflows of the source tree (what its test compares with).
    readme = SOURCE_ROOT / "README.md"
    if not readme.is_file():
        raise click.ClickException(f"{readme}: not found (run from a source checkout)")
    try:
        changed = update_readme(readme, load_workflows(SOURCE_ROOT / "workflows").values())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{readme}: workflow diagrams {'updated' if changed else 'already current'}")


@main.command(
    "import-12315",
    help="Import a 12315 transfer file (JSON, JSON Lines or CSV; UTF-8 "
    "or GBK). Running it again, also after a crash half-way, creates nothing twice.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "jsonl", "csv"]),
    help="Default: from the file name or content.",
)
@click.option(
    "--rejected",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the rejected records (CSV). Default: FILE.rejected.csv",
)
def import_12315(file: Path, fmt: str | None, rejected: Path | None) -> None:

    from odr.intake.import12315 import RecordResult, import_records
    from odr.intake.transfer12315 import read_records
    from odr.portals.csv_files import csv_bytes

    settings = _settings()
    records, problems = read_records(file.read_bytes(), format=fmt, filename=file.name)
    if problems and problems[0].line == 0:
        raise click.ClickException(f"{file}: {problems[0].reason}")
    rules, factory = _rules(settings), _factory(settings)
    with click.progressbar(length=len(records), label="importing", show_pos=True) as bar:
        results = import_records(factory, records, rules, _now(settings), progress=bar.update)
    results += [RecordResult(p.line, "", "rejected", reason=p.reason) for p in problems]
    counts = {s: sum(r.status == s for r in results) for s in ("created", "duplicate", "rejected")}
    click.echo(
        f"{len(results)} record(s): {counts['created']} created, "
        f"{counts['duplicate']} already imported, {counts['rejected']} rejected"
    )
    bad = sorted((r for r in results if r.status == "rejected"), key=lambda r: r.line)
    if bad:
        target = rejected or file.with_name(file.name + ".rejected.csv")
        header = ["行号 line", "投诉编号", "字段 field", "原因 reason"]
        rows = ([r.line, r.external_id, r.field or "", r.reason] for r in bad)
        target.write_bytes(csv_bytes(header, rows))  # guarded: the records come from outside
        click.echo(f"rejected records: {target}")


@main.group(help="Notification templates.")
def notifications() -> None:
    pass


@notifications.command(
    "check",
    help="Fail, naming the file, when a template is missing, broken, "
    "unused, or uses a variable its event does not provide.",
)
def notifications_check() -> None:
    from odr.notify.templates import check

    settings = _settings()
    problems = check(settings.notifications_dir, _rules(settings, pinned=False).workflows.values())
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"{settings.notifications_dir}: every notification has its templates")


@main.group(help="The papers (文书) issued on a case's decisions.")
def documents() -> None:
    pass


@documents.command(
    "prefix",
    help="Show an office's prefix for the numbers of its papers (e.g. 青市监 in "
    "青市监受字〔2026〕第0012号), or set it with PREFIX; --default goes back to the derived one.",
)
@click.argument("region_code")
@click.argument("prefix", required=False)
@click.option("--default", "use_default", is_flag=True, help="Forget the configured prefix.")
def documents_prefix(region_code: str, prefix: str | None, use_default: bool) -> None:
    from odr.db.engine import transaction
    from odr.documents.numbering import office_prefix
    from odr.offices.service import by_code

    with transaction(_factory(_settings())) as session:
        office = by_code(session, region_code)
        if office is None:
            raise click.ClickException(f"no office with region code {region_code}")
        if prefix or use_default:
            office.document_prefix = prefix.strip()[:20] if prefix and not use_default else None
        click.echo(f"{office.region_code} {office.name}: {office_prefix(office)}")


@main.command(
    help="Copy the SQLite database (online, while the server runs) and the evidence files to "
    "DEST, a new folder or a .tar.gz, with a manifest of SHA-256s. PostgreSQL: use pg_dump."
)
@click.argument("dest", type=click.Path(path_type=Path))
def backup(dest: Path) -> None:
    from odr.db.backup import BackupError
    from odr.db.backup import backup as run_backup

    try:
        done = run_backup(_settings(), dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{done.path}: database and {done.files} evidence file(s), {done.bytes} bytes")


@main.command(
    help="Bring back a backup made by `odr backup` (check its manifest first). Stop the server "
    "before; a database that holds data is replaced only with --force."
)
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore(src: Path, force: bool) -> None:
    from odr.db.backup import BackupError
    from odr.db.backup import restore as run_restore

    try:
        done = run_restore(_settings(), src, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored from {done.path}: database and {done.files} evidence file(s)")


@main.group(help="Personal data.")
def privacy() -> None:
    pass


@privacy.command(
    "purge",
    help="Remove the personal data of cases closed longer ago than --older-than; keep their "
    "figures, delete their evidence files and papers, record the purge on each hash chain.",
)
@click.option("--older-than", required=True, help="Closed at least this long ago: 3y, 18m, 90d.")
@click.option("--dry-run", is_flag=True, help="Count what would be purged; change nothing.")
@click.option("--now", help="Pretend it is this moment (ISO 8601 with zone).")
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Cases a transaction: each batch commits on its own, so the purge holds no lock for "
    "long and, stopped, goes on where it was when run again.",
)
@click.option(
    "--batch-seconds",
    type=click.FloatRange(min=0.01),
    default=1.0,
    show_default=True,
    help="A batch commits once it has run this long, however few cases it has done.",
)
def privacy_purge(
    older_than: str, dry_run: bool, now: str | None, batch: int, batch_seconds: float
) -> None:
    import time

    from odr.cases.privacy import PurgeProgress, parse_age, purge
    from odr.documents.privacy import purge_papers
    from odr.intake.idempotency import purge_replays

    try:
        cutoff_of = parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    settings = _settings()
    factory = _factory(settings)
    moment = _now(settings, now)
    shown, longest = [time.perf_counter()], [0.0]

    def progress(done: PurgeProgress) -> None:
        longest[0] = max(longest[0], done.batch_seconds)
        if time.perf_counter() - shown[0] >= 5:  # a line every 5 s
            shown[0] = time.perf_counter()
            click.echo(
                f"... {done.cases} case(s) in {done.batches} batch(es), up to case id "
                f"{done.after_id}, {done.cases / done.seconds:,.0f} cases/s, longest "
                f"transaction {longest[0] * 1000:.0f} ms",
                err=True,
            )

    result = purge(
        factory,
        settings.evidence_dir,
        older_than,
        moment,
        dry_run=dry_run,
        batch=batch,
        batch_seconds=batch_seconds,
        progress=progress,
    )
    replays_deleted = purge_replays(factory, cutoff_of(moment), dry_run=dry_run)
    papers_deleted = purge_papers(factory, settings.evidence_dir, dry_run=dry_run)
    verb = "would be purged" if dry_run else "purged"
    click.echo(
        f"{len(result.cases)} case(s) {verb}, {result.events_redacted} event(s) redacted, "
        f"{result.files_deleted} evidence file(s) {'to delete' if dry_run else 'deleted'}, "
        f"{papers_deleted} paper(s) {'to delete' if dry_run else 'deleted'}, "
        f"{replays_deleted} API replay record(s) as old {'to delete' if dry_run else 'deleted'}"
    )
    rate = len(result.cases) / result.seconds if result.seconds else 0.0
    click.echo(
        f"{result.seconds:.1f} s, {rate:,.0f} cases/s, "
        f"longest transaction {result.longest_batch_seconds * 1000:.0f} ms ({batch} a batch)"
    )
    if result.skipped:
        click.echo(
            f"{len(result.skipped)} case(s) not purged, their hash chain is broken "
            f"(see `odr audit verify`): {', '.join(result.skipped)}",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()


@main.command(
    help="Write an office's complaint report for a month or a quarter as an .xlsx workbook: "
    "received, accepted, not accepted, mediated, settled, withdrawn, losses recovered; by "
    "category, nature of problem, channel and platform; the ten most complained-about "
    "businesses; the ODR enterprises' rates; against the previous period and a year before."
)
@click.option("--period", required=True, help="A month (2026-11) or a quarter (2026-Q4).")
@click.option(
    "--office",
    "office_code",
    help="The office's region code (with the offices below it); default: the intake office.",
)
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The .xlsx file to write.",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def report(period: str, office_code: str | None, output: Path, lang: str) -> None:
    from odr.cases.report import monthly_report, parse_period
    from odr.db.engine import reading
    from odr.errors import InvalidData
    from odr.offices.service import by_code, supervised_ids
    from odr.portals.regulator.report_workbook import workbook_bytes
    from odr.portals.regulator.reports import category_order

    settings = _settings()
    try:
        chosen = parse_period(period)
    except InvalidData as exc:
        raise click.BadParameter(exc.errors["period"], param_hint="--period") from None
    rules = _rules(settings, pinned=False)
    code = office_code or settings.intake_office_code
    with reading(_lagging_factory(settings)) as session:  # a replica's figures will do
        office = by_code(session, code)
        if office is None:
            raise click.BadParameter(f"no office with region code {code}", param_hint="--office")
        figures = monthly_report(
            session,
            supervised_ids(session, office.id),
            chosen,
            rules.calendar,
            **category_order(rules),
        )
        content = workbook_bytes(figures, rules.classification, office.name, lang)
    output.write_bytes(content)
    headline = {row["figure"]: row["value"] for row in figures["headline"]}
    click.echo(
        f"{output}: {office.name} {chosen.code}: {headline['received']} received, "
        f"{headline['closed']} closed, {headline['recovered']} yuan recovered"
    )
