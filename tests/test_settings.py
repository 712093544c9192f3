"""Settings: every variable read in one table, each default written once, all documented."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from odr.settings import ENVIRONMENT, Settings, sqlite_url

README = Path(__file__).resolve().parents[1] / "README.md"
# Read by the fields' own defaults (a fallback chain), not through ENVIRONMENT.
DATA_DIR_VARIABLES = {"ODR_WORKFLOWS_DIR", "ODR_NOTIFICATIONS_DIR", "ODR_DOCUMENTS_DIR"}


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, _ in ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)


def test_an_empty_environment_gives_the_fields_defaults(bare_environment: None) -> None:
    assert Settings.from_env() == Settings()


def test_every_field_has_a_variable_but_the_data_folders_and_fixed_limits() -> None:
    unread = {f.name for f in fields(Settings)} - set(ENVIRONMENT)
    fixed_limits = {"evidence_max_files", "evidence_max_bytes", "http_timeout_seconds"}
    assert unread == {"workflows_dir", "notifications_dir", "documents_dir"} | fixed_limits


def test_variables_are_read_and_converted(
    bare_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ODR_VAR_DIR", "/srv/odr")
    monkeypatch.setenv("ODR_SMTP_PORT", "465")
    monkeypatch.setenv("ODR_SMTP_TLS", "yes")
    monkeypatch.setenv("ODR_SMTP_HOST", "")
    monkeypatch.setenv("ODR_ENV", " Production ")
    settings = Settings.from_env(sms_signature="test")
    assert settings.var_dir == Path("/srv/odr")
    assert settings.database_url == sqlite_url(Path("/srv/odr"))  # follows the var folder
    assert (settings.smtp_port, settings.smtp_tls, settings.smtp_host) == (465, True, None)
    assert settings.production
    assert settings.sms_signature == "test"


def test_every_variable_is_in_the_readme_settings_table() -> None:
    table = README.read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(ODR_[A-Z0-9_]+)`", table))
    read = {variable for variable, _ in ENVIRONMENT.values()} | DATA_DIR_VARIABLES
    assert read - documented == set()
