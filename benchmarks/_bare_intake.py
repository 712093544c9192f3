"""The same-rows baseline of benchmarks/api_intake.py: a bare `POST /api/v1/complaints` on the
HTTP stack `odr serve` runs (uvicorn, litestar, one process) that writes the rows odr writes for
one complaint, in one transaction per request, with none of odr's checks.

    ODR_DATABASE_URL=... python benchmarks/_bare_intake.py --port P

The rows are those odr wrote for the last complaint filed through its API (the database must
hold one; the benchmark files them first): the case, its two events, their two outbox rows
(notifications), the case's search words and the Idempotency-Key with its answer, seven rows,
through the same engine (odr/db/engine.py: SQLite's PRAGMAs and write turns, PostgreSQL's
connection settings) and the same tables. Each request copies them with a new case number and
the body's phone, names, product, order number and facts; the events keep their hashes and the
notifications their text (no hash chain, no templates). No validation, no respondent lookup,
no repeat check, no routing, no calendar, no group commit, no middleware.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import secrets
from typing import Any

import uvicorn
from litestar import Litestar, Request, get, post
from litestar.datastructures import State
from sqlalchemy import Engine, Table, insert, select

from odr.cases.models import Case, CaseEvent, CaseSearch
from odr.clock import utcnow
from odr.db.engine import Timeouts, make_engine
from odr.intake.models import IdempotencyKey
from odr.notify.models import Notification

CASES: Table = Case.__table__  # type: ignore[assignment]
EVENTS: Table = CaseEvent.__table__  # type: ignore[assignment]
NOTIFICATIONS: Table = Notification.__table__  # type: ignore[assignment]
SEARCH: Table = CaseSearch.__table__  # type: ignore[assignment]
KEYS: Table = IdempotencyKey.__table__  # type: ignore[assignment]
# The body's text, written as it came (odr checks and normalises each field).
FROM_BODY = (
    "complainant_name",
    "complainant_phone",
    "complainant_address",
    "respondent_name",
    "product",
    "order_number",
    "claim_type",
    "facts",
)


def _row(table: Table, row: Any) -> dict[str, Any]:
    """A stored row's columns, its generated id left out."""
    return {k: v for k, v in row._mapping.items() if k != "id" and k in table.c}


def templates(engine: Engine) -> dict[str, Any]:
    """The rows odr wrote for the last complaint filed through its API, with its answer."""
    with engine.connect() as connection:
        case = connection.execute(
            select(CASES).where(CASES.c.channel == "api").order_by(CASES.c.id.desc()).limit(1)
        ).one_or_none()
        if case is None:
            raise SystemExit("no complaint filed through the API yet: nothing to copy")
        events = connection.execute(
            select(EVENTS).where(EVENTS.c.case_id == case.id).order_by(EVENTS.c.seq)
        ).all()
        notifications = connection.execute(
            select(NOTIFICATIONS)
            .where(NOTIFICATIONS.c.case_id == case.id)
            .order_by(NOTIFICATIONS.c.id)
        ).all()
        search = connection.execute(select(SEARCH).where(SEARCH.c.case_id == case.id)).one()
        key = connection.execute(
            select(KEYS).where(KEYS.c.status == 201).order_by(KEYS.c.id.desc()).limit(1)
        ).one()
    seq_of = {event.id: event.seq for event in events}
    return {
        "case": _row(CASES, case),
        "events": [_row(EVENTS, e) for e in events],
        # Each notification points at its event by the event's seq.
        "notifications": [
            (seq_of[n.event_id], _row(NOTIFICATIONS, n) | {"status": "pending"})
            for n in notifications
        ],
        "search": _row(SEARCH, search),
        "key": _row(KEYS, key),
    }


def file(engine: Engine, rows: dict[str, Any], body: dict[str, Any], key: str) -> dict[str, Any]:
    """The seven rows of one complaint in one transaction; the answer odr gives."""
    number = f"ODR{secrets.randbelow(10**14):014d}"
    access_code = secrets.token_hex(5).upper()
    case = rows["case"] | {k: body[k] for k in FROM_BODY if k in body} | {"number": number}
    answer = {
        "number": number,
        "access_code": access_code,
        "state": case["state"],
        "due_at": case["due_at"].isoformat() if case["due_at"] else None,
        "report": None,
        "duplicate_of": None,
    }
    with engine.begin() as connection:
        case_id = connection.execute(insert(CASES).returning(CASES.c.id), case).scalar_one()
        events = [event | {"case_id": case_id} for event in rows["events"]]
        event_ids = dict(
            connection.execute(insert(EVENTS).returning(EVENTS.c.seq, EVENTS.c.id), events).all()
        )
        notifications = [
            row | {"case_id": case_id, "event_id": event_ids[seq]}
            for seq, row in rows["notifications"]
        ]
        connection.execute(insert(NOTIFICATIONS), notifications)
        connection.execute(insert(SEARCH), rows["search"] | {"case_id": case_id})
        connection.execute(
            insert(KEYS),
            rows["key"]
            | {
                "client": hashlib.sha256(repr(body).encode()).hexdigest(),
                "key": key,
                "created_at": utcnow(),
                "body": repr(answer).encode(),
            },
        )
    return answer


@post("/api/v1/complaints", status_code=201, sync_to_thread=True)
def complaints(state: State, request: Request[Any, Any, Any], data: dict[str, Any]) -> dict:
    key = request.headers.get("idempotency-key") or secrets.token_hex(16)
    return file(state["engine"], state["rows"], data, key)


@get("/health/live", sync_to_thread=False)
async def live() -> dict[str, str]:
    return {"status": "ok"}


def create_app(database_url: str) -> Litestar:
    engine = make_engine(database_url, Timeouts())
    return Litestar(
        route_handlers=[complaints, live],
        state=State({"engine": engine, "rows": templates(engine)}),
        logging_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(os.environ["ODR_DATABASE_URL"])
    gc.collect()  # as `odr serve` does
    gc.freeze()
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="info", log_config=None, access_log=False
    )


if __name__ == "__main__":
    main()
