"""Reminders before deadlines (each once per case, clock and threshold) and overdue alerts that
climb to the supervising office."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from odr.cases.models import Case, CaseEvent
from odr.cases.sweeper import sweep
from odr.notify.models import Notification


def reminders(factory, number):  # type: ignore[no-untyped-def]
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.trigger == "remind")
        ).all()
        notes = session.scalars(
            select(Notification).where(
                Notification.case_id == case.id, Notification.kind == "deadline_reminder"
            )
        ).all()
        return case, events, notes


def test_enterprise_is_reminded_three_and_one_working_days_before(file_complaint, factory, rules):
    number, _ = file_complaint()
    case, _, _ = reminders(factory, number)
    first = rules.calendar.reminder_time(case.due_at, 3)
    second = rules.calendar.reminder_time(case.due_at, 1)
    assert case.next_reminder_at == first

    assert sweep(factory, rules, now=first - timedelta(seconds=1)).reminded == 0
    assert sweep(factory, rules, now=first + timedelta(seconds=1)).reminded == 1
    assert sweep(factory, rules, now=first + timedelta(hours=1)).reminded == 0
    assert sweep(factory, rules, now=second + timedelta(seconds=1)).reminded == 1
    assert sweep(factory, rules, now=second + timedelta(hours=2)).reminded == 0

    case, events, notes = reminders(factory, number)
    assert [e.payload["working_days_left"] for e in events] == [3, 1]
    assert {(n.audience, n.channel) for n in notes} == {("enterprise", "in_app")}
    assert len(notes) == 2
    assert case.state == "negotiation" and case.next_reminder_at is None


def test_a_late_sweep_sends_only_the_nearest_reminder(file_complaint, factory, rules):
    number, _ = file_complaint()
    case, _, _ = reminders(factory, number)
    late = rules.calendar.reminder_time(case.due_at, 1) + timedelta(minutes=5)
    assert sweep(factory, rules, now=late).reminded == 1
    assert sweep(factory, rules, now=late + timedelta(minutes=1)).reminded == 0
    _, events, _ = reminders(factory, number)
    assert [e.payload["working_days_left"] for e in events] == [1]


def test_overdue_acceptance_climbs_the_ladder(file_complaint, factory, rules):
    number, _ = file_complaint(respondent_name="南宁市兴宁区好又多便利店")
    case, _, _ = reminders(factory, number)

    def alerts() -> tuple[str, set[tuple[str, str]], int, int | None]:
        with factory() as session:
            case = session.scalar(select(Case).where(Case.number == number))
            rows = session.scalars(
                select(Notification).where(
                    Notification.case_id == case.id, Notification.kind == "overdue"
                )
            ).all()
            return (
                case.state,
                {(n.audience, n.recipient) for n in rows},
                case.office.id,
                case.office.parent_id,
            )

    sweep(factory, rules, now=case.due_at + timedelta(seconds=1))
    state, recipients, district, city = alerts()
    # First the handler's office ...
    assert state == "acceptance_overdue"
    assert recipients == {("office", f"office:{district}")}
    # ... two working days later the supervising office too.
    case, _, _ = reminders(factory, number)
    assert case.due_at == rules.calendar.add_working_days(case.updated_at, 2)
    sweep(factory, rules, now=case.due_at + timedelta(seconds=1))
    state, recipients, district, city = alerts()
    assert state == "acceptance_escalated"
    assert ("supervisor", f"office:{city}") in recipients
