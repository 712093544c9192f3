"""Clocks that pause while the consumer answers, internal notes that leave them alone, and
provisional deadlines counted again once a year's holiday notice is known."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from complaints import submit_form
from sqlalchemy import select

from odr.auth.actor import SYSTEM, Actor, consumer_actor
from odr.cases.chain import verify_all
from odr.cases.models import Case
from odr.cases.service import act, recount_deadline
from odr.cases.sweeper import recount_provisional, sweep
from odr.engine.calendar import WorkingCalendar
from odr.engine.rules import Rules
from odr.errors import TransitionNotAllowed


def file(session, rules, now, **overrides):  # type: ignore[no-untyped-def]
    return submit_form(session, rules, now, **overrides).case


def agent(case: Case) -> Actor:
    return Actor("enterprise", "美团 客服", enterprise_id=case.enterprise_id)


def test_information_request_pauses_the_enterprise_clock(factory, rules):
    # Filed Mon 2026-11-02; the enterprise asks on Thu 11-05 with 7 working days left
    # (6, 9, 10, 11, 12, 13, 16 Nov); the consumer answers on Wed 11-11: the enterprise
    # again has 7 working days (12, 13, 16, 17, 18, 19, 20 Nov).
    filed = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    with factory.begin() as session:
        case = file(session, rules, filed, purchase_date="2026-10-30")
        asked = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
        act(
            session,
            case,
            "request_information",
            agent(case),
            {"question": "请提供订单截图"},
            rules=rules,
            now=asked,
        )
        assert case.state == "awaiting_information" and case.paused_days_left == 7
        # The consumer's own clock: 5 working days (6, 9, 10, 11, 12 Nov).
        assert case.due_at == datetime(2026, 11, 12, 15, 59, 59, tzinfo=UTC)
        answered = datetime(2026, 11, 11, 3, 0, tzinfo=UTC)
        act(
            session,
            case,
            "answer",
            consumer_actor(case.id, "张三"),
            {"answer": "截图已上传"},
            rules=rules,
            now=answered,
        )
        assert case.state == "negotiation" and case.paused_state is None
        assert case.due_at == datetime(2026, 11, 20, 15, 59, 59, tzinfo=UTC)


def test_unanswered_request_closes_the_case(factory, rules):
    filed = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    with factory.begin() as session:
        case = file(session, rules, filed, purchase_date="2026-10-30")
        act(
            session,
            case,
            "request_information",
            agent(case),
            {"question": "订单号？"},
            rules=rules,
            now=filed + timedelta(hours=2),
        )
        number, due = case.number, case.due_at
    assert sweep(factory, rules, now=due + timedelta(seconds=1)).expired == 1
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert (case.state, case.outcome, case.paused_state) == (
            "no_response",
            "consumer_no_response",
            None,
        )


def test_internal_note_is_seen_only_by_the_enterprise(
    client, other_client, file_complaint, demo_logins, factory
):
    number, _ = file_complaint()
    with factory() as session:
        due = session.scalar(select(Case.due_at).where(Case.number == number))
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    other_client.post(f"/enterprise/cases/{number}/act/add_note", {"note": "已联系团长核实"})
    assert "已联系团长核实" in other_client.get(f"/enterprise/cases/{number}").text
    assert "已联系团长核实" not in client.get(f"/track/{number}").text
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert (case.state, case.due_at, case.event_count) == ("negotiation", due, 3)


def test_deadline_into_an_unknown_year_is_provisional_until_recounted(factory, rules):
    # Filed 2026-12-28: the 10 working days run into 2027, whose notice chinesecalendar lacks.
    filed = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    with factory.begin() as session:
        case = file(session, rules, filed, purchase_date="2026-12-20")
        number = case.number
        assert case.deadline_provisional
        # Monday to Friday but New Year's Day (statutory): 29, 30, 31 Dec, 4-8, 11, 12 Jan.
        assert case.due_at == datetime(2027, 1, 12, 15, 59, 59, tzinfo=UTC)
        assert recount_deadline(session, case, rules=rules, now=filed) is None  # nothing new

    # The 2027 notice arrives (illustrative dates): 1 Jan off, Sat 9 Jan a make-up day.
    notice = {date(2027, 1, 1): False, date(2027, 1, 9): True}
    known = Rules(workflows=rules.workflows, calendar=WorkingCalendar(notice))
    assert recount_provisional(factory, known, now=filed + timedelta(days=1)) == 1
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert not case.deadline_provisional
        # 29, 30, 31 Dec, 4-8, Sat 9, 11 Jan.
        assert case.due_at == datetime(2027, 1, 11, 15, 59, 59, tzinfo=UTC)
        assert case.events[-1].payload["previous_due_at"].startswith("2027-01-12")
        assert case.events[-1].trigger == "recount_deadline"
        assert list(verify_all(session)) == []
    assert recount_provisional(factory, known) == 0


def test_system_actor_cannot_answer_for_the_consumer(factory, rules):
    filed = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    with factory.begin() as session:
        case = file(session, rules, filed, purchase_date="2026-10-30")
        act(
            session,
            case,
            "request_information",
            agent(case),
            {"question": "?"},
            rules=rules,
            now=filed,
        )
        with pytest.raises(TransitionNotAllowed):
            act(session, case, "answer", SYSTEM, {"answer": "x"}, rules=rules, now=filed)
        assert case.state == "awaiting_information"
