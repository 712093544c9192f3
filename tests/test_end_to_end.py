"""Paths 2-6 of a complaint, driven through the litestar app like a person would."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from odr.cases.models import Case, CaseEvent
from odr.cases.sweeper import sweep
from odr.notify.models import Notification


def load(factory, number: str) -> Case:
    """The case with the relations these tests look at, loaded before the session closes."""
    with factory() as session:
        return session.scalar(
            select(Case)
            .where(Case.number == number)
            .options(
                joinedload(Case.enterprise), joinedload(Case.office), joinedload(Case.respondent)
            )
        )


def test_consumer_files_and_tracks_a_complaint(
    client, other_client, file_complaint, evidence_png, factory, rules
):
    number, code = file_complaint(files=[("evidence", ("小票.png", evidence_png, "image/png"))])
    case = load(factory, number)
    assert case.state == "negotiation"
    assert case.enterprise.name == "美团优选（南宁）"
    assert case.office.region_code == "450103"  # 青秀区, where the platform is registered
    expected = rules.calendar.add_working_days(case.received_at, 10)
    assert case.due_at == expected

    # The same browser follows the case right away; another needs number and access code.
    page = client.get(f"/track/{number}")
    assert "企业协商中" in page.text and "小票.png" in page.text
    assert other_client.get(f"/track/{number}").url.path == "/track"
    wrong = other_client.post("/track", {"number": number, "access_code": "WRONGCODE1"})
    assert wrong.status_code == 400 and "查询码不正确" in wrong.text
    right = other_client.post("/track", {"number": number, "access_code": code.lower()})
    assert right.status_code == 200 and number in right.text and "提交投诉" in right.text


def test_enterprise_inbox_offer_and_consumer_accepts(
    client, other_client, file_complaint, demo_logins, factory
):
    number, _ = file_complaint()
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    inbox = other_client.get("/enterprise")
    assert number in inbox.text
    assert "剩余 10 个工作日" in inbox.text

    page = other_client.get(f"/enterprise/cases/{number}")
    assert "提出和解方案" in page.text and "拒绝和解" in page.text
    bad = other_client.post(
        f"/enterprise/cases/{number}/act/propose_settlement",
        {"remedy": "refund", "amount": "abc", "message": "全额退款"},
    )
    assert bad.status_code == 400
    assert "应为金额" in bad.text and "全额退款" in bad.text  # error beside the field, text kept
    offer = other_client.post(
        f"/enterprise/cases/{number}/act/propose_settlement",
        {"remedy": "refund", "amount": "39.90", "message": "全额退款并致歉"},
    )
    assert offer.status_code == 200 and "待消费者确认和解方案" in offer.text

    track = client.get(f"/track/{number}")
    assert "全额退款并致歉" in track.text and "¥39.90" in track.text
    accepted = client.post(f"/track/{number}/act/accept_offer", {})
    assert accepted.status_code == 200 and "已和解办结" in accepted.text
    case = load(factory, number)
    assert (case.state, case.outcome, case.due_at) == ("settled", "settled", None)
    assert case.closed_at is not None


def test_consumer_rejects_offer_and_case_escalates(
    client, other_client, file_complaint, demo_logins, factory
):
    number, _ = file_complaint()
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    other_client.post(
        f"/enterprise/cases/{number}/act/propose_settlement",
        {"remedy": "apology", "message": "向您致歉"},
    )
    rejected = client.post(f"/track/{number}/act/reject_offer", {"reason": "只道歉不退款"})
    assert rejected.status_code == 200 and "待监管部门受理" in rejected.text
    case = load(factory, number)
    assert (case.state, case.escalation_reason) == ("acceptance", "offer_rejected")


def test_enterprise_declines_with_reason(other_client, file_complaint, demo_logins, factory):
    number, _ = file_complaint()
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    missing = other_client.post(f"/enterprise/cases/{number}/act/decline", {"reason": " "})
    assert missing.status_code == 400 and "必填" in missing.text
    other_client.post(f"/enterprise/cases/{number}/act/decline", {"reason": "订单不存在"})
    case = load(factory, number)
    assert (case.state, case.escalation_reason) == ("acceptance", "enterprise_declined")


def test_overdue_enterprise_is_escalated_and_regulator_decides(
    client, other_client, file_complaint, demo_logins, factory, rules
):
    accepted_number, _ = file_complaint()
    rejected_number, _ = file_complaint(order_number="MT20261120-0002")
    due = load(factory, accepted_number).due_at

    assert sweep(factory, rules, now=due - timedelta(seconds=1)).expired == 0
    assert sweep(factory, rules, now=due + timedelta(seconds=1)).expired == 2
    assert sweep(factory, rules, now=due + timedelta(seconds=2)).expired == 0  # fires once
    case = load(factory, accepted_number)
    assert (case.state, case.escalation_reason) == ("acceptance", "enterprise_overdue")

    other_client.login("regulator", "reg450103", demo_logins["reg450103"])
    queue = other_client.get("/regulator?queue=escalated")
    assert accepted_number in queue.text and "企业逾期未处理" in queue.text
    other_client.post(f"/regulator/cases/{accepted_number}/act/accept", {"note": "受理"})
    assert load(factory, accepted_number).state == "mediation"

    no_ground = other_client.post(f"/regulator/cases/{rejected_number}/act/reject", {})
    assert no_ground.status_code == 400 and "必填" in no_ground.text
    other_client.post(
        f"/regulator/cases/{rejected_number}/act/reject",
        {"ground": "handled_elsewhere", "note": "已由消协调解"},
    )
    case = load(factory, rejected_number)
    assert (case.state, case.outcome) == ("not_accepted", "not_accepted")
    page = client.get(f"/track/{rejected_number}")
    assert "法院、仲裁机构" in page.text  # the ground, in words, on the consumer's page


def test_complaint_against_shop_goes_to_office_acceptance(client, file_complaint, factory, rules):
    number, _ = file_complaint(respondent_name="南宁市兴宁区好又多便利店")
    case = load(factory, number)
    assert case.state == "acceptance"
    assert case.enterprise_id is None and case.office.region_code == "450102"
    assert case.due_at == rules.calendar.add_working_days(case.received_at, 7)


def test_merchant_of_enrolled_platform_is_negotiated_by_platform(file_complaint, factory):
    number, _ = file_complaint(respondent_name="团长李姐（凤岭北社区自提点）")
    case = load(factory, number)
    assert case.state == "negotiation"
    assert case.respondent.kind == "group_leader"
    assert case.enterprise.name == "美团优选（南宁）"


def test_unknown_respondent_goes_to_its_districts_office(file_complaint, factory):
    number, _ = file_complaint(respondent_name="某不知名网店", respondent_address="南宁市江南区")
    case = load(factory, number)
    assert case.state == "acceptance" and case.office.region_code == "450105"
    assert case.respondent.record_status == "unverified" and case.routing_note is None


def test_respondent_without_a_district_goes_to_triage(
    file_complaint, other_client, demo_logins, factory
):
    number, _ = file_complaint(
        respondent_name="某不知名网店", respondent_address="网上店铺，地址不详"
    )
    case = load(factory, number)
    assert case.state == "triage" and case.office.region_code == "450100"
    assert case.due_at is not None  # the intake office's clock runs
    assert "the address names no district" in case.routing_note
    other_client.login("regulator", "reg450100", demo_logins["reg450100"])
    other_client.post(f"/regulator/cases/{number}/act/assign_office", {"office": "450105"})
    case = load(factory, number)
    assert case.state == "acceptance" and case.office.region_code == "450105"


def test_every_change_is_an_event_with_notifications(file_complaint, factory, rules):
    number, _ = file_complaint(complainant_email="zhang@example.com")
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        ).all()
        assert [e.trigger for e in events] == ["submit", "route"]
        assert events[1].prev_hash == events[0].hash
        kinds = {
            (n.audience, n.channel, n.kind)
            for n in session.scalars(select(Notification).where(Notification.case_id == case.id))
        }
    assert kinds == {
        ("consumer", "sms", "case_received"),
        ("consumer", "email", "case_received"),
        ("enterprise", "in_app", "new_case"),
    }
