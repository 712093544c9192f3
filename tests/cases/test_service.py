"""submit() and act(): deadlines across holidays, optimistic locking, one way in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from complaints import submit_form
from sqlalchemy import select

from odr.auth.actor import Actor
from odr.cases.models import Case
from odr.cases.service import act
from odr.errors import ConcurrentChange


def file(session, rules, now, **overrides):  # type: ignore[no-untyped-def]
    return submit_form(session, rules, now, **overrides).case


def test_deadline_across_spring_festival(factory, rules):
    # Thu 2026-02-12, 10:00 Beijing. Counted: Fri 13, Sat 14 (调休 make-up day), then the
    # holiday 15-23; Tue 24 .. Fri 27, Sat 28 (调休), Mon 2 Mar, Tue 3, Wed 4 = 10 working days.
    received = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)
    with factory.begin() as session:
        case = file(session, rules, received, purchase_date="2026-02-01")
        assert case.due_at == datetime(2026, 3, 4, 15, 59, 59, tzinfo=UTC)


def test_acceptance_deadline_across_national_day(factory, rules):
    # Escalated on Tue 2026-09-29 (Beijing): Wed 30 Sep, then 1-7 Oct off, Thu 8, Fri 9,
    # Sat 10 (调休), Mon 12, Tue 13, Wed 14 = 7 working days.
    received = datetime(2026, 9, 20, 2, 0, tzinfo=UTC)
    escalated = datetime(2026, 9, 29, 3, 0, tzinfo=UTC)
    with factory.begin() as session:
        case = file(session, rules, received, purchase_date="2026-09-01")
        act(session, case, "expire", Actor("system", "系统"), {}, rules=rules, now=escalated)
        assert case.state == "acceptance"
        assert case.due_at == datetime(2026, 10, 14, 15, 59, 59, tzinfo=UTC)


def test_stale_case_raises_concurrent_change(factory, rules):
    with factory.begin() as session:
        number = file(session, rules, datetime(2026, 11, 25, 2, 0, tzinfo=UTC)).number
    with factory() as first, factory() as second:
        # The second reader loads the case and ends its transaction (the session keeps the
        # row, as a page shown to a user would); meanwhile the first declines the case.
        case_b = second.scalar(select(Case).where(Case.number == number))
        second.commit()
        case_a = first.scalar(select(Case).where(Case.number == number))
        agent = Actor("enterprise", "美团 客服", enterprise_id=case_a.enterprise_id)
        act(first, case_a, "decline", agent, {"reason": "不是本平台订单"}, rules=rules)
        first.commit()
        with pytest.raises(ConcurrentChange):
            act(
                second,
                case_b,
                "propose_settlement",
                agent,
                {"remedy": "refund", "message": "退款"},
                rules=rules,
            )
        second.rollback()
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case.state == "acceptance" and case.event_count == 3
