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


def _stored(factory):  # type: ignore[no-untyped-def]
    """Every row of the tables the demo loads, in key order (the words' tsvector as text)."""
    from sqlalchemy import select, text

    from odr.cases.bulk import CASES, EVENTS, NOTIFICATIONS

    with factory() as session:
        rows = {
            t.name: session.execute(select(t).order_by(t.c.id)).all()
            for t in (CASES, EVENTS, NOTIFICATIONS)
        }
        rows["case_search"] = session.execute(
            text("SELECT case_id, terms, tsv::text FROM case_search ORDER BY case_id")
        ).all()
    return rows


def _schema(factory):  # type: ignore[no-untyped-def]
    """The loaded tables' indexes and constraints, each with its definition."""
    from sqlalchemy import text

    tables = "('cases', 'case_events', 'notifications', 'case_search')"
    with factory() as session:
        indexes = session.execute(
            text(f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN {tables}")
        ).all()
        constraints = session.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                f"WHERE conrelid::regclass::text IN {tables}"
            )
        ).all()
    return set(indexes), set(constraints)


def test_postgresql_copy_stores_what_sqlalchemy_stores(
    postgres_only, factory, rules, monkeypatch, database_url, file_complaint
):
    """On PostgreSQL the demo's rows go in by COPY: every row of every loaded table is the one
    SQLAlchemy's own executemany (SqlLoader) stores for the same cases; the indexes and
    constraints dropped for the load are back as they were, the chains verify (`odr audit
    verify`), the search finds the cases and the next case filed takes the next id."""
    from click.testing import CliRunner
    from sqlalchemy import func, select, text

    from odr.auth.models import User
    from odr.auth.service import actor_for
    from odr.cli import main
    from odr.db import bulk_load
    from odr.demo import loading
    from odr.search.query import parse
    from odr.search.service import search

    now = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    monkeypatch.setattr(loading, "BATCH", 150)  # three batches, from worker processes
    schema = _schema(factory)

    def generated(loader: object) -> dict:
        monkeypatch.setattr(loading, "loader_for", lambda engine: loader)
        loading.generate_cases(factory, rules, 400, now, overdue=12, seed=7, processes=2)
        return _stored(factory)

    by_sqlalchemy = generated(bulk_load.SqlLoader())
    with factory() as session, session.begin():
        for table in ("notifications", "case_search", "case_events", "cases"):
            session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our names
            if table != "case_search":  # the ids start again: the COPY load must move them
                session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1, false)")
                )
    assert isinstance(bulk_load.loader_for(factory.kw["bind"]), bulk_load.CopyLoader)
    by_copy = generated(bulk_load.loader_for(factory.kw["bind"]))

    assert {name: len(rows) for name, rows in by_copy.items()} == {
        name: len(rows) for name, rows in by_sqlalchemy.items()
    }
    assert len(by_copy["cases"]) == 400 and len(by_copy["case_events"]) > 800
    for name, rows in by_sqlalchemy.items():
        for row, copied in zip(rows, by_copy[name], strict=True):
            assert copied == row, name
    assert _schema(factory) == schema
    # Each loaded event's feed position is its id: the first feed read numbers none.
    assert all(e.feed_position == e.id for e in by_copy["case_events"])

    verified = CliRunner().invoke(main, ["audit", "verify"], env={"ODR_DATABASE_URL": database_url})
    assert verified.exit_code == 0, verified.output
    assert "every case's hash chain is intact" in verified.output
    with factory() as session:
        city = actor_for(session, session.scalar(select(User).where(User.username == "reg450100")))
        for case in by_copy["cases"][::40]:
            phone = case.complainant_phone.removeprefix("+86")
            for query in (case.number, phone, f"{phone[-4:]} {case.complainant_name}"):
                found = search(session, city, parse(query))
                assert case.number in [c.number for c in found.cases], query
        last = session.scalar(select(func.max(text("id"))).select_from(text("case_events")))
    number, _ = file_complaint()
    with factory() as session:
        filed = session.execute(
            text("SELECT id FROM cases WHERE number = :number"), {"number": number}
        ).scalar_one()
        assert filed == 401
        assert (
            session.scalar(
                text("SELECT min(id) FROM case_events WHERE case_id = :id"), {"id": filed}
            )
            == last + 1
        )
