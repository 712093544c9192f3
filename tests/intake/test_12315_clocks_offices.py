"""Every 12315 transfer gets its clock and its office, against businesses odr does not know.

A GBK CSV with Chinese headers, as 12315 exports it, of complaints against businesses that are
not enrolled: each case's office, received moment (登记时间) and deadline (to the day, across
National Day 2026), no case without a clock, a case overdue on arrival overdue at the next
sweep, and a re-import that creates nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from test_12315 import as_csv, record

from odr.cases.models import Case
from odr.cases.queues import queue_condition
from odr.cases.sweeper import sweep
from odr.demo import demo_uscc
from odr.intake.import12315 import import_records
from odr.intake.transfer12315 import read_records

# Arrives on Tuesday 29 September 2026, 10:00 Beijing time.
ARRIVAL = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
QINGXIU_USCC = demo_uscc("450103", "MA5T7C0Q1")  # valid, region 青秀区, not in odr
BEIJING_USCC = demo_uscc("110105", "MA5T7C0Q2")  # valid, region 朝阳区 (Beijing): no office here


def end_of(year: int, month: int, day: int) -> datetime:
    """23:59:59 Beijing time of a day, as UTC."""
    return datetime(year, month, day, 15, 59, 59, tzinfo=UTC)


def transfer_file() -> bytes:
    def row(number: str, name: str, **fields: str) -> dict[str, str]:
        return record(number, 被投诉人名称=name, 是否选择ODR="否", 消费时间="2026/8/20", **fields)

    rows = [
        # Registered Monday 28 September: 7 working days over National Day (1-7 Oct off,
        # Saturday 10 Oct a make-up working day): 29, 30 Sep, 8, 9, 10, 12, 13 Oct.
        row("C1", "青秀某生鲜店T7", 统一社会信用代码=QINGXIU_USCC, 登记时间="2026-09-28 09:00:00"),
        row(
            "C2",
            "西乡塘某水果摊T7",
            被投诉人地址="南宁市西乡塘区大学东路9号",
            登记时间="2026/9/28 9:00",
        ),
        row(
            "C3",
            "某网店T7",
            被投诉人地址="网店，地址不详",
            承办单位="南宁市良庆区市场监督管理局",
            登记时间="2026-09-28T09:00:00+08:00",
        ),
        row(
            "C4",
            "外地某公司T7",
            统一社会信用代码=BEIJING_USCC,
            被投诉人地址="网店，地址不详",
            登记时间="2026-09-28 09:00:00",
        ),
        # Registered a month ago: its 7 working days ran out on 10 September.
        row(
            "C5",
            "江南某超市T7",
            被投诉人地址="南宁市江南区星光大道1号",
            登记时间="2026-09-01 09:00:00",
        ),
        # No 登记时间: its arrival stands for it, flagged.
        row("C6", "兴宁某饭店T7", 被投诉人地址="南宁市兴宁区民主路2号", 登记时间=""),
    ]
    return as_csv(rows, "gbk")


def test_transfers_against_unenrolled_businesses_get_office_and_clock(factory, rules):
    records, problems = read_records(transfer_file())
    assert problems == []
    results = import_records(factory, records, rules, ARRIVAL)
    assert [r.status for r in results] == ["created"] * 6, results

    with factory() as session:
        cases = {
            c.external_id: c for c in session.scalars(select(Case).where(Case.channel == "12315"))
        }
        office = {k: c.office.region_code for k, c in cases.items()}
        state = {k: c.state for k, c in cases.items()}
        assert office == {
            "C1": "450103",  # the USCC's region
            "C2": "450107",  # the district the address names
            "C3": "450108",  # the 承办单位 12315 named
            "C4": "450100",  # nothing usable: the intake office's triage
            "C5": "450105",
            "C6": "450102",
        }
        assert state == {k: "triage" if k == "C4" else "acceptance" for k in office}
        assert "USCC region 110105 has no office here" in cases["C4"].routing_note
        assert all(c.respondent.record_status == "unverified" for c in cases.values())

        registered = datetime(2026, 9, 28, 1, 0, tzinfo=UTC)
        for key in ("C1", "C2", "C3", "C4"):
            case = cases[key]
            assert case.received_at == registered, key
            assert case.transferred_at == ARRIVAL and not case.received_at_assumed
            assert case.clock_started_at == registered
            # Triage runs the same 7 working days as acceptance.
            assert case.due_at == end_of(2026, 10, 13), key
        assert cases["C5"].due_at == end_of(2026, 9, 10)
        assert cases["C6"].received_at == ARRIVAL and cases["C6"].received_at_assumed
        assert cases["C6"].due_at == end_of(2026, 10, 14)  # from 29 Sep: 30 Sep, 8-14 Oct
        assert all(c.due_at is not None for c in cases.values()), "a case without a clock"
        overdue = session.scalars(
            select(Case.external_id).where(queue_condition("overdue", ARRIVAL))
        ).all()
        assert set(overdue) == {"C5"}

    # The next sweep climbs the ladder for the case that arrived overdue, and only for it.
    swept = sweep(factory, rules, ARRIVAL + timedelta(minutes=1))
    assert swept.expired == 1
    with factory() as session:
        c5 = session.scalar(select(Case).where(Case.external_id == "C5"))
        assert c5.state == "acceptance_overdue" and c5.due_at > ARRIVAL
        assert c5.events[-1].trigger == "expire"

    # The same file again creates nothing.
    again = import_records(factory, read_records(transfer_file())[0], rules, ARRIVAL)
    assert [r.status for r in again] == ["duplicate"] * 6


def test_triage_climbs_the_acceptance_ladder(factory, rules):
    records, _ = read_records(transfer_file())
    import_records(factory, [r for r in records if r.fields["external_id"] == "C4"], rules, ARRIVAL)
    after_deadline = end_of(2026, 10, 13) + timedelta(seconds=1)
    assert sweep(factory, rules, after_deadline).expired == 1
    with factory() as session:
        case = session.scalar(select(Case).where(Case.external_id == "C4"))
        assert case.state == "triage_overdue" and case.due_at is not None
        assert (
            case.external_id
            in session.scalars(
                select(Case.external_id).where(queue_condition("overdue", after_deadline))
            ).all()
        )
    assert sweep(factory, rules, after_deadline + timedelta(days=5)).expired == 1
    with factory() as session:
        case = session.scalar(select(Case).where(Case.external_id == "C4"))
        assert case.state == "triage_escalated"
        assert [e.trigger for e in case.events][-2:] == ["expire", "escalate"]
