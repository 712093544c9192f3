"""Complaints posted to the API at the same moment are filed together (odr/intake/filing.py
through the group commit): each gets its own answer, as if they had come one by one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aio import run
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from test_api import api_complaint

from odr.cases.models import Case, CaseParty
from odr.intake.idempotency import Claim, claim_keys


async def _post_all(app, bodies, headers=None):  # type: ignore[no-untyped-def]
    async with AsyncTestClient(app) as client:
        return await asyncio.gather(
            *(
                client.post(
                    "/api/v1/complaints", json=body, headers=(headers or [{}] * len(bodies))[n]
                )
                for n, body in enumerate(bodies)
            )
        )


def test_many_at_once_each_get_their_own_case(app, factory):
    bodies = [
        api_complaint(complainant_phone=f"139{n:08d}", order_number=f"MT-AT-ONCE-{n}")
        for n in range(40)
    ]
    keys = [{"Idempotency-Key": f"at-once-{n}"} for n in range(40)]
    answers = run(_post_all(app, bodies, keys))
    assert [a.status_code for a in answers] == [201] * 40, answers[0].text
    numbers = [a.json()["number"] for a in answers]
    assert len(set(numbers)) == 40
    with factory() as session:
        stored = dict(session.execute(select(Case.number, Case.order_number)).all())
    # Each answer names the case of its own complaint.
    assert [stored[number] for number in numbers] == [f"MT-AT-ONCE-{n}" for n in range(40)]
    assert all(a.json()["access_code"] and a.json()["state"] == "negotiation" for a in answers)


def test_the_same_complaint_sent_five_times_at_once_is_one_case(app, factory):
    answers = run(_post_all(app, [api_complaint(order_number="MT-TWICE")] * 5))
    assert [a.status_code for a in answers] == [201] * 5
    first, *repeats = (a.json() for a in answers)
    assert first["access_code"] and first["duplicate_of"] is None
    assert {r["duplicate_of"] for r in repeats} == {first["number"]}
    assert all(r["access_code"] is None for r in repeats)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_one_key_sent_twice_at_once_files_once(app, factory):
    body = api_complaint(order_number="MT-ONE-KEY")
    first, second = run(_post_all(app, [body, body], [{"Idempotency-Key": "same"}] * 2))
    assert first.status_code == 201
    # The second finds the first still running (409), or its answer already stored (a replay).
    assert second.status_code == 409 or (
        second.headers["idempotent-replayed"] == "true" and second.json() == first.json()
    )
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_one_key_twice_in_one_transaction_is_claimed_once(factory):
    claim = Claim("client", "same", "/api/v1/complaints", "0" * 64, timedelta(seconds=60))
    with factory() as session, session.begin():
        first, second = claim_keys(session, [claim, claim])
        assert first is None  # this request runs
        assert second is not None and second.status is None  # still running: 409
        session.rollback()


def test_joint_refused_and_plain_complaints_at_once_each_get_their_answer(app, factory):
    joint = api_complaint(order_number="MT-JOINT") | {
        "co_complainants": [
            {"name": "李四", "phone": "13900139000", "address": "南宁市", "consent": True}
        ]
    }
    unfindable = api_complaint(respondent_name="没有登记的小店", order_number="MT-NOWHERE")
    plain = [api_complaint(complainant_phone=f"137{n:08d}") for n in range(3)]
    answers = run(_post_all(app, [plain[0], joint, unfindable, *plain[1:]]))
    assert [a.status_code for a in answers] == [201, 201, 400, 201, 201], answers[2].text
    assert [e["field"] for e in answers[2].json()["errors"]] == ["respondent_address"]
    with factory() as session:
        joint_case = session.scalar(select(Case).where(Case.number == answers[1].json()["number"]))
        parties = session.scalars(select(CaseParty.name).where(CaseParty.case_id == joint_case.id))
        assert list(parties) == ["李四"]
        assert session.scalar(select(func.count()).select_from(Case)) == 4
