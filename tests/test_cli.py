"""The `odr` command: workflow check names the problem; sweep fires due deadlines."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from odr.cases.models import Case
from odr.cli import TOUR_CASES, TOUR_OVERDUE, main
from odr.clock import utcnow
from odr.notify.models import Notification
from odr.settings import SOURCE_ROOT


def test_workflow_check_accepts_the_shipped_rules():
    result = CliRunner().invoke(main, ["workflow", "check"])
    assert result.exit_code == 0, result.output
    assert "odr_standard v1" in result.output


def test_workflow_check_names_file_state_and_problem(tmp_path: Path):
    workflows = tmp_path / "workflows"
    shutil.copytree(SOURCE_ROOT / "workflows", workflows)
    text = (workflows / "odr_standard.yaml").read_text(encoding="utf-8")
    broken = workflows / "broken.yaml"
    broken.write_text(text.replace("on_expiry: expire}", "on_expiry: vanish}", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["workflow", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}: state 'negotiation': expiry trigger 'vanish' does not exist" in result.output


def test_workflow_check_fails_on_an_open_state_without_a_clock(tmp_path: Path):
    workflows = tmp_path / "workflows"
    shutil.copytree(SOURCE_ROOT / "workflows", workflows)
    text = (workflows / "odr_standard.yaml").read_text(encoding="utf-8")
    broken = workflows / "broken.yaml"
    broken.write_text(text.replace("    no_clock: routing\n", "", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["workflow", "check", str(broken)])
    assert result.exit_code == 1
    assert "states without a clock and without no_clock" in result.output
    assert "received" in result.output


def test_sweep_command_with_a_moved_clock(file_complaint, factory, database_url):
    number, _ = file_complaint()
    env = {"ODR_DATABASE_URL": database_url}
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    in_a_month = (utcnow() + timedelta(days=31)).isoformat()
    early = CliRunner().invoke(main, ["sweep", "--now", tomorrow], env=env)
    assert early.exit_code == 0 and "0 deadline(s) fired, 0 reminder(s) sent" in early.output
    late = CliRunner().invoke(main, ["sweep", "--now", in_a_month], env=env)
    assert late.exit_code == 0 and "1 deadline(s) fired" in late.output
    with factory() as session:
        assert session.scalar(select(Case.state).where(Case.number == number)) == "acceptance"
    naive = CliRunner().invoke(main, ["sweep", "--now", "2027-01-31T00:00:00"], env=env)
    assert naive.exit_code == 2 and "time zone" in naive.output


def test_every_command_runs_on_one_clock(file_complaint, factory, database_url):
    """ODR_CLOCK_OFFSET moves sweep and dispatch alike, and `dispatch --now` matches `sweep
    --now`: what a sweep 31 days on queued is due for the dispatch with the same clock, not when
    real time gets there."""
    number, _ = file_complaint()
    month = timedelta(days=31)
    moved = {"ODR_DATABASE_URL": database_url, "ODR_CLOCK_OFFSET": str(month.total_seconds())}

    def waiting() -> int:  # the escalation's messages, stamped 31 days on
        with factory() as session:
            return len(
                session.scalars(
                    select(Notification.id)
                    .join(Case, Case.id == Notification.case_id)
                    .where(Case.number == number, Notification.status == "pending")
                ).all()
            )

    swept = CliRunner().invoke(main, ["sweep"], env=moved)
    assert swept.exit_code == 0 and "1 deadline(s) fired" in swept.output, swept.output
    with factory() as session:
        assert session.scalar(select(Case.state).where(Case.number == number)) == "acceptance"
    assert waiting() > 0
    unmoved = {"ODR_DATABASE_URL": database_url}
    assert CliRunner().invoke(main, ["dispatch"], env=unmoved).exit_code == 0
    assert waiting() > 0  # real time has not got there
    dispatched = CliRunner().invoke(main, ["dispatch"], env=moved)
    assert dispatched.exit_code == 0 and waiting() == 0, dispatched.output


def test_dispatch_now_matches_sweep_now(file_complaint, factory, database_url):
    number, _ = file_complaint()
    env = {"ODR_DATABASE_URL": database_url}
    in_a_month = (utcnow() + timedelta(days=31)).isoformat()
    assert CliRunner().invoke(main, ["sweep", "--now", in_a_month], env=env).exit_code == 0
    dispatched = CliRunner().invoke(main, ["dispatch", "--now", in_a_month], env=env)
    assert dispatched.exit_code == 0, dispatched.output
    with factory() as session:
        statuses = set(
            session.scalars(
                select(Notification.status)
                .join(Case, Case.id == Notification.case_id)
                .where(Case.number == number)
            )
        )
    assert statuses == {"sent"}


def test_demo_into_an_empty_database_gives_the_tour_its_cases(tmp_path: Path):
    """`make run`'s `odr demo --if-empty`: the README's tour needs no time travel. Cases in
    many states, some past their deadline, which the first sweep (the server's, at start) fires;
    a second `--if-empty` loads nothing."""
    env = {"ODR_DATABASE_URL": f"sqlite:///{tmp_path / 'odr.sqlite3'}"}
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    first = CliRunner().invoke(main, ["demo", "--if-empty"], env=env)
    assert first.exit_code == 0, first.output
    assert f"{TOUR_CASES} case(s) generated" in first.output
    again = CliRunner().invoke(main, ["demo", "--if-empty"], env=env)
    assert again.exit_code == 0 and "nothing loaded" in again.output
    swept = CliRunner().invoke(main, ["sweep"], env=env)
    assert swept.exit_code == 0 and f"{TOUR_OVERDUE} deadline(s) fired" in swept.output
    engine = create_engine(env["ODR_DATABASE_URL"])
    with engine.connect() as connection:
        states = connection.scalar(select(func.count(func.distinct(Case.state))))
        escalated = connection.scalar(
            select(func.count()).where(
                Case.state == "acceptance", Case.escalation_reason.is_not(None)
            )
        )
    engine.dispose()
    assert states >= 20  # every track's states, open and closed
    assert escalated >= 1  # an overdue case is in a regulator's queue
