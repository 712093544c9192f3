"""The `make bench` table: every figure of benchmarks/results/*.json with its target, baseline,
ratio and whether it met the target. Not a benchmark (`make bench` runs it last)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def rows_of(name: str, results: dict[str, Any]) -> list[dict[str, Any]]:
    """A script's own table rows, or one row per ratio for scripts that have none."""
    if isinstance(results.get("table"), list):
        return results["table"]
    return [
        {"figure": f"{name}: {key}", "value": value, "unit": "x", "target": None,
         "baseline": None, "baseline_name": "", "ratio": None, "passed": None}
        for key, value in (results.get("ratios") or {}).items()
        if isinstance(value, int | float)
    ]  # fmt: skip


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.4g} {unit}".strip()


def render(results_dir: Path, markdown: bool = False) -> tuple[str, int]:
    """The table as text, and how many figures missed their target."""
    lines = [
        ("script", "figure", "value", "target", "baseline", "ratio", "target met"),
    ]
    failed = 0
    for path in sorted(results_dir.glob("*.json")):
        results = json.loads(path.read_text(encoding="utf-8"))
        for row in rows_of(path.stem, results):
            unit = row.get("unit", "")
            baseline = row.get("baseline")
            lines.append(
                (
                    path.stem,
                    row["figure"],
                    _number(row["value"], unit),
                    "-" if row.get("target") is None else f"≤ {_number(row['target'], unit)}",
                    "-"
                    if baseline is None
                    else f"{_number(baseline, unit)} ({row.get('baseline_name', '')})",
                    "-" if row.get("ratio") is None else f"{row['ratio']:,.2f}x",
                    {True: "yes", False: "NO", None: "-"}[row.get("passed")],
                )
            )
            failed += row.get("passed") is False
    if markdown:
        rows = [f"| {' | '.join(line)} |" for line in lines]
        rows.insert(1, "|" + " --- |" * len(lines[0]))
        return "\n".join(rows), failed
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
    return text, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--markdown", action="store_true", help="a Markdown table (for READMEs)")
    args = parser.parse_args(argv)
    text, failed = render(args.results, args.markdown)
    print(text)
    print(f"\n{failed} figure(s) missed their target" if failed else "\nevery target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
