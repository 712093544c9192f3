"""Where a realistic 12315 transfer file lands: office queues, triage (and why), overdue.

    python benchmarks/transfer_routing.py [--records N] [--seed S] [--output PATH]

Makes a GBK CSV with 12315's Chinese headers (about 200 rows by default), mixed as real
transfers are: complaints against businesses odr knows (some enrolled as ODR enterprises),
against businesses it does not know that carry a valid USCC of a Nanning district, that give
only an address, only the 承办单位 12315 named, or nothing usable (a USCC of another province,
an address without a district); a share registered weeks ago (old 登记时间) and a few without
登记时间. Imports it into a migrated SQLite database with the demo offices and businesses, runs
the sweeper once a minute later, and prints where each row landed: a competent office's
acceptance queue, an enterprise's negotiation, triage (with the note saying why), overdue on
arrival, and whether any case runs no clock. Writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "transfer_routing.json"
NOW = datetime(2026, 11, 27, 2, tzinfo=UTC)  # Friday 27 November 2026, 10:00 Beijing time
KNOWN = ("美团优选（南宁）", "多多买菜（南宁）", "兴盛优选（南宁）")
DISTRICTS = {
    "450102": "兴宁区",
    "450103": "青秀区",
    "450105": "江南区",
    "450107": "西乡塘区",
    "450108": "良庆区",
    "450109": "邕宁区",
}
KINDS = ("known", "uscc", "address", "handling_office", "nothing")
WEIGHTS = (0.25, 0.2, 0.25, 0.15, 0.15)


def rows(n: int, seed: int) -> list[dict[str, str]]:
    """N transfer records as 12315 exports them; each row's kind in its 投诉内容's first word."""
    from odr.demo import demo_uscc
    from odr.intake.transfer12315 import HEADERS

    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = rng.choices(KINDS, WEIGHTS)[0]
        district = rng.choice(list(DISTRICTS))
        shop = f"南宁某商户{i:04d}"
        row = dict.fromkeys(HEADERS, "")
        row |= {
            "投诉编号": f"1231520261127{i:06d}",
            "投诉人姓名": "陈七",
            "联系电话": f"136{rng.randrange(10**8):08d}",
            "联系地址": "南宁市西乡塘区大学东路",
            "被投诉人名称": shop,
            "商品或服务名称": "冷冻虾仁 500g",
            "消费时间": "2026/10/20",
            "消费金额": "59.90元",
            "订单号": f"DD-{i}",
            "投诉诉求": rng.choice(("退款", "赔偿", "更换")),
            "投诉内容": f"{kind}：收到的虾仁已解冻变质，商家不予处理。",
            "是否选择ODR": rng.choice(("是", "否")),
        }
        if kind == "known":
            row["被投诉人名称"] = rng.choice(KNOWN)
        elif kind == "uscc":
            row["统一社会信用代码"] = demo_uscc(district, f"MA5{rng.randrange(10**5):05d}X")
        elif kind == "address":
            row["被投诉人地址"] = f"南宁市{DISTRICTS[district]}某路{i}号"
        elif kind == "handling_office":
            row["被投诉人地址"] = "网店，地址不详"
            row["承办单位"] = f"南宁市{DISTRICTS[district]}市场监督管理局"
        else:
            row["被投诉人地址"] = "网店，地址不详"
            if rng.random() < 0.5:
                row["统一社会信用代码"] = demo_uscc("110105", f"MA5{rng.randrange(10**5):05d}Y")
        age = rng.random()
        if age < 0.05:
            registered = None  # not given
        elif age < 0.20:
            registered = NOW - timedelta(days=rng.randint(15, 60))  # long before the transfer
        else:
            registered = NOW - timedelta(hours=rng.randint(1, 72))
        if registered is not None:
            local = registered.astimezone(UTC) + timedelta(hours=8)
            row["登记时间"] = f"{local:%Y/%m/%d} {local.hour}:{local:%M}"
        out.append(row)
    return out


def as_gbk_csv(records: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode("gbk")


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


def landing(path: Path, data: bytes) -> dict[str, Any]:
    """Import the file and sweep once; where every row landed."""
    from sqlalchemy import select

    from odr.cases.models import Case
    from odr.cases.queues import queue_condition
    from odr.cases.sweeper import sweep
    from odr.db.engine import make_engine, make_session_factory
    from odr.engine.rules import load_rules
    from odr.intake.import12315 import import_records
    from odr.intake.transfer12315 import read_records
    from odr.settings import SOURCE_ROOT

    engine = make_engine(f"sqlite:///{path}")
    factory = make_session_factory(engine)
    rules = load_rules(SOURCE_ROOT / "workflows")
    found, problems = read_records(data, filename="transfer.csv")
    results = import_records(factory, found, rules, NOW)
    with factory() as session:
        cases = list(session.scalars(select(Case).where(Case.channel == "12315")))
        arrived = {
            "kind": Counter(c.facts.split("：")[0] for c in cases),
            "state": Counter(c.state for c in cases),
            "office_acceptance": Counter(
                c.office.name for c in cases if c.state == "acceptance" and c.office
            ),
            "triage_reasons": Counter(c.routing_note for c in cases if c.state == "triage"),
            "triage_by_kind": Counter(c.facts.split("：")[0] for c in cases if c.state == "triage"),
            "overdue_on_arrival": sum(c.due_at is not None and c.due_at < NOW for c in cases),
            "without_clock": sum(c.due_at is None for c in cases),
            "received_moment_missing": sum(c.received_at_assumed for c in cases),
        }
    swept = sweep(factory, rules, NOW + timedelta(minutes=1))
    with factory() as session:
        overdue_queue = len(
            session.scalars(
                select(Case.id).where(queue_condition("overdue", NOW + timedelta(minutes=1)))
            ).all()
        )
    again = import_records(factory, read_records(data, filename="transfer.csv")[0], rules, NOW)
    engine.dispose()
    return {
        "records": len(found) + len(problems),
        "created": sum(r.status == "created" for r in results),
        "duplicate_in_file": sum(r.status == "duplicate" for r in results),
        "rejected": {f"{r.field}: {r.reason}": 1 for r in results if r.status == "rejected"},
        **{k: dict(v) if isinstance(v, Counter) else v for k, v in arrived.items()},
        "expired_at_first_sweep": swept.expired,
        "overdue_queue_after_sweep": overdue_queue,
        "created_on_reimport": sum(r.status == "created" for r in again),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12315)
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    data = as_gbk_csv(rows(args.records, args.seed))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "odr.sqlite3"
        prepare(path)
        figures = landing(path, data)
    figures |= {"seed": args.seed, "now": NOW.isoformat()}
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
