"""The `odr` command: workflow check names the problem; sweep fires due deadlines."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from odr.cases.models import Case
from odr.cases.service import utcnow
from odr.cli import main
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
