"""The PostgreSQL scale benchmark runs end to end on two tiny databases it builds itself
(PostgreSQL only: skipped on a SQLite run); it never asserts on time."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from test_benchmark_demo import load

from odr.db.engine import normalise_url

SIZES, DUE = (200, 400), 15


@pytest.fixture(scope="module")
def urls(database_url: str, is_postgres: bool) -> Iterator[dict[int, str]]:
    """Two database names beside the test database's, dropped before and after."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: set ODR_TEST_DATABASE_URL")
    url = make_url(normalise_url(database_url))
    names = {size: f"{url.database}_scale_{size}" for size in SIZES}
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    yield {s: url.set(database=n).render_as_string(hide_password=False) for s, n in names.items()}
    drop()
    admin.dispose()


@pytest.fixture(scope="module")
def results(urls: dict[int, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    output = tmp_path_factory.mktemp("bench-scale-pg") / "scale_pg.json"
    argv = ["--sizes", ",".join(map(str, SIZES)), "--build", "--overdue", str(DUE)]
    argv += ["--repeat", "2", "--values", "2", "--report-repeat", "1", "--output", str(output)]
    for size, url in urls.items():
        argv += ["--database", f"{size}={url}"]
    with pytest.MonkeyPatch.context() as patch:  # the builds' notes beside the output
        patch.setenv("ODR_BENCH_NOTES_DIR", str(output.parent))
        results = load("scale_pg").main(argv)
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_every_size_is_built_and_measured(results: dict, urls: dict[int, str]) -> None:
    assert results["skipped"] == []
    for size in SIZES:
        run = results["runs"][str(size)]
        assert run["note"]["cases"] == size and run["build_seconds"] > 0
        timed = {figure: page for figure, page in run["pages"].items() if not page["missing"]}
        # Every page answered 200 as the reader, who can write nothing: the dashboard's page and
        # the business's page read what the rollups stored.
        assert len(timed) == len(run["pages"])
        assert "dashboard page, stored figures (city office)" in timed
        assert all(page["statuses"] == [200] for page in timed.values())
        queue = run["pages"]["regulator queue (city office)"]
        assert queue["case_links"] > 0
        assert all(kind["statuses"] == [200] for kind in run["search"].values())
        assert run["search"]["case number (city office)"]["results_p50"] >= 1


def test_the_due_sweep_fires_and_is_rolled_back(results: dict) -> None:
    for size in SIZES:
        sweep = results["runs"][str(size)]["sweep"]
        assert sweep["idle"]["fired"] == 0
        busy = sweep["busy"]
        assert busy["expired"] == DUE and busy["still_due"] == 0
        assert busy["events_added"] == busy["system_events"] == DUE
        assert busy["due_after_undo"] == DUE  # the database is as it was


def test_the_chains_verify_and_the_report_agrees_with_its_loop(results: dict) -> None:
    for size in SIZES:
        run = results["runs"][str(size)]
        verified = run["verify"]  # (whether it found the chains intact is in exit_code:
        # a verification that records its pass cannot, as the read-only role)
        assert verified["events"] > size and verified["events_per_s"] > 0
        assert verified["bare_read_events_per_s"] > 0 and verified["output_tail"]
        assert run["report"]["seconds"]["month"] > 0  # report.measure checks its loop's figures
        rollups = run["rollups"]
        assert rollups["dashboard_p50_s"] > 0 and rollups["scorecard_p50_s"] > 0


def test_the_table_has_each_size_and_the_growth(results: dict) -> None:
    figures = [row["figure"] for row in results["table"]]
    for size in SIZES:
        assert any(f.endswith(f", {size:,}") and "sweep, none due" in f for f in figures)
    growth = [row for row in results["table"] if row["figure"].startswith("growth")]
    run = results["runs"][str(SIZES[0])]
    assert len(growth) == len(run["pages"]) + len(run["search"])
    assert all(row["target"] == 1.5 and row["value"] > 0 and row["ratio"] for row in growth)


def test_a_missing_size_is_skipped_and_named(urls: dict[int, str], tmp_path) -> None:
    missing = make_url(urls[SIZES[0]]).set(database="scale_no_such_database")
    argv = ["--sizes", "123", "--database", f"123={missing.render_as_string()}"]
    results = load("scale_pg").main([*argv, "--output", str(tmp_path / "none.json")])
    assert results["skipped"] == [123] and results["runs"] == {} and results["table"] == []
