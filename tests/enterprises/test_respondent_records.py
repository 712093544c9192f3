"""Respondent records: a business a complaint names that odr did not know is counted under one
record (per name and address, or per USCC), and a regulator merges two records that are one."""

from __future__ import annotations

import uuid

from complaints import submit_form
from sqlalchemy import select

from odr.cases.chain import verify_all
from odr.cases.models import Case
from odr.clock import utcnow
from odr.enterprises.models import Enterprise, SupervisionRecord
from odr.enterprises.service import search


def file(factory, rules, name: str, address: str, order: str) -> Case:  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        case = submit_form(
            session,
            rules,
            utcnow(),
            respondent_name=name,
            respondent_address=address,
            order_number=order,
            purchase_date="2026-11-20",
        ).case
        session.expunge(case)
        return case


def test_records_count_one_business_and_merge(factory, rules, client, demo_logins):
    name = f"某水果摊{uuid.uuid4().hex[:6]}"
    first = file(factory, rules, name, "南宁市青秀区竹溪大道1号", "A1")
    again = file(factory, rules, name, "南宁市青秀区竹溪大道1号", "A2")
    elsewhere = file(factory, rules, name, "南宁市兴宁区朝阳路8号", "A3")
    assert first.respondent_id == again.respondent_id != elsewhere.respondent_id
    with factory() as session:
        record = session.get(Enterprise, first.respondent_id)
        other = session.get(Enterprise, elsewhere.respondent_id)
        assert (record.record_status, record.odr_status, record.region_code) == (
            "unverified",
            "none",
            "450103",
        )
        assert other.region_code == "450102"

    client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = client.get(f"/regulator/enterprises/{other.id}").text
    assert "未核实的被投诉人记录" in page and f"/regulator/enterprises/{other.id}/merge" in page
    refused = client.post(f"/regulator/enterprises/{other.id}/merge", {"into": "0", "reason": "x"})
    assert refused.status_code == 400
    merged = client.post(
        f"/regulator/enterprises/{other.id}/merge",
        {"into": str(record.id), "reason": "同一摊主的两个摊位，经现场核实为同一经营者"},
    )
    assert merged.status_code == 200, merged.text[:500]  # followed to the record's page

    with factory() as session:
        other = session.get(Enterprise, other.id)
        assert (other.record_status, other.merged_into_id) == ("merged", record.id)
        moved = session.get(Case, elsewhere.id)
        assert moved.respondent_id == record.id
        assert moved.events[-1].trigger == "respondent_merged"
        assert list(verify_all(session)) == []  # the merge restated the content digest
        decision = session.scalar(
            select(SupervisionRecord).where(SupervisionRecord.enterprise_id == other.id)
        )
        assert decision.action == "merge_record" and decision.evidence["cases_moved"] == 1
        # The complaint form suggests the business, not the record merged into it.
        assert [e.id for e in search(session, name)] == [record.id]
    # A later complaint naming the merged record counts under the business it was merged into.
    later = file(factory, rules, name, "南宁市兴宁区朝阳路8号", "A4")
    assert later.respondent_id == record.id
