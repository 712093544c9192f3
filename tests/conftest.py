"""Test set-up: one migrated database per run (SQLite by default, PostgreSQL when
ODR_TEST_DATABASE_URL names one), demo data loaded once, case tables emptied before each test."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from complaints import complaint_form
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from web_client import Browser

from odr.app import create_app
from odr.auth.models import User
from odr.captures.models import WebCapture
from odr.cases.anchors import AnchoredHead, AuditAnchor
from odr.cases.disclosure import Disclosure
from odr.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseParty,
    CaseSearch,
    DashboardSnapshot,
)
from odr.cases.verification import AuditVerification
from odr.cases.workflow_versions import pin_versions
from odr.clock import utcnow
from odr.db.engine import make_engine, make_session_factory, normalise_url, transaction
from odr.db.migrate import upgrade
from odr.demo import load_demo
from odr.documents.models import Document
from odr.engine.rules import Rules, load_rules
from odr.enterprises.models import ApiToken, Enterprise, ScorecardSnapshot
from odr.intake.models import IdempotencyKey
from odr.notify.models import Notification, NotificationRecipient
from odr.settings import SOURCE_ROOT, Settings

IN_CI = os.environ.get("CI", "").lower() == "true"


def _fresh_postgres_database(url: str, worker: str) -> str:
    """A database of our own for this run (per xdist worker), created empty."""
    parsed = make_url(normalise_url(url))
    name = f"{parsed.database}_odr_{worker}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("ODR_TEST_DATABASE_URL")
    if url:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # one database per xdist worker
        url = _fresh_postgres_database(url, re.sub(r"\W", "_", worker))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'odr.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


@pytest.fixture
def postgres_only(is_postgres: bool) -> None:
    """Tests of PostgreSQL behaviour; under CI=true the PostgreSQL run must not skip them."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: set ODR_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings.from_env(
        database_url=database_url,
        var_dir=tmp_path_factory.mktemp("var"),
        background_jobs=False,
        workflows_dir=SOURCE_ROOT / "workflows",
        notifications_dir=SOURCE_ROOT / "notifications",
        smtp_host=None,
    )


@pytest.fixture(scope="session")
def rules(settings: Settings, factory: sessionmaker[Session]) -> Rules:
    rules = load_rules(settings.workflows_dir.resolve(), settings.intake_office_code)
    with transaction(factory) as session:
        pin_versions(session, rules, utcnow())
    return rules


@pytest.fixture(scope="session")
def demo_logins(factory: sessionmaker[Session]) -> dict[str, str]:
    """username -> password of the demo users (loaded once per run)."""
    with transaction(factory) as session:
        return {login.username: login.password for login in load_demo(session, utcnow())}


@pytest.fixture(autouse=True)
def clean_cases(request: pytest.FixtureRequest) -> None:
    """Each test starts with no cases; demo offices, enterprises and users stay."""
    if not {"factory", "client", "other_client"} & set(request.fixturenames):
        return
    factory: sessionmaker[Session] = request.getfixturevalue("factory")
    request.getfixturevalue("demo_logins")
    with transaction(factory) as session:
        session.execute(update(Case).values(linked_case_id=None))
        for model in (
            AuditVerification,
            AnchoredHead,
            AuditAnchor,
            Notification,
            NotificationRecipient,
            Attachment,
            Document,
            WebCapture,
            CaseParty,
            CaseEvent,
            Disclosure,
            CaseSearch,
            Case,
            IdempotencyKey,
            ApiToken,
            DashboardSnapshot,
            ScorecardSnapshot,
        ):
            session.execute(model.__table__.delete())
        session.execute(update(User).values(failed_logins=0, locked_until=None, active=True))
        session.execute(update(Enterprise).values(webhook_url=None, webhook_secret=None))


@pytest.fixture(scope="session")
def app(settings: Settings, demo_logins: dict[str, str]) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[Browser]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield Browser(test_client)


@pytest.fixture
def other_client(app: Litestar) -> Iterator[Browser]:
    """A second browser: another person with their own cookies."""
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield Browser(test_client)


@pytest.fixture
def evidence_png() -> bytes:
    return (Path(__file__).parent / "data" / "receipt.png").read_bytes()


@pytest.fixture
def file_complaint(client: Browser):  # type: ignore[no-untyped-def]
    """Submit the web form; return (case number, access code) from the receipt page."""

    def submit(files: Any = None, **overrides: str) -> tuple[str, str]:
        response = client.post("/", complaint_form(**overrides), files=files)
        assert response.status_code == 200, response.text[:2000]
        number = re.search(r'id="case-number">([^<]+)<', response.text)
        code = re.search(r'id="access-code">([^<]+)<', response.text)
        assert number and code, response.text[:2000]
        return number.group(1), code.group(1)

    return submit
