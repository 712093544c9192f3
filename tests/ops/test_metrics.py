"""/metrics: requests by route template and status, gauges from the database, pass durations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from complaints import submit_form
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from odr.background import every
from odr.db.engine import transaction
from odr.notify.models import Notification
from odr.ops.metrics import registry_for


def families(text: str) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def test_requests_are_counted_by_route_template_never_by_case_number(client, file_complaint):
    number, code = file_complaint()
    client.post("/track", {"number": number, "access_code": code})
    assert client.get(f"/track/{number}").status_code == 200
    client.client.get(f"/api/v1/cases/{number}", headers={"X-Access-Code": "WRONGWRONG"})

    response = client.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["content-type"].count("charset") == 1
    assert number not in response.text  # no case numbers as label values
    requests = families(response.text)["odr_http_requests"]
    seen = {(s.labels["path"], s.labels["status_code"]) for s in requests}
    assert ("/track/{number}", "200") in seen
    assert ("/api/v1/cases/{number}", "404") in seen
    assert ("/track", "303") in seen
    durations = families(response.text)["odr_http_request_duration_seconds"]
    assert any(
        s.name.endswith("_count") and s.labels["path"] == "/track/{number}" and s.value >= 1
        for s in durations
    )
    assert "/metrics" not in {s.labels["path"] for s in requests}


def test_gauges_count_cases_overdue_cases_and_the_outbox(client, factory, rules, file_complaint):
    file_complaint()
    long_ago = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
    with transaction(factory) as session:
        late = submit_form(
            session, rules, long_ago, purchase_date="2026-10-01", order_number="MT-LATE-1"
        ).case
        late_state, late_workflow = late.state, late.workflow
    with transaction(factory) as session:
        session.execute(
            update(Notification).where(Notification.case_id == late.id).values(status="dead")
        )
        dead = session.query(Notification).filter_by(status="dead").count()
        pending = session.query(Notification).filter_by(status="pending").count()
    assert dead and pending

    found = families(generate_latest(registry_for(factory, rules)).decode())
    cases = {(s.labels["workflow"], s.labels["state"]): s.value for s in found["odr_cases_open"]}
    assert sum(cases.values()) == 2
    assert cases[(late_workflow, late_state)] >= 1
    assert found["odr_cases_overdue"][0].value == 1  # the case filed long ago
    backlog = {s.labels["status"]: s.value for s in found["odr_outbox_backlog"]}
    assert backlog == {"pending": pending, "sending": 0}
    assert found["odr_outbox_dead"][0].value == dead


def test_each_background_pass_is_timed_also_when_it_fails(run_async):
    def count() -> float:
        return (
            REGISTRY.get_sample_value("odr_background_pass_seconds_count", {"job": "test-job"}) or 0
        )

    calls = []

    def job() -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database away")
        return 0

    async def run_three_passes() -> None:
        task = asyncio.create_task(every(0.01, job, "test-job"))
        while len(calls) < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    before = count()
    run_async(run_three_passes())
    assert count() - before >= 3
