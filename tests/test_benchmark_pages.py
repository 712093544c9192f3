"""The pages benchmark renders every staff page it knows on a small database; no timing asserted."""

from __future__ import annotations

import json

import pytest
from test_benchmark_demo import load


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("bench-pages")
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
