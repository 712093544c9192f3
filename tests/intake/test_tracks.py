"""Intake puts a complaint on its track: the seven-day return, a report filed with it, a joint
complaint; the rulebook and the 3-year flag come from the day received."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from complaints import complaint_form
from sqlalchemy import select

from odr.cases.chain import verify_all
from odr.cases.models import Case, CaseParty
from odr.cases.service import submit
from odr.clock import utcnow
from odr.errors import InvalidData
from odr.intake.complaint import parse_complaint


def parse(rules, today: date, **overrides):  # type: ignore[no-untyped-def]
    return parse_complaint(
        complaint_form(**overrides),
        rules.workflow().lists["claim_types"],
        today=today,
        violation_types=rules.workflow("report").lists["violation_types"],
    )


def seven_day(**overrides: str) -> dict[str, str]:
    return {
        "claim_type": "seven_day_return",
        "delivery_date": "2026-11-25",
        "goods_category": "general",
        "goods_intact": "1",
        **overrides,
    }


def test_seven_day_eligibility_is_checked_at_intake(rules):
    today = date(2026, 11, 28)
    assert parse(rules, today, **seven_day()).claim_type == "seven_day_return"
    with pytest.raises(InvalidData) as late:
        parse(rules, today, **seven_day(delivery_date="2026-11-20"))
    assert "delivery_date" in late.value.errors
    with pytest.raises(InvalidData) as fresh:
        parse(rules, today, **seven_day(goods_category="fresh", goods_intact="0"))
    assert {"goods_category", "goods_intact"} <= set(fresh.value.errors)


def test_seven_day_return_runs_its_fast_track(factory, rules):
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday
    with factory.begin() as session:
        case = submit(session, parse(rules, now.date(), **seven_day()), rules=rules, now=now).case
        assert (case.workflow, case.state) == ("seven_day_return", "return_address_pending")
        # 2 working days for the return address: Mon 30 Nov, Tue 1 Dec.
        assert case.due_at == datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)


def test_enterprise_missing_a_return_step_escalates(file_complaint, factory, rules, client):
    from odr.cases.sweeper import sweep

    today = utcnow().astimezone().date()
    number, _ = file_complaint(**seven_day(delivery_date=today.isoformat()))
    with factory() as session:
        due = session.scalar(select(Case.due_at).where(Case.number == number))
    assert sweep(factory, rules, now=due + timedelta(seconds=1)).expired == 1
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert (case.state, case.escalation_reason) == ("acceptance", "enterprise_overdue")


def test_report_filed_with_a_complaint_is_linked_and_hidden_from_the_enterprise(
    client, other_client, demo_logins, factory
):
    response = client.post(
        "/",
        complaint_form(
            also_report="1",
            violation_type="fake_reviews",
            report_facts="该团长组织刷单好评，商品评价不实。",
        ),
    )
    assert response.status_code == 200, response.text[:500]
    assert 'id="report-number"' in response.text
    with factory() as session:
        complaint, report = session.scalars(select(Case).order_by(Case.id)).all()
        assert report.workflow == "report" and report.state == "review"
        assert report.enterprise_id is None and report.product == "刷单炒信、虚假评价"
        assert complaint.linked_case_id == report.id and report.linked_case_id == complaint.id
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    assert other_client.get(f"/enterprise/cases/{report.number}").status_code == 404
    page = other_client.get(f"/enterprise/cases/{complaint.number}")
    assert page.status_code == 200 and "关联举报" not in page.text
    assert client.get(f"/track/{report.number}").status_code == 200  # the reporter follows it
    other_client.post("/logout", {})
    other_client.login("regulator", "reg450103", demo_logins["reg450103"])
    assert report.number in other_client.get("/regulator?queue=reports").text


def test_joint_complaint_records_each_consent_and_at_most_two_representatives(client, factory):
    party = {
        "party_name_1": "李四",
        "party_phone_1": "13900139001",
        "party_address_1": "南宁市",
        "party_representative_1": "1",
        "party_consent_1": "1",
        "party_name_2": "王五",
        "party_phone_2": "13900139002",
        "party_address_2": "南宁市",
        "party_representative_2": "1",
        "complainant_representative": "1",
    }
    refused = client.post("/", complaint_form(**party))
    assert refused.status_code == 400
    assert 'id="party_consent_2-error"' in refused.text
    assert 'id="co_complainants-error"' in refused.text  # three representatives
    party.update(party_consent_2="1", party_representative_2="", complainant_representative="1")
    party.pop("party_representative_2")
    accepted = client.post("/", complaint_form(**party))
    assert accepted.status_code == 200, accepted.text[:500]
    with factory() as session:
        parties = session.scalars(select(CaseParty).order_by(CaseParty.id)).all()
    assert [(p.name, p.representative) for p in parties] == [("李四", True), ("王五", False)]


def test_rulebook_and_three_year_flag(factory, rules):
    before = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    after = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    with factory.begin() as session:
        old = submit(
            session,
            parse(rules, before.date(), purchase_date="2023-01-05"),
            rules=rules,
            now=before,
        ).case
        new = submit(
            session,
            parse(
                rules,
                after.date(),
                order_number="N-2",
                purchase_date="2026-10-30",
                harm_date="2023-10-01",
            ),
            rules=rules,
            now=after,
        ).case
        assert (old.rulebook, new.rulebook) == ("samr_order_20", "samr_order_121")
        assert old.time_barred_flag and new.time_barred_flag
        fresh = submit(
            session,
            parse(rules, after.date(), order_number="N-3", purchase_date="2026-10-30"),
            rules=rules,
            now=after,
        ).case
        assert not fresh.time_barred_flag


def test_api_takes_the_same_tracks(client):
    body = {k: v for k, v in complaint_form().items() if v not in ("", "1")}
    body |= {
        "also_report": True,
        "violation_type": "price_fraud",
        "report_facts": "标价与结算价不一致，涉嫌价格欺诈。",
        "co_complainants": [
            {"name": "赵六", "phone": "13700137001", "address": "南宁", "consent": True}
        ],
    }
    created = client.client.post("/api/v1/complaints", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["report"]["number"]
    body["co_complainants"][0]["consent"] = False
    refused = client.client.post("/api/v1/complaints", json=body)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "party_consent_1"


def test_report_on_its_own_named_or_anonymous(client, other_client, demo_logins, factory, rules):
    bad = client.post(
        "/report",
        {
            "respondent_name": "青秀区鲜果坊",
            "reporter_name": "张三",
            "violation_type": "price_fraud",
            "report_facts": "短",
        },
    )
    assert bad.status_code == 400
    assert 'id="reporter_phone-error"' in bad.text and 'id="report_facts-error"' in bad.text
    named = client.post(
        "/report",
        {
            "respondent_name": "青秀区鲜果坊",
            "violation_type": "price_fraud",
            "report_facts": "标价9.9元，结算时按19.9元收取。",
            "reporter_name": "张三",
            "reporter_phone": "13800138000",
        },
    )
    assert named.status_code == 200 and 'id="access-code"' in named.text
    anonymous = other_client.post(
        "/report",
        {
            "respondent_name": "某无名小店",
            "respondent_address": "南宁市兴宁区民生路1号",
            "violation_type": "food_safety",
            "report_facts": "后厨卫生极差，使用过期原料。",
        },
    )
    assert anonymous.status_code == 200
    with factory() as session:
        named_case, anonymous_case = session.scalars(select(Case).order_by(Case.id)).all()
        assert (named_case.workflow, named_case.state, named_case.anonymous) == (
            "report",
            "review",
            False,
        )
        assert named_case.respondent_name == "青秀区鲜果坊" and named_case.office_id
        assert anonymous_case.anonymous and anonymous_case.complainant_name == "匿名举报人"
        assert not anonymous_case.notify_sms  # nobody to tell
        assert list(verify_all(session)) == []
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    assert other_client.get(f"/enterprise/cases/{named_case.number}").status_code == 404
