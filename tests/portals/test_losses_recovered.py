"""Losses recovered (挽回经济损失): the party that closes a settlement, a mediation agreement or a
seven-day return enters or confirms the amount; it is in the event, on the case, and counted on
the dashboard (in total, by office, platform, category and week) and on the scorecards."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from regulator_cases import MERCHANT, SHOP, actor, file

from odr.auth.actor import consumer_actor
from odr.cases import stats
from odr.cases.service import act
from odr.clock import SHANGHAI, utcnow
from odr.enterprises.scorecard import scorecards
from odr.errors import InvalidData


def settle(session, rules, now, phone, amount, confirmed=None):  # type: ignore[no-untyped-def]
    case = file(session, rules, now=now, respondent_name=MERCHANT, complainant_phone=phone)
    meituan = actor(session, "meituan")
    act(
        session,
        case,
        "propose_settlement",
        meituan,
        {"remedy": "refund", "amount": amount, "message": "退款"},
        rules=rules,
        now=now,
    )
    data = {"recovered_amount": confirmed} if confirmed else {}
    act(session, case, "accept_offer", consumer_actor(case.id, "张三"), data, rules=rules, now=now)
    return case


def test_each_closing_party_records_the_amount(factory, rules, client, demo_logins):  # type: ignore[no-untyped-def]
    now = utcnow() - timedelta(hours=2)
    with factory.begin() as session:
        offered = settle(session, rules, now, "13000000001", "39.90")
        corrected = settle(session, rules, now, "13000000002", "50.00", confirmed="35.00")
        assert offered.recovered_amount == Decimal("39.90")
        assert corrected.recovered_amount == Decimal("35.00")
        assert corrected.events[-1].payload["recovered_amount"] == "35.00"

        rejected = file(
            session, rules, now=now, respondent_name=MERCHANT, complainant_phone="13000000003"
        )
        meituan = actor(session, "meituan")
        act(
            session,
            rejected,
            "propose_settlement",
            meituan,
            {"remedy": "refund", "amount": "20.00", "message": "退款"},
            rules=rules,
            now=now,
        )
        act(
            session,
            rejected,
            "reject_offer",
            consumer_actor(rejected.id, "张三"),
            {},
            rules=rules,
            now=now,
        )
        assert rejected.recovered_amount is None  # an offer refused recovers nothing

        mediated = file(
            session, rules, now=now, respondent_name=SHOP, complainant_phone="13000000004"
        )
        xingning = actor(session, "reg450102")
        act(session, mediated, "accept", xingning, {}, rules=rules, now=now)
        agreement = {
            "terms": "退款并赔偿",
            "consumer_confirmation": "confirmed",
            "respondent_confirmation": "confirmed",
        }
        with pytest.raises(InvalidData) as bad:
            act(
                session,
                mediated,
                "record_agreement",
                xingning,
                {**agreement, "recovered_amount": "一百"},
                rules=rules,
                now=now,
            )
        assert set(bad.value.errors) == {"recovered_amount"}
        act(
            session,
            mediated,
            "record_agreement",
            xingning,
            {**agreement, "recovered_amount": "120.50"},
            rules=rules,
            now=now,
        )
        assert mediated.recovered_amount == Decimal("120.50") and mediated.outcome == "mediated"

        bought = (now - timedelta(days=3)).astimezone(SHANGHAI).date().isoformat()
        returned = file(
            session,
            rules,
            now=now,
            respondent_name=MERCHANT,
            complainant_phone="13000000005",
            claim_type="seven_day_return",
            delivery_date=bought,
            goods_category="general",
            goods_intact="1",
        )
        consumer = consumer_actor(returned.id, "张三")
        steps = [
            (
                "give_return_address",
                meituan,
                {"return_address": "南宁市青秀区仓库", "contact": "李四 13800000000"},
            ),
            ("enter_shipment", consumer, {"carrier": "顺丰", "tracking_number": "SF123"}),
            ("confirm_receipt", meituan, {}),
            ("mark_refunded", meituan, {"amount": "88.00", "reference": "R1"}),
            ("confirm_refund", consumer, {}),
        ]
        for trigger, who, data in steps:
            act(session, returned, trigger, who, data, rules=rules, now=now)
        assert returned.outcome == "returned" and returned.recovered_amount == Decimal("88.00")

        office_ids = actor(session, "reg450100").office_ids
        d = stats.figures(session, office_ids, 4, utcnow(), rules.calendar)
        recovered = d["recovered"]
        assert recovered["total"] == "283.40"
        assert {r["name"]: r["amount"] for r in recovered["by_platform"]} == {
            "美团优选（南宁）": "162.90"
        }
        assert sum(Decimal(r["amount"]) for r in recovered["by_office"]) == Decimal("283.40")
        assert sum(Decimal(w["amount"]) for w in recovered["weekly"]) == Decimal("283.40")
        assert sum(Decimal(r["amount"]) for r in recovered["by_category"]) == Decimal("283.40")
        meituan_id = offered.enterprise_id
        card = scorecards(session, [meituan_id], now - timedelta(days=1), utcnow(), rules.calendar)[
            meituan_id
        ]
        assert card.recovered == Decimal("162.90")

    client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = client.get("/regulator/dashboard?weeks=4&refresh=1")
    assert page.status_code == 200 and "283.40" in page.text
