"""The pages benchmark renders every staff page it knows on a small database; no timing asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_benchmark_demo import load


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the small database is built once for the tests of this module."""
    return tmp_path_factory.mktemp("bench-pages")


@pytest.fixture(scope="module")
def results(directory: Path) -> dict:
    output = directory / "pages.json"
    results = load("pages").main(
        ["--cases", "300", "--overdue", "10", "--repeat", "2", "--cache", str(directory),
         "--output", str(output)]
    )  # fmt: skip
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_inbox_and_queues_render_with_cases(results: dict) -> None:
    pages = results["pages"]
    for figure in ("enterprise inbox (meituan)", "regulator queue (district office)"):
        page = pages[figure]
        assert not page["missing"] and page["statuses"] == [200]
        assert page["case_links"] > 0  # the generated cases are listed


def test_each_timed_page_has_a_table_row(results: dict) -> None:
    timed = [figure for figure, page in results["pages"].items() if not page["missing"]]
    assert [row["figure"] for row in results["table"]] == [f"{f} (p50)" for f in timed]
    assert results["baseline_health_live_p50_ms"] > 0


def test_pages_are_timed_again_while_an_import_runs(results: dict, directory: Path) -> None:
    results = load("pages").main(
        ["--cases", "300", "--overdue", "10", "--repeat", "2", "--cache", str(directory),
         "--output", str(directory / "during.json"), "--during-import", "6000"]
    )  # fmt: skip
    during = results["during_import"]
    assert during["records"] == 6000 and during["records_per_s"] > 0
    timed = [figure for figure, page in results["pages"].items() if not page["missing"]]
    assert sorted(during["pages"]) == sorted(timed)
    for page in during["pages"].values():  # each page answered while the import wrote
        assert page["requests"] >= 1 and page["ratio_to_idle"] > 0
