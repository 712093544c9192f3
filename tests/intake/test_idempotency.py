"""Every POST of the API honours Idempotency-Key: a retry gets the first answer."""

from __future__ import annotations

from complaints import complaint_form
from sqlalchemy import func, select

from odr.cases.models import Case


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
    headers = {"Idempotency-Key": "k-2"}
    client.client.post("/api/v1/complaints", json=body(), headers=headers)
    other = client.client.post("/api/v1/complaints", json=body(order_number="X-9"), headers=headers)
    assert other.status_code == 422 and "another request" in other.json()["detail"]
    assert count(factory) == 1


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
