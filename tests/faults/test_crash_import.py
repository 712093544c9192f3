"""`odr import-12315 FILE` killed with SIGKILL half-way through a large file, then run again:
every valid record is imported exactly once, the invalid ones are rejected both times, no case is
half-written and the hash chains verify. (tests/intake/test_12315.py covers the resume on a
first run that stopped early without a kill.)"""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from fault_support import ODR, Processes, chain_problems, half_written
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from odr.cases.models import Case
from odr.db.engine import make_engine, make_session_factory
from odr.intake.transfer12315 import HEADERS

pytestmark = pytest.mark.slow
RECORDS = 5000  # 3 transactions of the importer (odr.intake.import12315.BATCH)
INVALID = 50  # every 100th record has too short a complaint


def _record(i: int) -> dict[str, str]:
    return {
        "投诉编号": f"KILL-{i:05d}",
        "登记时间": "2026-11-26 09:30:00",
        "投诉人姓名": "陈七",
        "联系电话": f"136{i:08d}",
        "联系地址": "南宁市西乡塘区大学东路",
        "被投诉人名称": ("多多买菜（南宁）", "美团优选（南宁）")[i % 2],
        "统一社会信用代码": "",
        "被投诉人地址": "",
        "商品或服务名称": "冷冻虾仁 500g",
        "消费时间": "2026/11/20",
        "消费金额": "59.90元",
        "订单号": f"DD-{i}",
        "投诉诉求": "退款",
        "投诉内容": "短" if i % 100 == 7 else "收到的虾仁已解冻变质，平台客服不予处理。",
        "是否选择ODR": "是",
        "承办单位": "",
    }


def test_import_killed_half_way_and_run_again_imports_each_record_once(
    fault_database: str, processes: Processes, tmp_path: Path
) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(HEADERS))
    writer.writeheader()
    writer.writerows(_record(i) for i in range(RECORDS))
    file = tmp_path / "transfer.csv"
    file.write_bytes(out.getvalue().encode("gbk"))
    engine = make_engine(fault_database)
    factory = make_session_factory(engine)

    def imported() -> int:
        """Cases stored so far, read without waiting for the importer's transaction: odr's own
        SQLite sessions BEGIN IMMEDIATE and would queue behind it, then lose the race for the
        lock to its next batch, so the first commit would go unseen."""
        parsed = make_url(fault_database)
        if parsed.get_backend_name() != "sqlite":
            with factory() as session:
                return session.scalar(select(func.count()).select_from(Case)) or 0
        reader = sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True, isolation_level=None)
        try:
            return reader.execute("SELECT count(*) FROM cases").fetchone()[0]
        finally:
            reader.close()

    first = processes.start("import", "import-12315", str(file))
    # Killed as soon as its first transaction is in (batches commit whole, or not at all).
    deadline = time.monotonic() + 90
    while not imported() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    processes.kill(first)
    at_kill = imported()
    assert 0 < at_kill < RECORDS - INVALID, processes.tails()  # the kill landed half-way

    again = subprocess.run(
        [ODR, "import-12315", str(file)],
        env=processes.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{RECORDS} record(s): " in again.stdout
    assert f"{INVALID} rejected" in again.stdout
    with factory() as session:
        ids = Counter(session.scalars(select(Case.external_id)))
        assert ids == Counter(
            {f"KILL-{i:05d}": 1 for i in range(RECORDS) if i % 100 != 7}
        )  # each valid record once, none of the invalid ones
        assert half_written(session) == []
        assert chain_problems(session) == []
    engine.dispose()
