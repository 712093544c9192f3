"""The batched 12315 import (odr/cases/bulk.py) files what submit() would, record by record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from test_12315 import as_csv, record

import odr.intake.import12315 as import12315
from odr.cases.bulk import NewComplaint, submit_batch
from odr.cases.chain import verify_all
from odr.cases.models import Case, CaseEvent
from odr.cases.service import check_access_code
from odr.clock import utcnow
from odr.db.engine import transaction
from odr.errors import InvalidData
from odr.intake.complaint import parse_complaint
from odr.intake.import12315 import _import_one, complaint_fields, import_records
from odr.intake.transfer12315 import read_records
from odr.notify.models import Notification

# Per case: what differs between two runs by design (ids, the random number and access code,
# the optimistic-lock counter) and what follows from the number (hashes, the digest).
UNCOMPARED = {"id", "number", "access_code_hash", "version", "last_event_hash"}
# Compared by the 12315 number of the case they name (ids differ between runs).
CASE_IDS = ("probable_repeat_of",)


def mixed_batch() -> list[dict[str, str]]:
    return [
        record("M1"),
        record("M2", 联系电话="123"),  # rejected: the phone
        record("M3", 投诉诉求="发财"),  # rejected: the claim
        record("M4", 是否选择ODR="否"),  # to the regulator, not the platform
        record("M5", 承办单位="450103"),  # the handling office named by region code
        record("M6", 承办单位="不存在的局"),  # routed as if not named: names no office here
        record("M7", 被投诉人名称="无名小店", 被投诉人地址=""),  # rejected: unknown, no address
        record("M8", 被投诉人名称="无名小店", 被投诉人地址="南宁市青秀区某路1号"),  # 450103
        record("M13", 被投诉人名称="无名小店", 被投诉人地址="某路1号"),  # triage: no district
        record("M1"),  # the same 12315 number again in the batch
        record("M9", 订单号="DD-M1"),  # a repeat of M1's open case (phone, business, order)
        record("M10", 订单号="DD-M1"),  # and another
        record("M11", 订单号=""),  # no order number: never a repeat
        record("M12", 订单号=""),
        record("M2"),  # M2 again, now valid: filed
        record("M2"),  # and again: a duplicate of that
    ]


def clear(factory) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        for model in (Notification, CaseEvent, Case):
            session.execute(model.__table__.delete())


def snapshot(factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Every 12315 case by its 12315 number: its columns, events and notifications, without
    what differs by design between two runs."""
    found: dict[str, Any] = {}
    with factory() as session:
        external = dict(session.execute(select(Case.id, Case.external_id)).all())
        for case in session.scalars(select(Case).where(Case.channel == "12315")):
            columns = {
                c.key: getattr(case, c.key)
                for c in Case.__table__.columns
                if c.key not in UNCOMPARED
            }
            columns.update({key: external.get(columns[key]) for key in CASE_IDS})
            events = [
                (
                    e.seq,
                    e.trigger,
                    e.from_state,
                    e.to_state,
                    e.actor_role,
                    e.actor_label,
                    {k: v for k, v in e.payload.items() if k != "content_sha256"},
                )
                for e in case.events
            ]
            notices = sorted(
                (
                    n.kind,
                    n.audience,
                    n.audience_id,
                    n.channel,
                    n.recipient,
                    n.locale,
                    n.status,
                    sorted(
                        (k, str(v))
                        for k, v in n.context.items()
                        if k not in ("case_number", "access_code")
                    ),
                    session.get(CaseEvent, n.event_id).seq,
                )
                for n in session.scalars(
                    select(Notification).where(Notification.case_id == case.id)
                )
            )
            found[case.external_id] = (columns, events, notices)
    return found


def one_by_one(factory, rows, rules, now):  # type: ignore[no-untyped-def]
    """The per-record path (submit() in a savepoint each), as the import did before batches."""
    records, _ = read_records(as_csv(rows))
    with transaction(factory) as session:
        return [_import_one(session, r, rules, now) for r in records]


