"""The transfer-routing report runs end to end on a small file: every row lands somewhere with
a clock, only rows with nothing usable go to triage, and a re-import creates nothing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from odr.settings import SOURCE_ROOT

SCRIPT = SOURCE_ROOT / "benchmarks" / "transfer_routing.py"


def test_transfer_routing_report(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("odr_bench_transfer_routing", SCRIPT)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    output = tmp_path / "routing.json"
    figures = bench.main(["--records", "60", "--output", str(output)])
    assert json.loads(output.read_text()) == figures
    assert figures["created"] == 60 and figures["rejected"] == {}
    assert figures["without_clock"] == 0
    assert set(figures["triage_by_kind"]) <= {"nothing"}
    assert figures["triage_by_kind"].get("nothing", 0) == figures["kind"].get("nothing", 0)
    assert figures["expired_at_first_sweep"] == figures["overdue_on_arrival"]
    assert figures["created_on_reimport"] == 0
