"""`odr backup` while a writer keeps filing, `odr restore` into a fresh var dir, chains intact."""

from __future__ import annotations

import hashlib
import tarfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from complaints import complaint_form
from sqlalchemy import func, select

from odr.cases.chain import verify_all
from odr.cases.evidence import EvidenceFile, evidence_path
from odr.cases.models import Attachment, Case
from odr.cases.service import submit
from odr.cases.workflow_versions import pin_versions
from odr.cli import main
from odr.clock import SHANGHAI, utcnow
from odr.db.engine import make_engine, make_session_factory, transaction
from odr.db.migrate import upgrade
from odr.demo import load_demo
from odr.engine.rules import load_rules
from odr.intake.complaint import parse_complaint
from odr.models import import_models
from odr.settings import SOURCE_ROOT, Settings

PNG = (Path(__file__).parent / "data" / "receipt.png").read_bytes()


def _env(var_dir: Path) -> dict[str, str]:
    return {"ODR_VAR_DIR": str(var_dir), "ODR_DATABASE_URL": f"sqlite:///{var_dir / 'odr.sqlite3'}"}


def _settings(var_dir: Path) -> Settings:
    return Settings.from_env(var_dir=var_dir, database_url=_env(var_dir)["ODR_DATABASE_URL"])


class Filer:
    """Files complaints with a distinct evidence file each, into one SQLite var dir."""

    def __init__(self, var_dir: Path):
        self.settings = _settings(var_dir)
        import_models()
        upgrade(self.settings.database_url)
        self.engine = make_engine(self.settings.database_url)
        self.factory = make_session_factory(self.engine)
        self.rules = load_rules(SOURCE_ROOT / "workflows", self.settings.intake_office_code)
        with transaction(self.factory) as session:
            load_demo(session, utcnow())
            pin_versions(session, self.rules, utcnow())
        self.count = 0

    def file(self) -> None:
        number = self.count + 1
        now = utcnow()
        complaint = parse_complaint(
            complaint_form(order_number=f"MT-{number}", complainant_phone="13800138000"),
            self.rules.workflow().lists["claim_types"],
            today=now.astimezone(SHANGHAI).date(),
            violation_types=self.rules.workflow("report").lists["violation_types"],
        )
        evidence = [EvidenceFile("收据.png", "image/png", PNG + str(number).encode())]
        with transaction(self.factory) as session:
            submit(
                session,
                complaint,
                rules=self.rules,
                evidence=evidence,
                evidence_dir=self.settings.evidence_dir,
                now=now,
            )
        self.count = number  # committed


@pytest.fixture
def filer(tmp_path: Path):  # type: ignore[no-untyped-def]
    filer = Filer(tmp_path / "var")
    for _ in range(5):
        filer.file()
    yield filer
    filer.engine.dispose()


def _cases(var_dir: Path) -> int:
    engine = make_engine(_env(var_dir)["ODR_DATABASE_URL"])
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(Case))
    finally:
        engine.dispose()


def test_backup_while_filing_then_restore_into_a_fresh_var_dir(filer, tmp_path):
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_filing() -> None:
        try:
            while not stop.is_set():
                filer.file()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    writer = threading.Thread(target=keep_filing)
    writer.start()
    try:
        while filer.count < 8:  # the writer is under way
            stop.wait(0.05)
        before = filer.count
        archive = tmp_path / "odr-backup.tar.gz"
        made = CliRunner().invoke(main, ["backup", str(archive)], env=_env(filer.settings.var_dir))
        assert made.exit_code == 0, made.output
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert filer.count > before  # it kept filing during and after the backup
    with tarfile.open(archive) as tar:
        assert "manifest.json" in tar.getnames() and "odr.sqlite3" in tar.getnames()

    fresh = tmp_path / "restored"
    back = CliRunner().invoke(main, ["restore", str(archive)], env=_env(fresh))
    assert back.exit_code == 0, back.output
    verify = CliRunner().invoke(main, ["audit", "verify"], env=_env(fresh))
    assert verify.exit_code == 0, verify.output
    assert "intact" in verify.output
    assert before <= _cases(fresh) <= filer.count
    engine = make_engine(_env(fresh)["ODR_DATABASE_URL"])
    try:
        with make_session_factory(engine)() as session:
            assert list(verify_all(session)) == []
            shas = session.scalars(select(Attachment.sha256)).all()
    finally:
        engine.dispose()
    assert len(shas) >= before
    for sha in shas:  # every file the restored database names, with its bytes
        path = evidence_path(fresh / "evidence", sha)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha


def test_restore_keeps_a_database_with_data_unless_forced(filer, tmp_path):
    folder = tmp_path / "backup"
    assert (
        CliRunner()
        .invoke(main, ["backup", str(folder)], env=_env(filer.settings.var_dir))
        .exit_code
        == 0
    )
    filer.file()  # the live database now has one case more than the backup
    live = _env(filer.settings.var_dir)
    refused = CliRunner().invoke(main, ["restore", str(folder)], env=live)
    assert refused.exit_code == 1 and "--force" in refused.output
    assert _cases(filer.settings.var_dir) == 6
    forced = CliRunner().invoke(main, ["restore", str(folder), "--force"], env=live)
    assert forced.exit_code == 0, forced.output
    assert _cases(filer.settings.var_dir) == 5


def test_a_damaged_backup_is_not_restored(filer, tmp_path):
    folder = tmp_path / "backup"
    assert (
        CliRunner()
        .invoke(main, ["backup", str(folder)], env=_env(filer.settings.var_dir))
        .exit_code
        == 0
    )
    damaged = next((folder / "evidence").rglob("*"))
    while damaged.is_dir():
        damaged = next(damaged.iterdir())
    damaged.write_bytes(b"not the evidence")
    fresh = tmp_path / "restored"
    refused = CliRunner().invoke(main, ["restore", str(folder)], env=_env(fresh))
    assert refused.exit_code == 1
    assert "damaged" in refused.output and damaged.name in refused.output
    assert not (fresh / "odr.sqlite3").exists()


def test_postgresql_is_backed_up_with_pg_dump(tmp_path):
    env = {
        "ODR_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/none",
        "ODR_VAR_DIR": str(tmp_path),
    }
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "b")], env=env)
    assert result.exit_code == 1 and "pg_dump -Fc" in result.output
