"""The 12315 updates feed: every status change of a transferred case once, in commit order, with
no gap behind the cursor, even when transactions commit in another order than their ids."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from complaints import submit_form
from litestar.testing import TestClient
from sqlalchemy import select

from odr.app import create_app
from odr.auth.actor import Actor
from odr.cases.models import Case, CaseEvent
from odr.cases.service import act
from odr.clock import utcnow
from odr.intake.feed12315 import number_committed_events
from odr.intake.import12315 import import_records
from odr.intake.transfer12315 import read_records

TOKEN = "test-12315-feed-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def transfer(factory, rules, *numbers: str) -> None:  # type: ignore[no-untyped-def]
    lines = [
        {
            "投诉编号": number,
            "登记时间": "2026-11-26 09:30:00",
            "投诉人姓名": "陈七",
            "联系电话": "13600136000",
            "联系地址": "南宁市西乡塘区大学东路",
            "被投诉人名称": "多多买菜（南宁）",
            "商品或服务名称": "冷冻虾仁 500g",
            "消费时间": "2026-11-20",
            "消费金额": "59.90",
            "订单号": f"DD-{number}",
            "投诉诉求": "退款",
            "投诉内容": "收到的虾仁已解冻变质，平台客服不予处理。",
            "是否选择ODR": "是",
        }
        for number in numbers
    ]
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    records, problems = read_records(data, "jsonl")
    assert problems == []
    results = import_records(factory, records, rules, utcnow())
    assert [r.status for r in results] == ["created"] * len(numbers)


def ask_for_information(session, rules, external_id: str) -> CaseEvent:  # type: ignore[no-untyped-def]
    """The enterprise asks the consumer a question: one event on the case."""
    case = session.scalar(select(Case).where(Case.external_id == external_id))
    agent = Actor("enterprise", "多多买菜 客服", enterprise_id=case.enterprise_id)
    return act(
        session, case, "request_information", agent, {"question": "请提供订单截图"}, rules=rules
    )


def read_all(client: TestClient, cursor: int, limit: int = 500) -> tuple[list[dict], int]:
    """Every update after `cursor`, page by page; and the last cursor."""
    seen: list[dict] = []
    while True:
        page = client.get(
            "/api/v1/intake/12315/updates", params={"cursor": cursor, "limit": limit}, headers=AUTH
        )
        assert page.status_code == 200, page.text
        body = page.json()
        if not body["updates"]:
            assert body["cursor"] == cursor
            return seen, cursor
        seen += body["updates"]
        cursor = body["cursor"]


@pytest.fixture
def feed_client(settings, factory, demo_logins):  # type: ignore[no-untyped-def]
    with TestClient(create_app(replace(settings, transfer_token=TOKEN))) as client:
        yield client


def test_feed_shows_each_change_at_once_in_order_page_by_page(feed_client, factory, rules):
    transfer(factory, rules, "F1", "F2", "F3")
    with factory.begin() as session:
        ask_for_information(session, rules, "F2")

    # No waiting: a committed change is in the feed at once; pages of 2 join up without a gap.
    updates, cursor = read_all(feed_client, 0, limit=2)
    assert [(u["number"], u["event"]) for u in updates] == [
        ("F1", "submit"),
        ("F1", "route"),
        ("F2", "submit"),
        ("F2", "route"),
        ("F3", "submit"),
        ("F3", "route"),
        ("F2", "request_information"),
    ]
    assert updates[-1]["state"] == "awaiting_information"
    cursors = [u["cursor"] for u in updates]
    assert cursors == sorted(set(cursors)) and cursor == cursors[-1]

    # A web complaint is not a transfer: not in the feed.
    with factory.begin() as session:
        submit_form(session, rules, utcnow())
    transfer(factory, rules, "F4")
    later, _ = read_all(feed_client, cursor)
    assert [(u["number"], u["event"]) for u in later] == [("F4", "submit"), ("F4", "route")]


def test_a_slow_transaction_leaves_no_gap_behind_the_cursor(
    postgres_only, feed_client, factory, rules
):
    transfer(factory, rules, "G1", "G2")
    before, cursor = read_all(feed_client, 0)
    assert len(before) == 4

    # A takes the lower event id and stays open; B takes a higher id and commits first.
    slow = factory()
    slow.begin()
    try:
        event_a = ask_for_information(slow, rules, "G1")
        with factory.begin() as session:
            event_b = ask_for_information(session, rules, "G2")
        assert event_a.id < event_b.id  # a cursor on ids would now skip A's event for good

        while_open, cursor = read_all(feed_client, cursor)
        assert [(u["number"], u["event"]) for u in while_open] == [("G2", "request_information")]
        slow.commit()
    finally:
        slow.close()

    after_commit, cursor = read_all(feed_client, cursor)
    assert [(u["number"], u["event"]) for u in after_commit] == [("G1", "request_information")]
    # Each change once, in commit order, cursors rising with no change left behind.
    everything = before + while_open + after_commit
    cursors = [u["cursor"] for u in everything]
    assert cursors == sorted(set(cursors))
    from_start, _ = read_all(feed_client, 0)
    assert from_start == everything


def test_numbering_gives_each_committed_event_one_position(postgres_only, factory, rules):
    transfer(factory, rules, "H1", "H2")
    first = number_committed_events(factory)
    assert first >= 4  # the transfers' events (and any left unnumbered before)
    assert number_committed_events(factory) == 0
    with factory() as session:
        positions = session.scalars(select(CaseEvent.feed_position).order_by(CaseEvent.id)).all()
    assert None not in positions and positions == sorted(positions)
