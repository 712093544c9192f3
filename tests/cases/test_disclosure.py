"""The disclosure of closed complaints (消费投诉信息公示): the notice period in working days, the
business's objection upheld or refused, the office withholding a case, reports never published,
every step an event of the case's chain, publishing idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from complaints import submit_form
from sqlalchemy import select

from odr.auth.actor import Actor, consumer_actor
from odr.cases import disclosed
from odr.cases.chain import verify_all
from odr.cases.disclosure import (
    CLEARED,
    DISCLOSED,
    NOT_ELIGIBLE,
    NOTICE,
    OBJECTED,
    WITHHELD,
    Disclosure,
    decide,
    notice_ends,
    object_to,
    publish_due,
    standing,
    withhold,
)
from odr.cases.models import Case
from odr.cases.service import act
from odr.errors import TransitionNotAllowed
from odr.offices.service import by_code, supervised_ids

# Settled on Tue 2026-09-29, 10:00 Beijing. Ten working days, the closing day not counted:
# Wed 30 Sep, (1-7 Oct National Day), Thu 8, Fri 9, Sat 10 (调休), Mon 12 .. Fri 16, Mon 19.
CLOSED = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
NOTICE_ENDS = datetime(2026, 10, 19, 15, 59, 59, tzinfo=UTC)
DAYS = 10


def settled_case(session, rules, closed=CLOSED, **overrides):  # type: ignore[no-untyped-def]
    """A complaint against 美团优选（南宁） settled by the consumer's acceptance at `closed`."""
    filed = closed - timedelta(days=3)
    case = submit_form(session, rules, filed, purchase_date="2026-09-20", **overrides).case
    agent = Actor("enterprise", "美团 客服", enterprise_id=case.enterprise_id)
    act(
        session,
        case,
        "propose_settlement",
        agent,
        {"remedy": "refund", "amount": "39.90", "message": "全额退款"},
        rules=rules,
        now=filed + timedelta(hours=1),
    )
    consumer = consumer_actor(case.id, case.complainant_name)
    act(session, case, "accept_offer", consumer, {}, rules=rules, now=closed)
    assert case.state == "settled"
    return case


def business(case: Case) -> Actor:
    return Actor("enterprise", "美团 客服", enterprise_id=case.enterprise_id)


def office(session, case: Case) -> Actor:  # type: ignore[no-untyped-def]
    code = "450103"
    found = by_code(session, code)
    return Actor(
        "regulator",
        f"{found.name} 承办人",
        office_id=case.office_id or found.id,
        office_ids=supervised_ids(session, case.office_id or found.id),
    )


def row_of(session, case: Case) -> Disclosure | None:  # type: ignore[no-untyped-def]
    return session.scalar(select(Disclosure).where(Disclosure.case_id == case.id))


def test_notice_period_counts_working_days_across_national_day(factory, rules):
    assert notice_ends(CLOSED, rules.calendar, DAYS) == NOTICE_ENDS
    with factory.begin() as session:
        case = settled_case(session, rules)
        stand = standing(session, case, rules, DAYS)
        assert (stand.status, stand.notice_ends_at) == (NOTICE, NOTICE_ENDS)
        case_id = case.id
    # Ten calendar days would have ended on 9 Oct; ten working days have not.
    assert publish_due(factory, rules, DAYS, now=datetime(2026, 10, 12, 2, 0, tzinfo=UTC)) == 0
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS - timedelta(seconds=1)) == 0
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(seconds=1)) == 1
    # Again, later: nothing is published twice.
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(days=3)) == 0
    with factory() as session:
        case = session.get(Case, case_id)
        row = row_of(session, case)
        assert row is not None and row.status == DISCLOSED
        assert [e.trigger for e in case.events].count("disclose") == 1
        assert case.closed_at == CLOSED  # an event on a closed case keeps its closing moment
        page = disclosed.search(session, rules, "美团")
        assert [r.business_name for r in page.records] == ["美团优选（南宁）"]
        assert page.records[0].closed_on.isoformat() == "2026-09-29"
        assert list(verify_all(session)) == []


def test_a_shorter_notice_period_is_a_setting(factory, rules):
    with factory.begin() as session:
        settled_case(session, rules)
    # Two working days: Wed 30 Sep and Thu 8 Oct.
    assert publish_due(factory, rules, 2, now=datetime(2026, 10, 8, 12, 0, tzinfo=UTC)) == 0
    assert publish_due(factory, rules, 2, now=datetime(2026, 10, 8, 16, 0, tzinfo=UTC)) == 1


