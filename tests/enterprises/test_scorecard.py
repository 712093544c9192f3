"""The scorecard's indicators on hand-built cases, with the exact figures they must give."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from complaints import submit_form

from odr.auth.actor import SYSTEM, Actor, consumer_actor
from odr.cases.followup import rate
from odr.cases.service import act
from odr.clock import SHANGHAI
from odr.enterprises.models import Enterprise
from odr.enterprises.scorecard import default_window, scorecard, scorecards, totals


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def new_enterprise(session, **values) -> Enterprise:  # type: ignore[no-untyped-def]
    defaults = {"kind": "platform", "region_code": "450103", "odr_status": "active"}
    enterprise = Enterprise(name=f"测试平台{uuid.uuid4().hex[:8]}", **{**defaults, **values})
    session.add(enterprise)
    session.flush()
    return enterprise


def file(session, rules, enterprise, when, n):  # type: ignore[no-untyped-def]
    return submit_form(
        session,
        rules,
        when,
        respondent_id=str(enterprise.id),
        respondent_name=enterprise.name,
        order_number=f"ORDER-{n}",
        purchase_date="2026-10-01",
    ).case


def agent(enterprise: Enterprise) -> Actor:
    return Actor("enterprise", "客服", enterprise_id=enterprise.id)


def build_cohort(session, rules):  # type: ignore[no-untyped-def]
    """Two weeks of November 2026 (no holidays): five cases in the window, one before it."""
    shop = new_enterprise(session)
    other = new_enterprise(session)
    mon2, tue10 = beijing(2026, 11, 2, 10), beijing(2026, 11, 10, 10)
    # A: an offer on Wed 4 (2 working days), accepted: settled; rated 5.
    a = file(session, rules, shop, mon2, 1)
    act(
        session,
        a,
        "propose_settlement",
        agent(shop),
        {"remedy": "refund", "message": "全额退款"},
        rules=rules,
        now=beijing(2026, 11, 4, 9),
    )
    act(
        session,
        a,
        "accept_offer",
        consumer_actor(a.id, "张三"),
        {},
        rules=rules,
        now=beijing(2026, 11, 4, 20),
    )
    rate(session, a, consumer_actor(a.id, "张三"), 5, "", beijing(2026, 11, 5, 9))
    # B: declined the same day (0 working days): escalated, on time.
    b = file(session, rules, shop, mon2, 2)
    act(
        session,
        b,
        "decline",
        agent(shop),
        {"reason": "非本店订单"},
        rules=rules,
        now=beijing(2026, 11, 2, 16),
    )
    # C: nothing done, the deadline expires: escalated overdue, no response.
    c = file(session, rules, shop, mon2, 3)
    act(session, c, "expire", SYSTEM, {}, rules=rules, now=beijing(2026, 11, 17, 0, 5))
    # D: an internal note (not a response), then a question on Fri 13 (3 working days),
    # then the consumer withdraws: closed at the enterprise stage, not settled; rated 2.
    d = file(session, rules, shop, tue10, 4)
    act(
        session,
        d,
        "add_note",
        agent(shop),
        {"note": "先核对订单"},
        rules=rules,
        now=beijing(2026, 11, 10, 11),
    )
    act(
        session,
        d,
        "request_information",
        agent(shop),
        {"question": "请提供照片"},
        rules=rules,
        now=beijing(2026, 11, 13, 9),
    )
    act(
        session,
        d,
        "withdraw",
        consumer_actor(d.id, "张三"),
        {"reason": "已私下解决"},
        rules=rules,
        now=beijing(2026, 11, 13, 12),
    )
    rate(session, d, consumer_actor(d.id, "张三"), 2, "一般", beijing(2026, 11, 14, 9))
    # E: still open.
    file(session, rules, shop, tue10, 5)
    # Before the window: not counted.
    file(session, rules, shop, beijing(2026, 10, 30, 10), 6)
    # Another enterprise's case.
    file(session, rules, other, mon2, 7)
    session.flush()
    return shop, other


SINCE, UNTIL = beijing(2026, 11, 2), beijing(2026, 11, 16)


def test_indicators_of_hand_built_cases(factory, rules):
    with factory.begin() as session:
        shop, other = build_cohort(session, rules)
        card = scorecard(session, shop.id, SINCE, UNTIL, rules.calendar)
        assert card.received == 5
        assert card.closed == 2
        assert card.escalated == 2
        assert card.escalated_by_reason == {"enterprise_declined": 1, "enterprise_overdue": 1}
        assert card.open == 1
        assert card.finished == 4
        assert card.on_time == 3 and card.on_time_rate == 0.75
        assert card.settled == 1 and card.settlement_rate == 0.25
        assert card.responded == 3
        assert card.response_working_days == 5  # A 2, B 0, D 3 (the note does not count)
        assert card.average_response_days == 5 / 3
        assert card.rated == 2 and card.average_rating == 3.5
        assert card.rating_counts == {5: 1, 2: 1}
        assert [(w.label, w.monday, w.count) for w in card.weekly] == [
            ("2026-W45", date(2026, 11, 2), 3),
            ("2026-W46", date(2026, 11, 9), 2),
        ]


def test_many_enterprises_at_once_and_empty_cards(factory, rules):
    with factory.begin() as session:
        shop, other = build_cohort(session, rules)
        idle = new_enterprise(session)
        cards = scorecards(session, [shop.id, other.id, idle.id], SINCE, UNTIL, rules.calendar)
        assert cards[shop.id].received == 5
        assert cards[other.id].received == 1 and cards[other.id].open == 1
        assert cards[idle.id].received == 0
        assert cards[idle.id].on_time_rate is None and cards[idle.id].settlement_rate is None
        assert [w.count for w in cards[idle.id].weekly] == [0, 0]
        everyone = scorecards(session, None, SINCE, UNTIL, rules.calendar, trend=False)
        assert everyone[shop.id].received == 5 and idle.id not in everyone
        rates = scorecards(session, [shop.id], SINCE, UNTIL, rules.calendar, response_times=False)
        assert rates[shop.id].on_time == 3 and rates[shop.id].responded == 0
        total = totals(cards.values(), SINCE, UNTIL)
        assert total.received == 6 and total.on_time == 3 and total.rated == 2


def test_platform_scorecard_counts_its_merchants_cases(factory, rules):
    with factory.begin() as session:
        platform = new_enterprise(session)
        merchant = new_enterprise(
            session, kind="merchant", odr_status="none", platform_id=platform.id
        )
        case = file(session, rules, merchant, beijing(2026, 11, 3, 10), 1)
        assert case.enterprise_id == platform.id
        assert scorecard(session, platform.id, SINCE, UNTIL, rules.calendar).received == 1
        assert scorecard(session, merchant.id, SINCE, UNTIL, rules.calendar).received == 0


def test_default_window_is_whole_weeks_to_today():
    since, until = default_window(beijing(2026, 11, 18, 15), weeks=2)
    assert since == beijing(2026, 11, 9) and until == beijing(2026, 11, 19)
