"""Reads that may lag go to a real streaming replica (ODR_DATABASE_REPLICA_URL); what a person
just did is read back from the primary. The replica's replay is paused to make it visibly
behind: the search (routed to the replica) does not find the newest complaint while the
consumer's tracking page and the case page (the primary) show it; resumed, the search finds it.
`odr report` reads the replica too. Health and metrics report the replica and its lag."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from complaints import complaint_form
from litestar.testing import TestClient
from pg_clusters import Clusters, Replicated, server_binaries
from sqlalchemy import Engine, create_engine, text
from web_client import Browser

from odr.app import create_app
from odr.cases.report import Period
from odr.cli import main
from odr.clock import SHANGHAI, utcnow
from odr.db.engine import normalise_url
from odr.settings import SOURCE_ROOT, Settings

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def streaming_replica(
    is_postgres: bool, database_url: str, demo_logins: dict[str, str]
) -> Iterator[Replicated]:
    """A primary of our own holding a copy of the suite's database (migrated, with the demo
    data: no second migration, no second hashing of the demo passwords), and a streaming
    replica made from it with pg_basebackup -R, each on a free port of 127.0.0.1."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: set ODR_TEST_DATABASE_URL")
    bindir = server_binaries()
    if bindir is None:
        message = "PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed"
        if IN_CI:  # the PostgreSQL run of CI must not skip it
            pytest.fail(message)
        pytest.skip(message)
    clusters = Clusters(bindir)
    try:
        primary = clusters.primary()
        clusters.copy_database(database_url, primary, "odr")
        replica = clusters.replica_of(primary)
        yield Replicated(primary.url("odr"), replica.url("odr"), demo_logins)
    finally:
        clusters.close()


CATCH_UP_SECONDS = 20.0  # the most the replica may take to replay a commit here


@pytest.fixture
def replica_admin(streaming_replica: Replicated) -> Iterator[Engine]:
    """A superuser's connection to the replica, to pause and resume its replay."""
    engine = create_engine(
        normalise_url(streaming_replica.replica_url), isolation_level="AUTOCOMMIT"
    )
    try:
        yield engine
    finally:
        with engine.connect() as connection:  # never leave it paused for the next test
            connection.execute(text("SELECT pg_wal_replay_resume()"))
        engine.dispose()


