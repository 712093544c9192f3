"""A due deadline fires once: re-running the sweeper, or running two at once, changes nothing
twice."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from odr.cases.models import Case, CaseEvent
from odr.cases.sweeper import sweep
from odr.notify.models import Notification


def _file_many(file_complaint, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [file_complaint(order_number=f"SW-{i}")[0] for i in range(count)]


def _due(factory) -> object:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(func.max(Case.due_at)))


def _expiry_events(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.trigger == "expire")
        )


def _concurrent_sweeps(factory, rules, now, sweepers: int = 2) -> list[int]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(sweepers)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(sweep(factory, rules, now=now, batch=7).expired)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(sweepers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_sweep_fires_each_due_case_once(file_complaint, factory, rules):
    numbers = _file_many(file_complaint, 5)
    now = _due(factory) + timedelta(seconds=1)
    assert sweep(factory, rules, now=now).expired == 5
    assert sweep(factory, rules, now=now).expired == 0
    assert _expiry_events(factory) == 5
    with factory() as session:
        states = set(session.scalars(select(Case.state).where(Case.number.in_(numbers))))
        overdue_notices = session.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == "overdue")
        )
    assert states == {"acceptance"}
    assert overdue_notices == 5  # one per case, to the enterprise


def test_concurrent_sweeps_on_sqlite_fire_once(file_complaint, factory, rules):
    _file_many(file_complaint, 12)
    now = _due(factory) + timedelta(seconds=1)
    results = _concurrent_sweeps(factory, rules, now)
    assert sum(results) == 12
    assert _expiry_events(factory) == 12


def test_concurrent_sweeps_on_postgres_fire_once(postgres_only, file_complaint, factory, rules):
    _file_many(file_complaint, 30)
    now = _due(factory) + timedelta(seconds=1)
    results = _concurrent_sweeps(factory, rules, now, sweepers=3)
    assert sum(results) == 30
    assert _expiry_events(factory) == 30
    with factory() as session:
        per_case = session.execute(
            select(CaseEvent.case_id, func.count())
            .where(CaseEvent.trigger == "expire")
            .group_by(CaseEvent.case_id)
        ).all()
    assert len(per_case) == 30 and all(count == 1 for _, count in per_case)


def _outcome(factory, number: str) -> dict:  # type: ignore[no-untyped-def]
    """What an expiry left on a case, without what differs between two cases (number, ids,
    hashes): its columns, its last event, its outbox rows."""
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        event = session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())
        )
        notices = session.scalars(
            select(Notification)
            .where(Notification.event_id == event.id)
            .order_by(Notification.channel, Notification.recipient)
        )
        context_of = lambda n: {k: v for k, v in n.context.items() if k != "case_number"}  # noqa: E731
        return {
            "case": (
                case.state,
                case.due_at,
                case.next_reminder_at,
                case.office_id,
                case.enterprise_id,
                case.event_count,
                case.closed_at,
            ),
            "event": (
                event.seq,
                event.trigger,
                event.from_state,
                event.to_state,
                event.payload,
                event.actor_role,
                event.actor_label,
                event.prev_hash != "",
            ),
            "notices": [
                (
                    n.kind,
                    n.audience,
                    n.audience_id,
                    n.channel,
                    n.recipient,
                    n.locale,
                    context_of(n),
                    n.status,
                )
                for n in notices
            ],
        }


def test_a_batch_of_expiries_stores_what_act_stores_one_by_one(file_complaint, factory, rules):
    """The sweeper fires expiries a batch at a time (odr.cases.bulk.act_batch); a case expired
    alone through act() ends the same: state, clock, event, notifications, a valid chain."""
    from odr.auth.actor import SYSTEM
    from odr.cases.chain import verify_all
    from odr.cases.service import act

    alone, *batched = _file_many(file_complaint, 3)
    now = _due(factory) + timedelta(seconds=1)
    with factory() as session, session.begin():
        case = session.scalar(select(Case).where(Case.number == alone))
        trigger = rules.workflow(case.workflow, case.workflow_version).states[case.state].clock
        act(session, case, trigger.on_expiry, SYSTEM, {}, rules=rules, now=now)
    assert sweep(factory, rules, now=now).expired == 2
    expected = _outcome(factory, alone)
    assert expected["notices"]  # the expiry tells someone
    for number in batched:
        assert _outcome(factory, number) == expected
    with factory() as session:
        assert list(verify_all(session)) == []


def test_a_case_changed_after_its_batch_was_read_stops_the_batch(file_complaint, factory, rules):
    """act_batch writes cases as rows with the version they were read at (the ORM's check): a
    case another transaction changed meanwhile fails the whole batch, and nothing is written."""
    import pytest
    from sqlalchemy import update

    from odr.auth.actor import SYSTEM
    from odr.cases.bulk import act_batch, stored_cases
    from odr.errors import ConcurrentChange

    numbers = _file_many(file_complaint, 3)
    now = _due(factory) + timedelta(seconds=1)
    with factory() as session, session.begin():
        claimed = stored_cases(session, select(Case.__table__).where(Case.number.in_(numbers)))
        session.execute(  # as if another transaction had changed one since
            update(Case.__table__)
            .where(Case.number == numbers[1])
            .values(version=Case.__table__.c.version + 1)
        )
        workflow = rules.workflow(claimed[0][0].workflow, claimed[0][0].workflow_version)
        trigger = workflow.states[claimed[0][0].state].clock.on_expiry
        with pytest.raises(ConcurrentChange, match=numbers[1]):
            act_batch(session, claimed, trigger, SYSTEM, rules=rules, now=now)
        session.rollback()
    assert _expiry_events(factory) == 0
    assert sweep(factory, rules, now=now).expired == 3  # the next pass fires them
    with factory() as session:
        versions = session.execute(
            select(Case.number, Case.version).where(Case.number.in_(numbers))
        )
        assert {n: v for n, v in versions} == {n: 3 for n in numbers}
