"""The received moment: 12315's 登记时间 and a partner's received_at, parsed and checked like
every other field; the clocks run from it and the case page says which moment is which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from test_12315 import as_csv, record
from test_api import api_complaint

from odr.auth.actor import Actor
from odr.cases.models import Case
from odr.cases.service import act
from odr.clock import utcnow
from odr.errors import InvalidData
from odr.intake.import12315 import import_records
from odr.intake.received import parse_received_at
from odr.intake.transfer12315 import read_records

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # Monday, 12:00 Beijing time


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-11-02 09:00:00", datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),
        ("2026/11/2 9:00", datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),
        ("2026-11-02T09:00:00+08:00", datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),
        ("2026-11-02T01:00:00Z", datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),
        ("2026-11-02T09:00:00.250+08:00", datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),
        ("2026年11月2日 9时", datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),
        ("2026-11-02", datetime(2026, 11, 1, 16, 0, tzinfo=UTC)),
        # A few minutes ahead of our clock is the other system's clock: now.
        ("2026-11-30 12:03:00", NOW),
    ],
)
def test_received_moment_formats(given, expected):
    assert parse_received_at(given, NOW, "registered_at") == expected


@pytest.mark.parametrize(
    "given",
    ["2026-13-45 25:61:00", "not a date", "2026-02-30 10:00", "2026-11-30 12:30:00", "+08:00"],
)
def test_received_moment_refused_with_its_field(given):
    with pytest.raises(InvalidData) as refused:
        parse_received_at(given, NOW, "registered_at")
    assert set(refused.value.errors) == {"registered_at"}


def test_bad_登记时间_rejects_the_record_naming_the_field(factory, rules):
    rows = [
        record("R1", 登记时间="2026-13-45 25:61:00", 消费时间="2026/11/20"),
        record("R2", 登记时间="not a date", 消费时间="2026/11/20"),
        record("R3", 登记时间="2027-01-01 09:00:00", 消费时间="2026/11/20"),
    ]
    results = import_records(factory, read_records(as_csv(rows))[0], rules, NOW)
    assert [(r.status, r.field) for r in results] == [("rejected", "登记时间")] * 3
    assert "future" in results[2].reason


def test_registered_moment_is_received_and_labelled(factory, rules, client, demo_logins):
    rows = [record("R4", 登记时间="2026-11-26 09:30:00", 消费时间="2026/11/20", 是否选择ODR="否")]
    now = utcnow()
    registered = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
    import_records(factory, read_records(as_csv(rows))[0], rules, now)
    with factory() as session:
        case = session.scalar(select(Case).where(Case.external_id == "R4"))
        assert case.received_at == registered and case.transferred_at == now
        assert case.clock_started_at == registered and case.state == "acceptance"
        office_id, number = case.office_id, case.number
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = client.get(f"/regulator/cases/{number}").text
    # Receipt is 登记时间; 受理时间 only once the case is accepted.
    assert "登记时间" in page and "转入时间" in page and "受理时间" not in page
    with factory.begin() as session:
        case = session.get(Case, case.id)
        regulator = Actor(
            role="regulator", label="承办人", office_id=office_id, office_ids=frozenset({office_id})
        )
        act(session, case, "accept", regulator, {}, rules=rules, now=now + timedelta(hours=1))
    assert "受理时间" in client.get(f"/regulator/cases/{number}").text


def test_partner_api_received_moment(client, factory):
    received = (utcnow() - timedelta(days=1)).astimezone(UTC).replace(microsecond=0)
    created = client.client.post(
        "/api/v1/complaints", json=api_complaint(received_at=received.isoformat())
    )
    assert created.status_code == 201, created.text
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == created.json()["number"]))
        assert case.received_at == received and case.clock_started_at == received
        assert case.transferred_at is not None and case.transferred_at > received
    refused = client.client.post("/api/v1/complaints", json=api_complaint(received_at="2026-13-45"))
    assert refused.status_code == 400
    assert {e["field"] for e in refused.json()["errors"]} == {"received_at"}
