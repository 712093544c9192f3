"""12315 import speed: records/s through odr's import against plain executemany of its rows.

    python benchmarks/import_12315.py [--records N] [--output PATH]

Both run in the same process on SQLite files in a temporary folder, migrated the same way and
holding the same demo businesses and offices. odr's path reads the JSON Lines file, validates,
routes and stores each case with its two hash-chained events and its outbox rows
(`odr.intake.import12315.import_records`, the code behind `odr import-12315`). The baseline
then reads back every row that import wrote (cases, case_events, notifications) and inserts
them with plain `sqlite3` `executemany` into a copy of the database as it was before the
import: the same schema, indexes, foreign keys and pragmas, no Python work per row. Prints
both rates, the ratio and the peak memory; writes the figures as JSON.
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
# What the import writes, in the order foreign keys need.
TABLES = ("cases", "case_events", "notifications")
NOW = datetime(2026, 11, 27, 2, tzinfo=UTC)
# The same connection settings as odr.db.engine.make_engine gives SQLite.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


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


def prepare(path: Path) -> None:
    """A migrated database with the demo businesses, offices and pinned workflows."""
    from odr.cases.workflow_versions import pin_versions
    from odr.clock import utcnow
    from odr.db.engine import make_engine, make_session_factory, transaction
    from odr.db.migrate import upgrade
    from odr.demo import load_demo
    from odr.engine.rules import load_rules
    from odr.settings import SOURCE_ROOT

    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        load_demo(session, utcnow())
        pin_versions(session, load_rules(SOURCE_ROOT / "workflows"), utcnow())
    engine.dispose()


def copy_database(source: Path, target: Path) -> None:
    """A copy of a SQLite database (WAL included), through sqlite3's backup."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def bench_odr(path: Path, data: bytes) -> dict[str, Any]:
    """odr's import of the file: seconds (reading the file included), results by status."""
    from odr.db.engine import make_engine, make_session_factory
    from odr.engine.rules import load_rules
    from odr.intake.import12315 import import_records
    from odr.intake.transfer12315 import read_records
    from odr.settings import SOURCE_ROOT

    engine = make_engine(f"sqlite:///{path}")
    factory = make_session_factory(engine)
    rules = load_rules(SOURCE_ROOT / "workflows")
    start, cpu = time.perf_counter(), time.process_time()
    found, problems = read_records(data, filename="transfer.jsonl")
    results = import_records(factory, found, rules, NOW)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    statuses = {
        s: sum(r.status == s for r in results) for s in ("created", "duplicate", "rejected")
    }
    return {"seconds": seconds, "cpu_seconds": cpu, "unreadable": len(problems), **statuses}


def written_rows(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every row odr's import wrote: table -> (columns, rows)."""
    rows = {}
    with sqlite3.connect(path) as db:
        for table in TABLES:
            cursor = db.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 - our names
            columns = [d[0] for d in cursor.description]
            rows[table] = (columns, cursor.fetchall())
    db.close()
    return rows


def bench_executemany(
    path: Path, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]
) -> tuple[float, float]:
    """Seconds (wall clock, CPU) to insert the same rows with plain sqlite3 executemany, in
    one transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        db.execute(pragma)
    start, cpu = time.perf_counter(), time.process_time()
    db.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        columns, values = rows[table]
        marks = ", ".join("?" for _ in columns)
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)  # noqa: S608
    db.execute("COMMIT")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.close()
    return seconds, cpu


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    data = records(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        odr_db, baseline_db = folder / "odr.sqlite3", folder / "baseline.sqlite3"
        prepare(odr_db)
        copy_database(odr_db, baseline_db)
        odr = bench_odr(odr_db, data)
        # The process's peak resident size so far (tracemalloc would slow the import down).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        rows = written_rows(odr_db)
        base_seconds, base_cpu = bench_executemany(baseline_db, rows)
        check = written_rows(baseline_db)
    counts = {table: len(rows[table][1]) for table in TABLES}
    assert {t: len(check[t][1]) for t in TABLES} == counts
    total_rows = sum(counts.values())
    cases = counts["cases"]
    odr_rate = odr["created"] / odr["seconds"]
    base_rate = cases / base_seconds
    ratio = odr_rate / base_rate
    cpu_ratio = base_cpu / odr["cpu_seconds"] * odr["created"] / max(cases, 1)
    results = {
        "records": args.records,
        "odr": {
            "created": odr["created"],
            "duplicate": odr["duplicate"],
            "rejected": odr["rejected"] + odr["unreadable"],
            "seconds": round(odr["seconds"], 3),
            "cpu_seconds": round(odr["cpu_seconds"], 3),
            "records_per_s": round(odr_rate, 1),
        },
        "executemany": {
            "rows": counts,
            "seconds": round(base_seconds, 3),
            "cpu_seconds": round(base_cpu, 3),
            "records_per_s": round(base_rate, 1),
            "rows_per_s": round(total_rows / base_seconds, 1),
        },
        "ratio_odr_vs_executemany": round(ratio, 4),
        # The same by CPU time, which a machine loaded by others disturbs less.
        "cpu_ratio_odr_vs_executemany": round(cpu_ratio, 4),
        "peak_resident_mb": round(peak / 1e6, 1),
        "machine": {
            "python": sys.version.split()[0],
            "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    per_case = " + ".join(f"{counts[t] / max(cases, 1):.1f} {t}" for t in TABLES)
    print(f"12315 import of {args.records:,} JSON Lines records into SQLite ({per_case} a record)")
    print(f"  odr import (read, validate, route, store):        {odr_rate:10,.0f} records/s")
    print(
        f"  plain executemany of the same {total_rows:,} rows: {base_rate:10,.0f} records/s"
        f" ({total_rows / base_seconds:,.0f} rows/s)"
    )
    print(
        f"  ratio odr / executemany: {ratio:.1%} (by CPU time {cpu_ratio:.1%});"
        f" peak resident {peak / 1e6:.1f} MB"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
