"""The regulator's part of a complaint: return to intake, take-over by the superior office,
mediation with consent, testing, recusal, termination notice and agreement; reports; the
follow-up rating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from complaints import submit_form
from sqlalchemy import select

from odr.auth.actor import Actor, consumer_actor
from odr.cases.followup import rate
from odr.cases.models import Attachment, Case
from odr.cases.service import act
from odr.cases.sweeper import sweep
from odr.errors import InvalidData, TransitionNotAllowed
from odr.offices.service import by_code, supervised_ids

FILED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday
SHOP = "南宁市兴宁区好又多便利店"  # not enrolled: straight to the 兴宁区 office (450102)


def regulator(session, code: str) -> Actor:  # type: ignore[no-untyped-def]
    office = by_code(session, code)
    return Actor(
        "regulator",
        f"{office.name} 承办人",
        office_id=office.id,
        office_ids=supervised_ids(session, office.id),
    )


def file(session, rules, **overrides) -> Case:  # type: ignore[no-untyped-def]
    return submit_form(
        session, rules, FILED, respondent_name=SHOP, purchase_date="2026-10-30", **overrides
    ).case


def accepted(session, rules) -> tuple[Case, Actor]:  # type: ignore[no-untyped-def]
    case = file(session, rules)
    handler = regulator(session, "450102")
    act(session, case, "accept", handler, {}, rules=rules, now=FILED + timedelta(days=1))
    return case, handler


def test_return_to_intake_and_take_over(factory, rules):
    with factory.begin() as session:
        case = file(session, rules)
        district, city = regulator(session, "450102"), regulator(session, "450100")
        act(
            session,
            case,
            "return_to_intake",
            district,
            {"reason": "经营地在外市"},
            rules=rules,
            now=FILED,
        )
        assert case.state == "triage" and case.office_id == city.office_id
        act(session, case, "assign_office", city, {"office": "450102"}, rules=rules, now=FILED)
        assert case.state == "acceptance" and case.office_id == district.office_id
        with pytest.raises(TransitionNotAllowed):  # a district cannot take over from itself
            act(session, case, "take_over", district, {"reason": "x"}, rules=rules, now=FILED)
        due = case.due_at
        act(
            session,
            case,
            "take_over",
            city,
            {"reason": "涉及面广，提级办理"},
            rules=rules,
            now=FILED,
        )
        assert (case.state, case.office_id, case.due_at) == ("acceptance", city.office_id, due)


def test_respondents_refusal_ends_mediation(factory, rules):
    with factory.begin() as session:
        case, handler = accepted(session, rules)
        act(
            session,
            case,
            "record_consent",
            handler,
            {"party": "consumer", "decision": "consent"},
            rules=rules,
        )
        assert case.state == "mediation"
        act(
            session,
            case,
            "record_consent",
            handler,
            {"party": "respondent", "decision": "refuse"},
            rules=rules,
        )
        assert (case.state, case.outcome) == ("mediation_ending", "mediation_refused")
        act(session, case, "notify_parties", handler, {"notice": "已电话告知双方"}, rules=rules)
        assert case.state == "mediation_terminated"


def test_testing_and_recusal_pause_the_mediation_clock(factory, rules):
    with factory.begin() as session:
        case, handler = accepted(session, rules)
        due = case.due_at
        act(
            session,
            case,
            "start_testing",
            handler,
            {"lab": "广西产品质量检验研究院", "paid_by": "respondent"},
            rules=rules,
            now=FILED + timedelta(days=2),
        )
        assert case.state == "testing" and case.due_at is None and case.paused_days_left
        left = case.paused_days_left
        act(
            session,
            case,
            "testing_done",
            handler,
            {"result": "不合格"},
            rules=rules,
            now=FILED + timedelta(days=30),
        )
        assert case.state == "mediation" and case.due_at > due  # the paused days are kept
        assert rules.calendar.working_days_left(case.due_at, FILED + timedelta(days=30)) == left
        consumer = consumer_actor(case.id, "张三")
        act(
            session,
            case,
            "request_recusal",
            consumer,
            {"reason": "调解员与商家相识"},
            rules=rules,
            now=FILED + timedelta(days=31),
        )
        assert case.state == "recusal_pending"
        act(
            session,
            case,
            "decide_recusal",
            handler,
            {"decision": "granted"},
            rules=rules,
            now=FILED + timedelta(days=32),
        )
        assert case.state == "mediation"


def test_termination_must_be_told_within_seven_working_days(factory, rules):
    with factory.begin() as session:
        case, handler = accepted(session, rules)
        act(
            session,
            case,
            "terminate",
            handler,
            {"reason": "agreement_impossible"},
            rules=rules,
            now=FILED + timedelta(days=5),
        )
        number, due = case.number, case.due_at
    assert due == rules.calendar.add_working_days(FILED + timedelta(days=5), 7)
    assert sweep(factory, rules, now=due + timedelta(seconds=1)).expired == 1
    with factory() as session:
        assert session.scalar(select(Case.state).where(Case.number == number)) == (
            "mediation_terminated"
        )


def test_agreement_needs_both_confirmations_and_keeps_the_signed_file(
    file_complaint, other_client, demo_logins, factory, rules
):
    number, _ = file_complaint(respondent_name=SHOP)
    other_client.login("regulator", "reg450102", demo_logins["reg450102"])
    other_client.post(f"/regulator/cases/{number}/act/accept", {})
    url = f"/regulator/cases/{number}/act/record_agreement"
    missing = other_client.post(url, {"terms": "退款39.9元", "consumer_confirmation": "confirmed"})
    assert missing.status_code == 400 and "respondent_confirmation" in missing.text
    scan = (Path(__file__).parents[1] / "data" / "invoice.pdf").read_bytes()
    done = other_client.post(
        url,
        {
            "terms": "退款39.9元",
            "consumer_confirmation": "confirmed",
            "respondent_confirmation": "confirmed",
        },
        files=[("agreement_file", ("调解书.pdf", scan, "application/pdf"))],
    )
    assert done.status_code == 200 and "调解成功" in done.text
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        [file] = session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
        # The agreement's event keeps the scan; the paper odr issued on it (调解书) follows.
        agreed = next(e for e in case.events if e.trigger == "record_agreement")
        assert case.events[-1].trigger == "issue_document"
        assert (file.filename, file.uploaded_by, file.event_seq) == (
            "调解书.pdf",
            "regulator",
            agreed.seq,
        )
        assert agreed.payload["agreement_file"]["sha256"] == file.sha256


def test_city_office_sees_only_take_over_on_a_district_case(
    file_complaint, other_client, demo_logins
):
    number, _ = file_complaint(respondent_name=SHOP)
    other_client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = other_client.get(f"/regulator/cases/{number}")
    assert "上级部门提级办理" in page.text and "受理并调解" not in page.text
    other_client.post(f"/regulator/cases/{number}/act/take_over", {"reason": "提级办理"})
    assert "受理并调解" in other_client.get(f"/regulator/cases/{number}").text


def test_named_reporter_is_told_the_decision(factory, rules):
    with factory.begin() as session:
        complaint = file(
            session,
            rules,
            also_report="1",
            violation_type="price_fraud",
            report_facts="结算价高于标价，涉嫌价格欺诈。",
        )
        report = session.get(Case, complaint.linked_case_id)
        assert report.due_at == rules.calendar.add_working_days(FILED, 15)
        handler = regulator(session, "450102")
        act(
            session,
            report,
            "decide",
            handler,
            {"decision": "opened", "reference": "南市监立〔2026〕1号"},
            rules=rules,
        )
        assert report.state == "reporter_notice"
        act(session, report, "notify_reporter", handler, {"notice": "已立案调查"}, rules=rules)
        assert report.state == "report_closed"


def test_follow_up_rating_once_within_sixty_days(factory, rules):
    with factory.begin() as session:
        case = file(session, rules)
        consumer = consumer_actor(case.id, "张三")
        act(
            session,
            case,
            "withdraw",
            consumer,
            {"reason": "已自行解决"},
            rules=rules,
            now=FILED + timedelta(days=1),
        )
        with pytest.raises(InvalidData):
            rate(session, case, consumer, 6, "", FILED + timedelta(days=2))
        rate(session, case, consumer, 4, "处理及时", FILED + timedelta(days=2))
        assert (case.rating, case.events[-1].trigger) == (4, "follow_up")
        with pytest.raises(InvalidData):  # once
            rate(session, case, consumer, 5, "", FILED + timedelta(days=3))

    with factory.begin() as session:
        late = file(session, rules, order_number="L-1")
        consumer = consumer_actor(late.id, "张三")
        act(session, late, "withdraw", consumer, {"reason": "不再追究"}, rules=rules, now=FILED)
        with pytest.raises(InvalidData):
            rate(session, late, consumer, 5, "", FILED + timedelta(days=61))


def test_anonymous_reporter_is_not_told(factory, rules):
    with factory.begin() as session:
        complaint = file(
            session,
            rules,
            also_report="1",
            violation_type="fake_reviews",
            report_facts="组织刷单好评，评价严重不实。",
        )
        report = session.get(Case, complaint.linked_case_id)
        report.anonymous = True
        act(
            session,
            report,
            "decide",
            regulator(session, "450102"),
            {"decision": "not_opened"},
            rules=rules,
        )
        assert (report.state, report.due_at) == ("report_closed", None)
