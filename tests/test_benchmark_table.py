"""The `make bench` table reads every results file: a script's table rows, else its ratios."""

from __future__ import annotations

import json
from pathlib import Path

from test_benchmark_demo import load


def test_rows_targets_and_ratios_are_printed(tmp_path: Path) -> None:
    row = {"figure": "sweep, none due", "value": 4.2, "unit": "ms", "target": 20.0,
           "baseline": 0.5, "baseline_name": "bare SELECT", "ratio": 8.4, "passed": True}  # fmt: skip
    missed = row | {"figure": "inbox", "value": 45.0, "target": 30.0, "passed": False}
    (tmp_path / "sweep.json").write_text(json.dumps({"table": [row, missed]}))
    (tmp_path / "state_machine.json").write_text(json.dumps({"ratios": {"speed": 37.5}}))
    text, failed = load("table").render(tmp_path)
    assert failed == 1
    lines = text.splitlines()
    assert lines[1].split()[:2] == ["state_machine", "state_machine:"]
    assert "37.5 x" in lines[1]
    assert "4.2 ms" in lines[2] and "≤ 20 ms" in lines[2] and "8.40x" in lines[2]
    assert lines[2].endswith("yes") and lines[3].endswith("NO")
    markdown, _ = load("table").render(tmp_path, markdown=True)
    assert markdown.splitlines()[1].startswith("| --- |")
