"""The demo generator writes rows with the driver's executemany: each value must be stored as
SQLAlchemy would store it, or the ORM would read the generated cases back wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy.dialects import sqlite

from odr.db.base import UtcDateTime
from odr.db.bulk_load import stored_moment

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 5, 1, 2, 3, 4567, tzinfo=UTC),
        datetime(2026, 12, 5, 1, 2, 3, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2027, 1, 1, 7, 59, 59, 999999, tzinfo=BEIJING),  # the day before, in UTC
        datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC),
        None,
    ],
)
def test_a_moment_is_stored_as_sqlalchemy_stores_it(moment):
    dialect = sqlite.dialect()
    sqlalchemy_stores = UtcDateTime.dialect_impl(dialect).bind_processor(dialect)
    assert stored_moment(moment) == sqlalchemy_stores(moment)


def test_a_moment_without_a_zone_is_refused_as_sqlalchemy_refuses_it():
    with pytest.raises(TypeError):
        stored_moment(datetime(2026, 12, 5, 1, 2, 3))


def test_generated_cases_are_what_the_service_writes(factory, rules):
    """Filed by submit()'s steps and moved by act()'s: each case's state and deadline are its
    last move's, it was written once per event (its version), its chain verifies, every late
    deadline has passed and every other one, and every reminder, is still ahead."""
    from sqlalchemy import func, select

    from odr.cases.chain import verify_all
    from odr.cases.models import Case, CaseEvent
    from odr.demo.loading import generate_cases

    now = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    generate_cases(factory, rules, 300, now, overdue=12, seed=7, processes=1)
    with factory() as session:
        assert list(verify_all(session)) == []
        cases = session.scalars(select(Case)).all()
        assert len(cases) == 300
        assert len({c.state for c in cases}) > 20
        for case in cases:
            events = session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
            ).all()
            moves = [e for e in events if e.from_state != e.to_state]
            assert [e.trigger for e in events[:2]] == ["submit", "route"]
            assert moves[-1].to_state == case.state
            assert case.version == case.event_count == len(events)
            if case.due_at is not None:
                assert moves[-1].payload["due_at"] == case.due_at.isoformat()
            # Each move, fired again with its data, takes the transition it recorded.
            workflow = rules.workflow(case.workflow, case.workflow_version)
            probe = SimpleNamespace(
                state=workflow.initial,
                respondent_id=case.respondent_id,
                enterprise_id=case.enterprise_id,
                office_id=case.office_id,
                anonymous=case.anonymous,
            )
            for event in moves[1:]:  # after the submit event
                workflow.fire(probe, event.trigger, event.actor_role, event.payload)
                assert probe.state == event.to_state, (case.number, event.trigger)
            if case.rating is not None:  # rated as followup.rate() rates: an event
                assert events[-1].trigger == "follow_up"
                assert events[-1].payload["rating"] == case.rating
        # Classified, and the closings that recover money record it: the report is not empty.
        complaints = [c for c in cases if c.claim_type != "report"]
        assert sum(c.goods_category is not None for c in complaints) > len(complaints) / 2
        assert sum(c.problem_nature is not None for c in complaints) > len(complaints) / 2
        recovering = [c for c in cases if c.outcome in ("settled", "mediated", "returned")]
        assert recovering and all(c.recovered_amount for c in recovering)
        due = session.scalar(select(func.count()).where(Case.due_at <= now))
        assert due == 12
        assert session.scalar(select(func.count()).where(Case.next_reminder_at <= now)) == 0
