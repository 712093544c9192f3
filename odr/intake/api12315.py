"""The 12315 transfer API: a batch of records in, each one's result out; status changes back."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

import msgspec
from anyio import to_thread
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import QueryParameter
from sqlalchemy.orm import Session

from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.intake.api import (
    MAX_ID,
    MEDIA_TYPES_OPT,
    media_type_of,
    problem_responses,
    require_media_type,
)
from odr.intake.feed12315 import read_updates
from odr.intake.import12315 import MAX_RECORDS, RecordResult, import_records
from odr.intake.transfer12315 import read_records
from odr.settings import Settings

FORMATS_BY_MEDIA_TYPE = {
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "text/csv": "csv",
}


class Summary(msgspec.Struct):
    created: int
    duplicate: int
    rejected: int


class ImportAnswer(msgspec.Struct):
    summary: Summary
    results: list[RecordResult]


class Update(msgspec.Struct):
    cursor: int
    number: str  # the 12315 complaint number
    case_number: str
    event: str
    state: str
    at: datetime


class UpdatesPage(msgspec.Struct):
    cursor: int  # pass it back as ?cursor= for the next page
    updates: list[Update]


def check_token(request: Request, settings: Settings) -> None:
    if not settings.transfer_token:
        raise PermissionDeniedException("12315 intake is not configured (ODR_12315_TOKEN)")
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), settings.transfer_token.encode()):
        raise NotAuthorizedException("a valid bearer token is required")


class TransferApi(Controller):
    path = "/api/v1/intake/12315"
    tags = ["12315"]
    include_in_schema = True
    guards = [require_media_type]

    @post(
        "/",
        status_code=200,
        request_max_body_size=64 * 1024 * 1024,
        responses=problem_responses(400, 401, 403, 409, 413, 415, 422),
        opt={MEDIA_TYPES_OPT: frozenset(FORMATS_BY_MEDIA_TYPE)},
    )
    async def transfer(
        self, request: Request, rules: NamedDependency[Rules], settings: NamedDependency[Settings]
    ) -> ImportAnswer:
        """Up to 10,000 records as JSON, JSON Lines (application/x-ndjson) or CSV (text/csv);
        valid records are kept whatever the others are; a record sent again is a duplicate."""
        check_token(request, settings)
        records, problems = read_records(
            await request.body(), format=FORMATS_BY_MEDIA_TYPE.get(media_type_of(request))
        )
        if problems and problems[0].line == 0:
            raise InvalidData({"body": problems[0].reason})
        if len(records) + len(problems) > MAX_RECORDS:
            raise InvalidData({"body": f"at most {MAX_RECORDS} records a request"})
        results = await to_thread.run_sync(
            lambda: import_records(request.app.state["session_factory"], records, rules, utcnow())
        )
        results += [RecordResult(p.line, "", "rejected", reason=p.reason) for p in problems]
        results.sort(key=lambda r: r.line)
        count = {
            s: sum(r.status == s for r in results) for s in ("created", "duplicate", "rejected")
        }
        return ImportAnswer(summary=Summary(**count), results=results)

    @get("/updates", sync_to_thread=True, responses=problem_responses(400, 401, 403))
    def updates(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        cursor: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 500,
    ) -> UpdatesPage:
        """Status changes of transferred cases after `cursor`, in order and without gaps."""
        check_token(request, settings)
        rows = read_updates(db_session, request.app.state["session_factory"], cursor, limit)
        updates = [
            Update(
                position,
                external_id or "",
                number,
                event.trigger,
                event.to_state,
                event.occurred_at,
            )
            for position, event, external_id, number in rows
        ]
        return UpdatesPage(cursor=updates[-1].cursor if updates else cursor, updates=updates)