def test_objection_upheld_withholds_the_case(factory, rules):
    with factory.begin() as session:
        case = settled_case(session, rules)
        object_to(
            session,
            case,
            business(case),
            {"objection": "该订单并非本平台订单"},
            rules=rules,
            notice_days=DAYS,
            now=CLOSED + timedelta(days=1),
        )
        assert row_of(session, case).status == OBJECTED
        with pytest.raises(TransitionNotAllowed):  # one objection
            object_to(
                session,
                case,
                business(case),
                {"objection": "再次异议"},
                rules=rules,
                notice_days=DAYS,
                now=CLOSED + timedelta(days=2),
            )
        case_id = case.id
    # An objection waiting for the office holds the case back past its notice period.
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(days=1)) == 0
    with factory.begin() as session:
        case = session.get(Case, case_id)
        decide(
            session,
            case,
            office(session, case),
            {"decision": "upheld", "reason": "订单号属另一商户"},
            rules=rules,
            notice_days=DAYS,
        )
        row = row_of(session, case)
        assert (row.status, row.decision, row.withheld_reason) == (
            WITHHELD,
            "upheld",
            "订单号属另一商户",
        )
        assert [e.trigger for e in case.events][-2:] == [
            "object_disclosure",
            "decide_disclosure_objection",
        ]
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(days=30)) == 0
    with factory() as session:
        assert disclosed.search(session, rules).records == []


def test_objection_refused_publishes_once_the_notice_is_over(factory, rules):
    with factory.begin() as session:
        case = settled_case(session, rules)
        object_to(
            session,
            case,
            business(case),
            {"objection": "金额有误"},
            rules=rules,
            notice_days=DAYS,
            now=CLOSED + timedelta(days=1),
        )
        decide(
            session,
            case,
            office(session, case),
            {"decision": "refused", "reason": "记录与事实相符"},
            rules=rules,
            notice_days=DAYS,
            now=CLOSED + timedelta(days=2),
        )
        assert row_of(session, case).status == CLEARED
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS - timedelta(hours=1)) == 0
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(hours=1)) == 1
    with factory() as session:
        assert len(disclosed.search(session, rules).records) == 1


def test_no_objection_after_the_notice_period(factory, rules):
    with factory.begin() as session:
        case = settled_case(session, rules)
        with pytest.raises(TransitionNotAllowed):
            object_to(
                session,
                case,
                business(case),
                {"objection": "太晚了"},
                rules=rules,
                notice_days=DAYS,
                now=NOTICE_ENDS + timedelta(seconds=1),
            )


def test_office_withholds_a_published_case(factory, rules):
    with factory.begin() as session:
        case_id = settled_case(session, rules).id
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(hours=1)) == 1
    with factory.begin() as session:
        case = session.get(Case, case_id)
        withhold(
            session,
            case,
            office(session, case),
            {"reason": "涉及未成年人"},
            rules=rules,
            notice_days=DAYS,
        )
        assert row_of(session, case).status == WITHHELD
        assert case.events[-1].trigger == "withhold_disclosure"
        assert case.events[-1].payload == {"reason": "涉及未成年人"}
        with pytest.raises(TransitionNotAllowed):  # once
            withhold(
                session,
                case,
                office(session, case),
                {"reason": "再次"},
                rules=rules,
                notice_days=DAYS,
            )
    with factory() as session:
        assert disclosed.search(session, rules).records == []


def test_withheld_during_notice_is_never_published(factory, rules):
    with factory.begin() as session:
        case = settled_case(session, rules)
        withhold(
            session,
            case,
            office(session, case),
            {"reason": "当事人正在诉讼"},
            rules=rules,
            notice_days=DAYS,
            now=CLOSED + timedelta(days=1),
        )
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(days=5)) == 0


def test_reports_are_never_published(factory, rules):
    shop = "南宁市兴宁区好又多便利店"
    with factory.begin() as session:
        complaint = submit_form(
            session,
            rules,
            CLOSED - timedelta(days=20),
            respondent_name=shop,
            purchase_date="2026-09-01",
            also_report="1",
            violation_type="price_fraud",
            report_facts="结算价高于标价，涉嫌价格欺诈。",
        ).case
        report = session.get(Case, complaint.linked_case_id)
        handler = Actor(
            "regulator",
            "兴宁区 承办人",
            office_id=report.office_id,
            office_ids=supervised_ids(session, report.office_id),
        )
        act(
            session,
            report,
            "decide",
            handler,
            {"decision": "opened", "reference": "南市监立〔2026〕1号"},
            rules=rules,
            now=CLOSED - timedelta(days=1),
        )
        act(
            session,
            report,
            "notify_reporter",
            handler,
            {"notice": "已立案"},
            rules=rules,
            now=CLOSED,
        )
        assert report.closed_at is not None
        assert standing(session, report, rules, DAYS).status == NOT_ELIGIBLE
        with pytest.raises(TransitionNotAllowed):
            withhold(session, report, handler, {"reason": "x"}, rules=rules, notice_days=DAYS)
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(days=60)) == 0
    with factory() as session:
        assert session.scalars(select(Disclosure)).all() == []


def test_withdrawn_complaints_are_not_published(factory, rules):
    with factory.begin() as session:
        case = submit_form(
            session, rules, CLOSED - timedelta(days=2), purchase_date="2026-09-20"
        ).case
        act(
            session,
            case,
            "withdraw",
            consumer_actor(case.id, case.complainant_name),
            {"reason": "已自行解决"},
            rules=rules,
            now=CLOSED,
        )
        assert standing(session, case, rules, DAYS).status == NOT_ELIGIBLE
    assert publish_due(factory, rules, DAYS, now=NOTICE_ENDS + timedelta(days=1)) == 0