@pytest.fixture
def browser(streaming_replica: Replicated, tmp_path: Path) -> Iterator[Browser]:
    settings = Settings.from_env(
        database_url=streaming_replica.primary_url,
        database_replica_url=streaming_replica.replica_url,
        var_dir=tmp_path / "var",
        background_jobs=False,
        workflows_dir=SOURCE_ROOT / "workflows",
        notifications_dir=SOURCE_ROOT / "notifications",
        smtp_host=None,
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield Browser(client)


def file(browser: Browser, **overrides: str) -> tuple[str, str]:
    """File a complaint on the web form; its number and access code from the receipt."""
    receipt = browser.post("/", complaint_form(**overrides))
    assert receipt.status_code == 200, receipt.text[:2000]
    number = re.search(r'id="case-number">([^<]+)<', receipt.text)
    code = re.search(r'id="access-code">([^<]+)<', receipt.text)
    assert number and code, receipt.text[:2000]
    return number.group(1), code.group(1)


def track(browser: Browser, number: str, code: str) -> str:
    """The consumer's own page of the case, as the tracking form leads there."""
    page = browser.post("/track", {"number": number, "access_code": code})
    assert page.status_code == 200 and str(page.url).endswith(f"/track/{number}"), page.text[:2000]
    return page.text


def found_by_search(browser: Browser, number: str) -> bool:
    page = browser.get(f"/regulator/search?q={number}")
    assert page.status_code == 200, page.text[:2000]
    return f'href="/regulator/cases/{number}"' in page.text


def on_replica(admin: Engine, number: str) -> bool:
    with admin.connect() as connection:
        return bool(
            connection.scalar(text("SELECT count(*) FROM cases WHERE number = :n"), {"n": number})
        )


def wait_for_replica(admin: Engine, number: str) -> None:
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while not on_replica(admin, number):
        if time.monotonic() > deadline:
            pytest.fail(f"the replica did not replay case {number} in {CATCH_UP_SECONDS} s")
        time.sleep(0.05)


def pause_replay(admin: Engine) -> None:
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_wal_replay_pause()"))
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while connection.scalar(text("SELECT pg_get_wal_replay_pause_state()")) != "paused":
            if time.monotonic() > deadline:
                pytest.fail("the replica's replay did not pause")
            time.sleep(0.02)


def test_lagging_reads_go_to_the_replica_and_a_persons_own_to_the_primary(
    streaming_replica: Replicated, browser: Browser, replica_admin: Engine
) -> None:
    consumer = browser
    first, first_code = file(consumer, complainant_name="黄一", order_number="REPLICA-1")
    assert first in track(consumer, first, first_code)  # the primary, at once
    wait_for_replica(replica_admin, first)

    clerk = Browser(consumer.client)  # the same app; the clerk's cookies replace the consumer's
    clerk.login("regulator", "reg450100", streaming_replica.logins["reg450100"])
    assert found_by_search(clerk, first)  # the replica has it

    pause_replay(replica_admin)
    second, second_code = file(consumer, complainant_name="黄二", order_number="REPLICA-2")
    assert not on_replica(replica_admin, second)  # behind, visibly
    # What the consumer just did is on their next page, and on the clerk's case page: primary.
    assert second in track(consumer, second, second_code)
    clerk.login("regulator", "reg450100", streaming_replica.logins["reg450100"])
    case_page = clerk.get(f"/regulator/cases/{second}")
    assert case_page.status_code == 200 and second in case_page.text
    # The search reads the replica: the newest complaint is not there yet, the older one is.
    assert not found_by_search(clerk, second)
    assert found_by_search(clerk, first)

    ready = clerk.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["replica"] == "ok" and ready.json()["replica_lag_seconds"] > 0
    scraped = clerk.get("/metrics").text
    assert "odr_db_replica_up 1.0" in scraped
    assert re.search(r"^odr_db_replica_lag_seconds \d", scraped, re.MULTILINE)

    with replica_admin.connect() as connection:
        connection.execute(text("SELECT pg_wal_replay_resume()"))
    wait_for_replica(replica_admin, second)
    assert found_by_search(clerk, second)


def test_a_replica_that_does_not_answer_is_reported_and_fails_only_its_pages(
    streaming_replica: Replicated, tmp_path: Path
) -> None:
    settings = Settings.from_env(
        database_url=streaming_replica.primary_url,
        # port 1 of 127.0.0.1: nothing listens there
        database_replica_url=re.sub(r":\d+/", ":1/", streaming_replica.replica_url),
        var_dir=tmp_path / "var",
        background_jobs=False,
        workflows_dir=SOURCE_ROOT / "workflows",
        notifications_dir=SOURCE_ROOT / "notifications",
        smtp_host=None,
        db_connect_timeout_seconds=2,
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        browser = Browser(client)
        ready = browser.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["replica"] == "unreachable"
        assert "odr_db_replica_up 0.0" in browser.get("/metrics").text
        number, code = file(
            browser, order_number="REPLICA-3"
        )  # writes and the consumer's pages: the primary
        assert number in track(browser, number, code)
        assert browser.get("/disclosures").status_code == 503  # a replica's page: try later


def test_odr_report_reads_the_replica(
    streaming_replica: Replicated, browser: Browser, replica_admin: Engine, tmp_path: Path
) -> None:
    today = utcnow().astimezone(SHANGHAI).date()
    env = {
        "ODR_DATABASE_URL": streaming_replica.primary_url,
        "ODR_DATABASE_REPLICA_URL": streaming_replica.replica_url,
        "ODR_VAR_DIR": str(tmp_path / "var"),
    }
    command = ["report", "--period", Period(today.year, today.month).code]

    def received() -> int:
        result = CliRunner().invoke(main, [*command, "--output", str(tmp_path / "r.xlsx")], env=env)
        assert result.exit_code == 0, result.output
        return int(re.search(r"(\d+) received", result.output).group(1))  # type: ignore[union-attr]

    pause_replay(replica_admin)
    before = received()
    number, _ = file(browser, complainant_name="黄四", order_number="REPLICA-4")
    assert received() == before  # the replica has not replayed it
    with replica_admin.connect() as connection:
        connection.execute(text("SELECT pg_wal_replay_resume()"))
    wait_for_replica(replica_admin, number)
    assert received() == before + 1
