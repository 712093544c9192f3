"""A repeat of an open case (same phone, business and order within 30 days) joins it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from complaints import complaint_form, submit_form
from sqlalchemy import func, select

from odr.cases.models import Case

FILED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def file(session, rules, now, **overrides):  # type: ignore[no-untyped-def]
    return submit_form(session, rules, now, purchase_date="2026-10-30", **overrides)


def test_repeat_joins_the_open_case(factory, rules):
    with factory.begin() as session:
        first = file(session, rules, FILED)
        again = file(
            session, rules, FILED + timedelta(days=3), facts="再次投诉：仍未退款，要求尽快处理。"
        )
        assert again.duplicate and again.case.id == first.case.id and again.access_code == ""
        assert first.case.events[-1].trigger == "duplicate_received"
        other_order = file(session, rules, FILED + timedelta(days=3), order_number="MT-OTHER")
        assert not other_order.duplicate
        later = file(session, rules, FILED + timedelta(days=31))
        assert not later.duplicate  # more than 30 days on: a new case
        count = session.scalar(select(func.count()).select_from(Case))
    assert count == 3


def test_web_form_says_which_case_it_joined(client, file_complaint):
    number, _ = file_complaint()
    again = client.post("/", complaint_form())
    assert again.status_code == 200
    assert "投诉已并入原案件" in again.text and number in again.text
    assert 'id="access-code"' not in again.text


def test_api_answers_duplicate_of(client):
    body = {k: v for k, v in complaint_form().items() if v not in ("", "1")}
    first = client.client.post("/api/v1/complaints", json=body).json()
    again = client.client.post("/api/v1/complaints", json=body)
    assert again.status_code == 201
    assert again.json()["duplicate_of"] == first["number"] and again.json()["access_code"] is None