def test_batch_files_what_submit_files_one_by_one(factory, rules):
    # A day after the records' 登记时间: the repeat windows are counted from the arrival.
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    records, _ = read_records(as_csv(mixed_batch()))
    batched = import_records(factory, records, rules, now)
    batched_state = snapshot(factory)
    clear(factory)
    single = one_by_one(factory, mixed_batch(), rules, now)
    single_state = snapshot(factory)

    def outcome(results):  # type: ignore[no-untyped-def]
        return [(r.line, r.external_id, r.status, r.field, r.reason) for r in results]

    assert outcome(batched) == outcome(single)
    assert [r.status for r in batched] == [
        "created",
        "rejected",
        "rejected",
        "created",
        "created",
        "created",
        "rejected",
        "created",
        "created",
        "duplicate",
        "duplicate",
        "duplicate",
        "created",
        "created",
        "created",
        "duplicate",
    ]
    assert batched_state == single_state
    m1 = batched_state["M1"]
    assert [e[1] for e in m1[1]] == ["submit", "route", "duplicate_received", "duplicate_received"]
    assert m1[0]["event_count"] == 4 and m1[0]["identity_verified"]
    assert batched_state["M4"][0]["state"] == "acceptance"
    assert batched_state["M6"][0]["routing_note"] is None  # its business's office: no triage
    assert batched_state["M8"][0]["state"] == "acceptance"  # the district its address names
    m13 = batched_state["M13"][0]
    assert m13["state"] == "triage" and m13["due_at"] is not None
    assert "the address names no district" in m13["routing_note"]
    # Both 无名小店 are respondent records, one per address.
    assert m13["respondent_id"] != batched_state["M8"][0]["respondent_id"]
    # No order number: a probable repeat of the latest case of the same phone, business and
    # product (M6 before it; then M11), found in the batch as one by one.
    assert batched_state["M11"][0]["probable_repeat_of"] == "M6"
    assert batched_state["M12"][0]["probable_repeat_of"] == "M11"
    # Repeats answer with the case they joined.
    numbers = {r.external_id: r.case_number for r in batched}
    assert numbers["M9"] == numbers["M10"] == numbers["M1"]


def test_batched_chains_verify(factory, rules):
    records, _ = read_records(as_csv(mixed_batch()))
    import_records(factory, records, rules, utcnow(), batch=4)  # repeats across batches too
    with factory() as session:
        assert list(verify_all(session)) == []
        assert session.query(Case).count() == 9  # the "created" of mixed_batch()


def test_repeat_of_a_stored_open_case_joins_it(factory, rules):
    now = utcnow()
    first, _ = read_records(as_csv([record("R1")]))
    import_records(factory, first, rules, now - timedelta(days=2))
    again, _ = read_records(as_csv([record("R2", 订单号="DD-R1"), record("R3", 订单号="DD-R1")]))
    results = import_records(factory, again, rules, now)
    assert [r.status for r in results] == ["duplicate", "duplicate"]
    with factory() as session:
        case = session.scalar(select(Case).where(Case.external_id == "R1"))
        assert results[0].case_number == case.number
        assert [e.trigger for e in case.events][-2:] == ["duplicate_received"] * 2
        assert [e.payload["external_id"] for e in case.events[2:]] == ["R2", "R3"]
        assert list(verify_all(session)) == []


def test_batch_meeting_a_number_stored_meanwhile_is_redone_one_by_one(factory, rules, monkeypatch):
    records, _ = read_records(as_csv([record("S1"), record("S2")]))
    import_records(factory, records, rules, utcnow())
    # As if another import stored S1 after this batch looked: the insert meets the unique
    # (channel, 12315 number) and the batch is done again record by record.
    monkeypatch.setattr(import12315, "existing_cases", lambda *args: {})
    more, _ = read_records(as_csv([record("S1"), record("S3")]))
    results = import_records(factory, more, rules, utcnow())
    assert [(r.external_id, r.status) for r in results] == [("S1", "duplicate"), ("S3", "created")]
    with factory() as session:
        numbers = session.scalars(select(Case.external_id).where(Case.channel == "12315")).all()
        assert sorted(numbers) == ["S1", "S2", "S3"]


def test_batch_gives_each_case_its_access_code(factory, rules):
    now = utcnow()
    lists = rules.workflow().lists["claim_types"]
    records, _ = read_records(as_csv([record("T1"), record("T2")]))
    items: list[tuple[str | None, NewComplaint | InvalidData]] = [
        (r.fields["external_id"], NewComplaint(parse_complaint(complaint_fields(r), lists)))
        for r in records
    ]
    with transaction(factory) as session:
        filed = submit_batch(
            session, items, rules=rules, now=now, channel="12315", identity_verified=True
        )
    with factory() as session:
        for outcome in filed:
            case = session.scalar(select(Case).where(Case.number == outcome.case_number))
            assert outcome.status == "created" and check_access_code(case, outcome.access_code)
            assert case.identity_verified and case.due_at is not None
            sms = session.scalar(
                select(Notification).where(
                    Notification.case_id == case.id, Notification.channel == "sms"
                )
            )
            assert sms.context["access_code"] == outcome.access_code


def test_joint_complaints_are_left_to_submit(factory, rules):
    records, _ = read_records(as_csv([record("U1")]))
    fields = complaint_fields(records[0]) | {
        "party_name_1": "王五",
        "party_phone_1": "13700137000",
        "party_address_1": "南宁市",
        "party_consent_1": "1",
    }
    joint = parse_complaint(fields, rules.workflow().lists["claim_types"])
    with transaction(factory) as session, pytest.raises(ValueError):
        submit_batch(
            session, [("U1", NewComplaint(joint))], rules=rules, now=utcnow(), channel="12315"
        )
