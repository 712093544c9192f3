"""12315 import speed: records/s through odr's import against plain executemany of the same rows.

    python benchmarks/import_12315.py [--records N] [--output PATH]

Both run in the same process on fresh SQLite files in a temporary folder: odr's path parses the
JSON Lines file, validates, routes, stores the case, its two hash-chained events and the outbox
rows (`odr.intake.import12315.import_records`); the baseline inserts the cases' columns with one
`executemany` (no validation, no events). Prints both rates, the ratio and the peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "import_12315.json"
SHOPS = ("美团优选（南宁）", "多多买菜（南宁）", "兴盛优选（南宁）", "南宁市兴宁区好又多便利店")


def records(n: int) -> bytes:
    """N transfer records as JSON Lines, realistic in shape."""
    lines = []
    for i in range(n):
        lines.append(
            json.dumps(
                {
                    "投诉编号": f"1231520261120{i:08d}",
                    "登记时间": "2026-11-26 09:30:00",
                    "投诉人姓名": "陈七",
                    "联系电话": f"1360{i % 10_000_000:07d}",
                    "联系地址": "南宁市西乡塘区大学东路",
                    "被投诉人名称": SHOPS[i % len(SHOPS)],
                    "商品或服务名称": "冷冻虾仁 500g",
                    "消费时间": "2026-11-20",
                    "消费金额": "59.90",
                    "订单号": f"DD{i:09d}",
                    "投诉诉求": "退款",
                    "投诉内容": "收到的虾仁已解冻变质，平台客服不予处理，要求退款。",
                    "是否选择ODR": "是",
                },
                ensure_ascii=False,
            )
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def bench_odr(folder: Path, data: bytes) -> tuple[float, int, int]:
    """Seconds, cases created, peak resident bytes for odr's import of the file."""
    from odr.cases.service import utcnow
    from odr.cases.workflow_versions import pin_versions
    from odr.db.engine import make_engine, make_session_factory, transaction
    from odr.db.migrate import upgrade
    from odr.demo import load_demo
    from odr.engine.rules import load_rules
    from odr.intake.import12315 import import_records
    from odr.intake.transfer12315 import read_records
    from odr.settings import SOURCE_ROOT

    url = f"sqlite:///{folder / 'odr.sqlite3'}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    rules = load_rules(SOURCE_ROOT / "workflows")
    with transaction(factory) as session:
        load_demo(session, utcnow())
        pin_versions(session, rules, utcnow())
    start = time.perf_counter()
    found, _ = read_records(data, filename="transfer.jsonl")
    results = import_records(factory, found, rules, datetime(2026, 11, 27, 2, tzinfo=UTC))
    seconds = time.perf_counter() - start
    # tracemalloc would slow the import several times over: the process's peak resident size.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return seconds, sum(r.status == "created" for r in results), peak


def bench_executemany(folder: Path, n: int) -> float:
    """Seconds to insert n rows of a case's columns with one executemany (the floor)."""
    db = sqlite3.connect(folder / "baseline.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE cases (id INTEGER PRIMARY KEY, number TEXT UNIQUE, external_id TEXT, "
        "complainant_name TEXT, complainant_phone TEXT, complainant_address TEXT, "
        "respondent_name TEXT, product TEXT, purchase_date TEXT, amount TEXT, "
        "order_number TEXT, claim_type TEXT, facts TEXT, state TEXT, received_at TEXT)"
    )
    rows = [
        (
            f"ODR{i:012d}",
            f"1231520261120{i:08d}",
            "陈七",
            f"+861360{i:07d}",
            "南宁市西乡塘区大学东路",
            SHOPS[i % len(SHOPS)],
            "冷冻虾仁 500g",
            "2026-11-20",
            "59.90",
            f"DD{i:09d}",
            "refund",
            "收到的虾仁已解冻变质。",
            "negotiation",
            "2026-11-27T02:00:00Z",
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO cases (number, external_id, complainant_name, complainant_phone, "
            "complainant_address, respondent_name, product, purchase_date, amount, "
            "order_number, claim_type, facts, state, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    db.close()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    data = records(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        odr_seconds, created, peak = bench_odr(folder, data)
        base_seconds = bench_executemany(folder, args.records)
    odr_rate, base_rate = created / odr_seconds, args.records / base_seconds
    results = {
        "records": args.records,
        "created": created,
        "odr_records_per_s": round(odr_rate, 1),
        "executemany_rows_per_s": round(base_rate, 1),
        "ratio_odr_vs_executemany": round(odr_rate / base_rate, 4),
        "peak_resident_mb": round(peak / 1e6, 1),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    print(f"12315 import of {args.records:,} JSON Lines records into SQLite")
    print(f"  odr import (validate, route, case + 2 events + outbox): {odr_rate:10,.0f} records/s")
    print(f"  plain executemany of the case rows (baseline):          {base_rate:10,.0f} rows/s")
    print(
        f"  ratio odr / executemany: {odr_rate / base_rate:.2%}; peak resident {peak / 1e6:.1f} MB"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
