"""`odr notifications check` holds the templates to the events that send them."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from odr.cli import main
from odr.settings import SOURCE_ROOT


def check(directory: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        main, ["notifications", "check"], env={"ODR_NOTIFICATIONS_DIR": str(directory)}
    )


def copy_templates(tmp_path: Path) -> Path:
    target = tmp_path / "notifications"
    shutil.copytree(SOURCE_ROOT / "notifications", target)
    return target


def test_shipped_templates_pass():
    result = check(SOURCE_ROOT / "notifications")
    assert result.exit_code == 0, result.output


def test_missing_template_is_named(tmp_path: Path):
    directory = copy_templates(tmp_path)
    (directory / "en" / "offer_received.sms.j2").unlink()
    result = check(directory)
    assert result.exit_code == 1
    assert f"{directory}/en/offer_received.sms.j2: missing" in result.output


def test_unknown_variable_is_named(tmp_path: Path):
    directory = copy_templates(tmp_path)
    path = directory / "zh-CN" / "escalated.sms.j2"
    path.write_text(path.read_text(encoding="utf-8") + "{{ enterprise_phone }}\n", "utf-8")
    result = check(directory)
    assert result.exit_code == 1
    assert f"{path}: uses enterprise_phone, which the escalated event does not provide" in (
        result.output
    )


def test_field_of_only_one_sending_transition_is_refused(tmp_path: Path):
    # `reason` comes with reject_offer but not with the other transitions sending "closed".
    directory = copy_templates(tmp_path)
    path = directory / "en" / "closed.sms.j2"
    path.write_text("Closed {{ case_number }}: {{ reason }}\n", "utf-8")
    result = check(directory)
    assert result.exit_code == 1 and "uses reason" in result.output


def test_syntax_error_and_unused_template_are_named(tmp_path: Path):
    directory = copy_templates(tmp_path)
    (directory / "zh-CN" / "accepted.in_app.j2").write_text("{% if %}", "utf-8")
    (directory / "en" / "party.sms.j2").write_text("hello", "utf-8")
    result = check(directory)
    assert result.exit_code == 1
    assert "accepted.in_app.j2:1:" in result.output
    assert f"{directory}/en/party.sms.j2: no event sends this template" in result.output
