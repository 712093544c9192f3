"""submit_batch() files what submit() files one by one: the same mixed batch through both paths
stores the same rows, column for column, in cases, case_events and notifications. Case numbers,
access codes and their salts are drawn from the same sequence in both runs, so even the hashes
compare; only row ids differ (each is compared as what it points to)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from complaints import complaint_form
from sqlalchemy import select

import odr.cases.service as service
import odr.security.access_codes as access_codes
from odr.cases.bulk import NewComplaint, submit_batch
from odr.cases.models import Case, CaseEvent
from odr.db.engine import transaction
from odr.errors import InvalidData
from odr.intake.complaint import parse_complaint
from odr.notify.models import Notification
from odr.offices.models import Office

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
INTAKE_OFFICE = "450103"  # not the rules' own (450100): the batch must route by it too
CHANNEL = "api"


@pytest.fixture
def drawn_alike(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Case numbers, access codes and salts each from a sequence, started again by each call
    (the batch draws all its numbers first, submit() a number, a code and a salt a case)."""
    counters: dict[str, Any] = {}

    def restart() -> None:
        counters.update(number=itertools.count(1), code=itertools.count(1), salt=itertools.count(1))

    def following(kind: str) -> int:
        return next(counters[kind])

    monkeypatch.setattr(
        service, "_new_case_number", lambda now: f"ODR{now:%y%m%d}{following('number'):08d}"
    )
    monkeypatch.setattr(service, "new_access_code", lambda: f"CODE{following('code'):06d}")
    monkeypatch.setattr(
        access_codes, "secrets", SimpleNamespace(token_hex=lambda n: f"{following('salt'):016x}")
    )
    return restart


def complaints(rules, **overrides: str):  # type: ignore[no-untyped-def]
    return parse_complaint(
        complaint_form(**overrides),
        rules.workflow().lists["claim_types"],
        today=NOW.date(),
        violation_types=rules.workflow("report").lists["violation_types"],
    )


def mixed(session, rules) -> list[NewComplaint]:  # type: ignore[no-untyped-def]
    """Every way intake goes: the platform negotiates, a shop goes to its office, an unknown
    business to triage at the intake office, seven-day return, no ODR wanted, an office named,
    a repeat within the batch and of a stored case, English with e-mail; two refused."""
    office = session.scalar(select(Office).where(Office.region_code == "450102"))
    shop = "南宁市兴宁区好又多便利店"
    return [
        NewComplaint(complaints(rules)),
        NewComplaint(complaints(rules, respondent_name=shop, complainant_phone="13800000002")),
        NewComplaint(
            complaints(
                rules,
                respondent_name="无名小店",
                respondent_address="某路1号",  # names no district: triage
                complainant_phone="13800000003",
            )
        ),
        NewComplaint(
            complaints(rules, respondent_name="无名小店", complainant_phone="13800000004")
        ),
        NewComplaint(
            complaints(
                rules,
                claim_type="seven_day_return",
                delivery_date="2026-11-21",
                goods_category="general",
                goods_intact="1",
                complainant_phone="13800000005",
            )
        ),
        NewComplaint(complaints(rules, complainant_phone="13800000006"), prefer_odr=False),
        NewComplaint(complaints(rules, complainant_phone="13800000007"), office=office),
        NewComplaint(complaints(rules), intake_payload={"note": "again"}),  # repeats the first
        NewComplaint(complaints(rules, complainant_phone="13900000000", order_number="OLD-1")),
        NewComplaint(
            complaints(
                rules,
                complainant_phone="13800000008",
                complainant_email="li@example.com",
                locale="en",
                order_number="",
            )
        ),
    ]


def stored_before(session, rules) -> None:  # type: ignore[no-untyped-def]
    """An open case that a complaint of the batch repeats."""
    stored = complaints(rules, complainant_phone="13900000000", order_number="OLD-1")
    service.submit(session, stored, rules=rules, now=NOW, channel=CHANNEL)


def one_by_one(session, rules, items) -> list[str]:  # type: ignore[no-untyped-def]
    outcomes = []
    for item in items:
        try:
            with session.begin_nested():
                done = service.submit(
                    session,
                    item.complaint,
                    rules=rules,
                    intake_office_code=INTAKE_OFFICE,
                    channel=CHANNEL,
                    now=NOW,
                    prefer_odr=item.prefer_odr,
                    office=item.office,
                    intake_payload=item.intake_payload,
                )
            outcomes.append("duplicate" if done.duplicate else "created")
        except InvalidData:
            outcomes.append("rejected")
    return outcomes


def batched(session, rules, items) -> list[str]:  # type: ignore[no-untyped-def]
    filed = submit_batch(
        session,
        [(None, item) for item in items],
        rules=rules,
        now=NOW,
        channel=CHANNEL,
        intake_office_code=INTAKE_OFFICE,
    )
    return [f.status for f in filed]


def stored(session) -> dict[str, list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """Every row of the three tables, each id replaced by what it names (a case by its number,
    an event by its case's number and seq)."""
    numbers = dict(session.execute(select(Case.id, Case.number)).all())
    seqs = {
        id_: (numbers[case_id], seq)
        for id_, case_id, seq in session.execute(
            select(CaseEvent.id, CaseEvent.case_id, CaseEvent.seq)
        )
    }
    named = {
        "case_id": numbers.get,
        "linked_case_id": numbers.get,
        "event_id": seqs.get,
    }

    def rows(model) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        found = []
        for row in session.execute(select(model.__table__)).mappings():
            found.append(
                {
                    key: named[key](value) if key in named else value
                    for key, value in row.items()
                    if key != "id"
                }
            )
        return sorted(found, key=repr)

    return {
        "cases": rows(Case),
        "case_events": rows(CaseEvent),
        "notifications": rows(Notification),
    }


def run(factory, rules, drawn_alike, file) -> tuple[list[str], dict[str, Any]]:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        for model in (Notification, CaseEvent, Case):
            session.execute(model.__table__.delete())
    drawn_alike()
    with transaction(factory) as session:
        stored_before(session, rules)
    with transaction(factory) as session:
        outcomes = file(session, rules, mixed(session, rules))
    with factory() as session:
        return outcomes, stored(session)


def test_the_batch_stores_every_column_submit_stores(factory, rules, drawn_alike):
    single, single_rows = run(factory, rules, drawn_alike, one_by_one)
    batch, batch_rows = run(factory, rules, drawn_alike, batched)
    assert single == ["created"] * 3 + ["rejected"] + ["created"] * 3 + ["duplicate"] * 2 + [
        "created"
    ]
    assert batch == single
    assert {table: len(rows) for table, rows in batch_rows.items()} == {
        table: len(rows) for table, rows in single_rows.items()
    }
    for table in single_rows:
        for one, other in zip(single_rows[table], batch_rows[table], strict=True):
            assert one == other, table
    # The unknown business went to the intake office asked for, not the rules' own.
    triage = next(c for c in batch_rows["cases"] if c["state"] == "triage")
    with factory() as session:
        office = session.get(Office, triage["office_id"])
        assert office.region_code == INTAKE_OFFICE
