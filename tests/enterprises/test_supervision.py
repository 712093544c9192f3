"""Supervision: enrolment, 动态退出 with the scorecard as evidence, lists, takedowns, history."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from complaints import submit_form

from odr.auth.actor import Actor
from odr.clock import SHANGHAI
from odr.enterprises import supervision
from odr.enterprises.models import Enterprise, SupervisionRecord
from odr.enterprises.scorecard import scorecard
from odr.errors import InvalidData
from odr.offices.service import by_code

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def new_enterprise(session, **values) -> Enterprise:  # type: ignore[no-untyped-def]
    defaults = {"kind": "platform", "region_code": "450103", "odr_status": "none"}
    enterprise = Enterprise(name=f"测试企业{uuid.uuid4().hex[:8]}", **{**defaults, **values})
    session.add(enterprise)
    session.flush()
    return enterprise


def regulator(session, code: str) -> Actor:  # type: ignore[no-untyped-def]
    office = by_code(session, code)
    return Actor(
        "regulator",
        f"承办人 {code}",
        user_id=7,
        office_id=office.id,
        office_ids=frozenset({office.id}),
    )


def manager(enterprise: Enterprise) -> Actor:
    return Actor("enterprise", "企业管理员", user_id=9, enterprise_id=enterprise.id, is_admin=True)


def test_enrolment_from_the_portal_then_approval(factory):
    with factory.begin() as session:
        shop = new_enterprise(session)
        qingxiu = regulator(session, "450103")
        with pytest.raises(InvalidData) as unsigned:
            supervision.apply(
                session, shop, manager(shop), signatory="王经理", agreed=False, now=NOW
            )
        assert "agreed" in unsigned.value.errors
        application = supervision.apply(
            session, shop, manager(shop), signatory="王经理 总经理", agreed=True, now=NOW
        )
        assert application.source == "enterprise" and application.status == "pending"
        assert "承诺书" in application.commitment_text
        assert application.office_id == by_code(session, "450103").id
        assert supervision.pending_applications(session, by_code(session, "450103")) == [
            application
        ]
        with pytest.raises(InvalidData):  # one pending application at a time
            supervision.apply(
                session, shop, manager(shop), signatory="王经理", agreed=True, now=NOW
            )
        supervision.decide(session, application, qingxiu, approve=True, reason="", now=NOW)
        assert shop.odr_status == "active" and shop.odr_enrolled_at == NOW
        assert application.status == "approved" and application.decided_by == qingxiu.label
        actions = [
            (r.action, r.odr_status_before, r.odr_status_after, r.actor_label)
            for r in supervision.history(session, shop.id)
        ]
        assert sorted(actions) == [
            ("apply", "none", "none", "企业管理员"),
            ("approve", "none", "active", "承办人 450103"),
        ]


def test_office_enters_an_application_and_refuses_with_a_reason(factory):
    with factory.begin() as session:
        shop = new_enterprise(session)
        city = regulator(session, "450100")
        application = supervision.apply(session, shop, city, signatory="李总", agreed=True, now=NOW)
        assert application.source == "office"
        with pytest.raises(InvalidData):
            supervision.decide(session, application, city, approve=False, reason=" ", now=NOW)
        record = supervision.decide(
            session, application, city, approve=False, reason="材料不全", now=NOW
        )
        assert record.action == "refuse" and record.reason == "材料不全"
        assert shop.odr_status == "none" and application.status == "refused"
        with pytest.raises(InvalidData):  # decided once
            supervision.decide(session, application, city, approve=True, reason="", now=NOW)


def test_suspension_and_removal_keep_the_scorecard_as_evidence(factory, rules):
    with factory.begin() as session:
        shop = new_enterprise(session, odr_status="active")
        submit_form(
            session,
            rules,
            NOW,
            respondent_id=str(shop.id),
            respondent_name=shop.name,
            purchase_date="2026-11-01",
        )
        qingxiu = regulator(session, "450103")
        since = datetime(2026, 11, 1, tzinfo=SHANGHAI)
        card = scorecard(session, shop.id, since, NOW + timedelta(days=1), rules.calendar)
        with pytest.raises(InvalidData):
            supervision.change_status(
                session, shop, qingxiu, "suspend", reason="", evidence=card, now=NOW
            )
        record = supervision.change_status(
            session, shop, qingxiu, "suspend", reason="按时办结率低于60%", evidence=card, now=NOW
        )
        assert shop.odr_status == "suspended"
        assert record.odr_status_before == "active" and record.odr_status_after == "suspended"
        assert record.evidence["scorecard"]["received"] == 1
        assert record.evidence["scorecard"]["open"] == 1
        with pytest.raises(InvalidData):  # not active any more
            supervision.change_status(
                session, shop, qingxiu, "suspend", reason="再次", evidence=card, now=NOW
            )
        supervision.change_status(
            session, shop, qingxiu, "reinstate", reason="已整改", evidence=None, now=NOW
        )
        assert shop.odr_status == "active"
        supervision.change_status(
            session, shop, qingxiu, "remove", reason="多次逾期", evidence=card, now=NOW
        )
        assert shop.odr_status == "removed"
        assert [r.action for r in supervision.history(session, shop.id)] == [
            "remove",
            "reinstate",
            "suspend",
        ]


def test_supervision_records_are_append_only(factory):
    with factory.begin() as session:
        shop = new_enterprise(session, odr_status="active")
        record_id = supervision.change_status(
            session,
            shop,
            regulator(session, "450103"),
            "suspend",
            reason="逾期",
            evidence=None,
            now=NOW,
        ).id
    for change in ("update", "delete"):
        with factory() as session:
            record = session.get(SupervisionRecord, record_id)
            if change == "update":
                record.reason = "改写"
            else:
                session.delete(record)
            with pytest.raises(ValueError, match="append-only"):
                session.flush()
            session.rollback()
    with factory() as session:
        assert session.get(SupervisionRecord, record_id).reason == "逾期"


def test_marks_with_dates_and_reason(factory):
    with factory.begin() as session:
        shop = new_enterprise(session, odr_status="active")
        qingxiu = regulator(session, "450103")
        demo = supervision.add_mark(
            session,
            shop,
            qingxiu,
            kind="demonstration",
            starts_on="2026-01-01",
            ends_on="2026-12-31",
            reason="2026年度放心消费示范单位",
            now=NOW,
        )
        abnormal = supervision.add_mark(
            session,
            shop,
            qingxiu,
            kind="abnormal",
            starts_on="2026-11-01",
            reason="未按期公示年报",
            now=NOW,
        )
        with pytest.raises(InvalidData) as backwards:
            supervision.add_mark(
                session,
                shop,
                qingxiu,
                kind="abnormal",
                starts_on="2026-11-02",
                ends_on="2026-11-01",
                reason="x",
                now=NOW,
            )
        assert "ends_on" in backwards.value.errors
        assert supervision.marks_in_force(session, [shop.id], date(2026, 11, 20)) == {
            shop.id: {"demonstration", "abnormal"}
        }
        assert supervision.marks_in_force(session, [shop.id], date(2027, 1, 5)) == {
            shop.id: {"abnormal"}
        }
        supervision.lift_mark(session, abnormal, qingxiu, reason="已补报年报", now=NOW)
        assert supervision.marks_in_force(session, [shop.id], date(2026, 11, 20)) == {
            shop.id: {"demonstration"}
        }
        assert demo.in_force(date(2026, 6, 1)) and not abnormal.in_force(date(2026, 11, 20))
        assert [r.action for r in supervision.history(session, shop.id)].count("mark") == 2


def test_takedown_linked_to_the_offices_cases(factory, rules):
    with factory.begin() as session:
        platform = new_enterprise(session, odr_status="active")
        merchant = new_enterprise(session, kind="merchant", platform_id=platform.id)
        case = submit_form(
            session,
            rules,
            NOW,
            respondent_id=str(merchant.id),
            respondent_name=merchant.name,
            purchase_date="2026-11-01",
        ).case
        qingxiu = regulator(session, "450103")
        with pytest.raises(InvalidData) as unknown:
            supervision.record_takedown(
                session,
                platform,
                qingxiu,
                kind="delisted_product",
                subject="腐烂葡萄",
                requested_on="2026-11-18",
                case_numbers="ODR000000000000",
                now=NOW,
            )
        assert "ODR000000000000" in unknown.value.errors["case_numbers"]
        takedown = supervision.record_takedown(
            session,
            platform,
            qingxiu,
            kind="merchant_offline",
            subject=merchant.name,
            merchant_id=merchant.id,
            requested_on="2026-11-18",
            done_on="2026-11-19",
            case_numbers=f"{case.number.lower()}, {case.number}",
            now=NOW,
        )
        assert takedown.case_numbers == [case.number]
        assert takedown.done_on == date(2026, 11, 19)
        assert supervision.takedowns(session, platform.id) == [takedown]
        [record] = supervision.history(session, platform.id)
        assert record.action == "takedown" and record.evidence["case_numbers"] == [case.number]
        # The 兴宁区 office neither supervises the platform nor sees the case.
        with pytest.raises(supervision.NotInJurisdiction):
            supervision.record_takedown(
                session,
                platform,
                regulator(session, "450102"),
                kind="deleted_post",
                subject="帖子",
                requested_on="2026-11-18",
                now=NOW,
            )


def test_an_office_acts_only_in_its_area(factory):
    with factory.begin() as session:
        shop = new_enterprise(session, odr_status="active")  # 青秀区
        xingning, qingxiu, city = (regulator(session, c) for c in ("450102", "450103", "450100"))
        assert supervision.supervises(session, qingxiu, shop)
        assert supervision.supervises(session, city, shop)
        assert not supervision.supervises(session, xingning, shop)
        assert not supervision.supervises(session, manager(shop), shop)
        for action in (
            lambda: supervision.change_status(
                session, shop, xingning, "suspend", reason="x", evidence=None, now=NOW
            ),
            lambda: supervision.add_mark(
                session,
                shop,
                xingning,
                kind="abnormal",
                starts_on="2026-11-01",
                reason="x",
                now=NOW,
            ),
            lambda: supervision.apply(session, shop, xingning, signatory="x", agreed=True, now=NOW),
            lambda: supervision.apply(
                session,
                shop,
                Actor("enterprise", "客服", enterprise_id=shop.id),
                signatory="x",
                agreed=True,
                now=NOW,
            ),
        ):
            with pytest.raises(supervision.NotInJurisdiction):
                action()
        assert shop.odr_status == "active"
        listed = supervision.enterprises_in(session, by_code(session, "450102"), query=shop.name)
        assert listed == []
        assert supervision.enterprises_in(session, by_code(session, "450100"), query=shop.name) == [
            shop
        ]


def test_suspension_stops_new_complaints_reaching_the_enterprise(factory, rules):
    with factory.begin() as session:
        shop = new_enterprise(session, odr_status="active")
        form = {
            "respondent_id": str(shop.id),
            "respondent_name": shop.name,
            "purchase_date": "2026-11-01",
        }
        before = submit_form(session, rules, NOW, order_number="A-1", **form).case
        assert before.state == "negotiation" and before.enterprise_id == shop.id
        supervision.change_status(
            session,
            shop,
            regulator(session, "450103"),
            "suspend",
            reason="逾期率高",
            evidence=None,
            now=NOW,
        )
        after = submit_form(
            session, rules, NOW, order_number="B-2", complainant_phone="13900139000", **form
        ).case
        assert after.state == "acceptance"
        assert after.enterprise_id is None
        assert after.office_id == by_code(session, "450103").id
        assert before.state == "negotiation"  # cases already with it stay there
