"""The monthly report benchmark runs end to end on a small N, and its per-case loop agrees with
the report's headline (the script stops if not); it never asserts on time."""

from __future__ import annotations

import importlib.util
import json
import sys

from odr.settings import SOURCE_ROOT

SCRIPT = SOURCE_ROOT / "benchmarks" / "report.py"


def test_report_benchmark_on_a_small_database(tmp_path):
    spec = importlib.util.spec_from_file_location("odr_bench_report", SCRIPT)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    output = tmp_path / "report.json"
    results = bench.main(
        ["--sizes", "2000", "--overdue", "10", "--repeat", "1", "--output", str(output),
         "--directory", str(tmp_path)]
    )  # fmt: skip
    [size] = results["sizes"]
    assert size["cases"] == 2000 and size["received"] > 0 and size["closed"] > 0
    assert set(size["seconds"]) == {"month", "quarter", "month + workbook", "per-case loop"}
    assert json.loads(output.read_text(encoding="utf-8"))["rows"][0]["baseline_name"] == (
        "per-case loop"
    )
