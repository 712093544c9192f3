"""The 12315 import benchmark runs end to end on a small N; it never asserts on time."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType

import pytest

from odr.settings import SOURCE_ROOT

SCRIPT = SOURCE_ROOT / "benchmarks" / "import_12315.py"
N = 40


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The benchmark script, imported as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("odr_bench_import_12315", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict:
    output = tmp_path_factory.mktemp("bench") / "import_12315.json"
    results = bench.main(["--records", str(N), "--output", str(output)])
    assert json.loads(output.read_text(encoding="utf-8")) == results
    return results


def test_every_record_is_imported(results: dict) -> None:
    assert results["records"] == N
    assert results["odr"]["created"] == N
    assert results["odr"]["duplicate"] == results["odr"]["rejected"] == 0


def test_baseline_inserts_every_row_the_import_wrote(results: dict) -> None:
    rows = results["executemany"]["rows"]
    assert rows["cases"] == N
    assert rows["case_events"] == 2 * N  # submit and route
    # The consumer's SMS, and the enterprise's or the office's in-app notice.
    assert rows["notifications"] >= 2 * N
    assert results["executemany"]["records_per_s"] > 0
    assert results["executemany"]["rows_per_s"] > results["executemany"]["records_per_s"]


def test_figures_are_complete(results: dict) -> None:
    assert results["odr"]["records_per_s"] > 0
    assert results["ratio_odr_vs_executemany"] > 0
    assert results["peak_resident_mb"] > 0
    assert {"python", "sqlite", "platform", "cpus", "date"} <= set(results["machine"])


def test_default_is_the_issues_hundred_thousand(bench: ModuleType) -> None:
    assert bench.parse_args([]).records == 100_000
