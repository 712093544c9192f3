"""Every POST of the API honours Idempotency-Key: a retry gets the first answer."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from complaints import complaint_form
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from odr.cases.models import Case
from odr.intake import idempotency
from odr.intake.idempotency import client_scope, request_digest
from odr.intake.models import IdempotencyKey


def body(**overrides: str) -> dict[str, str]:
    return {k: v for k, v in complaint_form(**overrides).items() if v not in ("", "1")}


def count(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_retry_returns_the_first_answer_and_creates_nothing(client, factory):
    headers = {"Idempotency-Key": "order-MT-1-attempt"}
    first = client.client.post("/api/v1/complaints", json=body(), headers=headers)
    again = client.client.post("/api/v1/complaints", json=body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same access code too: the first answer, stored
    assert again.headers["idempotent-replayed"] == "true"
    assert count(factory) == 1


def test_same_key_other_request_is_refused(client, factory):
    headers = {"Idempotency-Key": "k-2", "Authorization": "Bearer partner-system"}
    client.client.post("/api/v1/complaints", json=body(), headers=headers)
    other = client.client.post("/api/v1/complaints", json=body(order_number="X-9"), headers=headers)
    assert other.status_code == 422 and "another request" in other.json()["detail"]
    assert count(factory) == 1


def test_an_anonymous_key_is_the_first_callers_alone(client, factory):
    """Anyone may send an anonymous key: another caller with the same key and another complaint
    (another phone) is neither answered with the first caller's case and access code nor
    refused, and cannot squat a key before its rightful caller."""
    headers = {"Idempotency-Key": "order-MT-7"}
    first = client.client.post("/api/v1/complaints", json=body(), headers=headers)
    stranger = client.client.post(
        "/api/v1/complaints",
        json=body(complainant_phone="13900001111", order_number="X-7"),
        headers=headers,
    )
    assert first.status_code == stranger.status_code == 201, stranger.text
    assert "idempotent-replayed" not in stranger.headers
    assert stranger.json()["number"] != first.json()["number"]
    assert stranger.json()["access_code"] != first.json()["access_code"]
    retry = client.client.post("/api/v1/complaints", json=body(), headers=headers)
    assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
    assert count(factory) == 2


def test_errors_are_replayed_and_keys_are_per_client(client, factory):
    bad = client.client.post(
        "/api/v1/complaints", json=body(facts="短"), headers={"Idempotency-Key": "k-3"}
    )
    again = client.client.post(
        "/api/v1/complaints", json=body(facts="短"), headers={"Idempotency-Key": "k-3"}
    )
    assert bad.status_code == again.status_code == 400 and again.json() == bad.json()
    other_client = client.client.post(
        "/api/v1/complaints",
        json=body(),
        headers={"Idempotency-Key": "k-3", "Authorization": "Bearer someone-else"},
    )
    assert other_client.status_code == 201
    assert count(factory) == 1


def test_without_a_key_nothing_changes(client, factory):
    client.client.post("/api/v1/complaints", json=body())
    client.client.post("/api/v1/complaints", json=body(order_number="Y-1"))
    assert count(factory) == 2
    too_long = client.client.post(
        "/api/v1/complaints", json=body(), headers={"Idempotency-Key": "x" * 201}
    )
    assert too_long.status_code == 400


def _orphan_claim(factory, key: str, age: timedelta, request: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """The claim a process killed mid-request leaves behind: no answer, claimed `age` ago."""
    digest = request_digest("/api/v1/complaints", json.dumps(request).encode())
    with factory() as session, session.begin():
        session.add(
            IdempotencyKey(
                client=client_scope(None, digest),
                key=key,
                method="POST",
                path="/api/v1/complaints",
                request_sha256=digest,
                created_at=datetime.now(UTC) - age,
            )
        )


def _post(client, request: dict[str, str], key: str):  # type: ignore[no-untyped-def]
    return client.client.post(
        "/api/v1/complaints",
        content=json.dumps(request),
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )


def test_a_claim_still_running_answers_409(client, factory):
    request = body(order_number="RUN-1")
    _orphan_claim(factory, "k-running", timedelta(seconds=5), request)
    assert _post(client, request, "k-running").status_code == 409
    assert count(factory) == 0


def test_a_claim_left_by_a_dead_process_is_taken_over(client, factory, settings):
    request = body(order_number="DEAD-1")
    _orphan_claim(
        factory, "k-dead", timedelta(seconds=settings.idempotency_lease_seconds + 1), request
    )
    retried = _post(client, request, "k-dead")
    assert retried.status_code == 201, retried.text
    again = _post(client, request, "k-dead")
    assert again.json() == retried.json() and again.headers["idempotent-replayed"] == "true"
    assert count(factory) == 1


def test_a_complaint_filed_before_the_process_died_is_not_filed_twice(client, factory, settings):
    """Killed after the complaint's commit, before its answer was stored: the retry finds the
    same open case and answers with its number."""
    request = body(order_number="DEAD-2")
    filed = client.client.post("/api/v1/complaints", json=request).json()
    _orphan_claim(
        factory, "k-dead-2", timedelta(seconds=settings.idempotency_lease_seconds + 1), request
    )
    retried = _post(client, request, "k-dead-2")
    assert retried.status_code in (200, 201), retried.text
    assert retried.json()["number"] == filed["number"]
    assert count(factory) == 1


def test_an_answer_not_stored_while_the_database_was_away_is_stored_once_it_is_back(
    client, factory, monkeypatch
):
    """The answer went out, then storing it failed (the database went away): the key is
    completed once the database answers, so a retry gets the first answer, access code and
    all, instead of 409 until the lease runs out and then the case as a duplicate."""
    real_store = idempotency.store_answers
    failures: list[int] = []

    def away_once(session, answers):  # type: ignore[no-untyped-def]
        if not failures:
            failures.append(1)
            raise OperationalError("UPDATE", {}, ConnectionError("server closed the connection"))
        return real_store(session, answers)

    monkeypatch.setattr(idempotency, "store_answers", away_once)
    monkeypatch.setattr(idempotency, "STORE_RETRY_FIRST", 0.05)
    request = body(order_number="AWAY-1")
    first = _post(client, request, "k-away")
    assert first.status_code == 201, first.text
    assert failures == [1]

    def stored() -> bool:
        with factory() as session:
            return (
                session.scalar(select(IdempotencyKey.status).where(IdempotencyKey.key == "k-away"))
                == 201
            )

    deadline = time.monotonic() + 30
    while not stored() and time.monotonic() < deadline:
        time.sleep(0.05)
    retry = _post(client, request, "k-away")
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
    assert count(factory) == 1
