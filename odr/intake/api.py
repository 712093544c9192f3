"""The JSON intake API: submit a complaint, read a case with its access code, find respondents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.cases.models import Case
from odr.cases.service import check_access_code
from odr.cases.timeline import visible_events
from odr.clock import utcnow
from odr.db.group_commit import GroupCommit
from odr.engine.rules import Rules
from odr.enterprises import service as enterprises
from odr.errors import InvalidData
from odr.intake.complaint import parse_complaint
from odr.intake.filing import ApiComplaint, ComplaintCreated, file_complaints
from odr.intake.received import parse_received_at
from odr.ops.ratelimit import tracking_limit

# Ids and cursors fit a 64-bit integer column (a larger one would overflow the database driver).
MAX_ID = 2**63 - 1
JSON_MEDIA_TYPES = frozenset({"application/json"})
# A handler reading other bodies names them in its opt (the 12315 transfer reads CSV too).
MEDIA_TYPES_OPT = "media_types"


def media_type_of(connection: ASGIConnection) -> str:
    return connection.headers.get("content-type", "").split(";")[0].strip().lower()


def require_media_type(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard of the JSON APIs (a guard, since guards add up across layers where a
    before_request hook would replace the app's): a body in a type the handler does not read
    is a 415, never decoded on a guess (a form post or text/plain read as JSON)."""
    if connection.scope["type"] != "http" or connection.scope.get("method") in (
        "GET",
        "HEAD",
        "OPTIONS",
        "DELETE",
    ):
        return
    headers = connection.headers
    if (
        "content-type" not in headers
        and headers.get("content-length", "0") == "0"
        and "transfer-encoding" not in headers
    ):
        return  # no body at all: the handler's own checks say what is missing
    accepted = handler.opt.get(MEDIA_TYPES_OPT, JSON_MEDIA_TYPES)
    if media_type_of(connection) not in accepted:
        raise HTTPException(
            status_code=415,
            detail=f"Content-Type must be one of: {', '.join(sorted(accepted))}",
            headers={"Accept-Post": ", ".join(sorted(accepted))},
        )


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct):
    """An error (RFC 9457 problem details); `errors` names each invalid field of a 400."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


PROBLEMS = {
    400: "invalid input: `errors` names each field",
    401: "no valid credentials",
    403: "not configured or not allowed",
    404: "no such case (or not yours, or a wrong access code)",
    409: "not allowed in the case's state now, or the same Idempotency-Key still running",
    413: "request body too large",
    415: "a body in a content type this operation does not read",
    422: "Idempotency-Key already used for another request",
    429: "too many failed attempts: wait (Retry-After)",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The documented error answers of an operation, all application/problem+json."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=PROBLEMS[status],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for status in statuses
    }


class CoComplainantIn(msgspec.Struct, forbid_unknown_fields=True):
    """A co-complainant of a joint complaint; `consent` must be true."""

    name: str
    phone: str
    address: str
    representative: bool = False
    consent: bool = False


class ComplaintIn(msgspec.Struct, forbid_unknown_fields=True):
    """A complaint as a partner system submits it; every field is checked after decoding."""

    complainant_name: str
    complainant_phone: str
    complainant_address: str
    respondent_name: str
    product: str
    claim_type: str
    facts: str
    complainant_email: str | None = None
    respondent_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)] | None = None
    respondent_uscc: str | None = None
    respondent_address: str | None = None
    purchase_date: str | None = None
    amount: str | None = None
    order_number: str | None = None
    locale: str = "zh-CN"
    notify_sms: bool = True
    notify_email: bool = True
    harm_date: str | None = None
    # Seven-day no-reason return (claim_type "seven_day_return").
    delivery_date: str | None = None
    goods_category: str | None = None
    goods_intact: bool | None = None
    # How the complaint is counted (workflows/classification.yaml codes); suggested if left out.
    category: str | None = None
    problem_nature: str | None = None
    # A joint complaint: the filer (a representative unless said otherwise) and others.
    complainant_representative: bool = True
    co_complainants: list[CoComplainantIn] = []
    # A report (举报) filed with the complaint.
    also_report: bool = False
    violation_type: str | None = None
    report_facts: str | None = None
    # When the partner received the complaint (2026-11-02 09:00:00, ISO 8601 with a zone, ...;
    # Beijing time without one): its clocks run from then. Not given: now.
    received_at: str | None = None


class TimelineItem(msgspec.Struct):
    at: datetime
    trigger: str
    to_state: str
    actor: str


class CaseOut(msgspec.Struct):
    number: str
    state: str
    state_label: dict[str, str]
    received_at: datetime
    due_at: datetime | None
    respondent_name: str
    product: str
    purchase_date: date | None
    claim_type: str
    outcome: str | None
    timeline: list[TimelineItem]


class Respondent(msgspec.Struct):
    id: int
    name: str
    uscc: str | None
    kind: str
    odr_enterprise: bool


class IntakeApi(Controller):
    path = "/api/v1"
    tags = ["intake"]
    include_in_schema = True
    guards = [require_media_type]

    @post("/complaints", status_code=201, responses=problem_responses(400, 409, 413, 415, 422))
    async def submit_complaint(
        self, state: State, rules: NamedDependency[Rules], data: JSONBody[ComplaintIn]
    ) -> ComplaintCreated:
        """File a complaint; 400 lists each invalid field. Answered once it is committed."""
        errors: dict[str, str] = {}
        try:
            received_at = parse_received_at(data.received_at or "", utcnow(), "received_at")
        except InvalidData as exc:
            errors, received_at = exc.errors, None
        try:
            complaint = parse_complaint(
                {k: v for k, v in msgspec.to_builtins(data).items() if k != "received_at"},
                rules.workflow().lists["claim_types"],
                violation_types=rules.workflow("report").lists["violation_types"],
                classification=rules.classification,
            )
        except InvalidData as exc:
            raise InvalidData({**exc.errors, **errors}) from None
        if errors:
            raise InvalidData(errors)
        group_commit: GroupCommit = state["group_commit"]
        answer = await group_commit.run(
            file_complaints, ApiComplaint(complaint, rules, received_at)
        )
        if isinstance(answer, InvalidData):
            raise answer
        return answer

    @get(
        "/cases/{number:str}",
        sync_to_thread=True,
        middleware=[tracking_limit],
        responses=problem_responses(400, 404, 429),
    )
    def read_case(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        number: FromPath[str],
        access_code: Annotated[
            str, HeaderParameter(name="X-Access-Code", min_length=1, max_length=64)
        ],
    ) -> CaseOut:
        """A case, for whoever holds its access code (404 otherwise)."""
        case = db_session.scalar(select(Case).where(Case.number == number))
        if case is None or not check_access_code(case, access_code):
            raise NotFoundException("no such case, or wrong access code")
        workflow = rules.workflow(case.workflow, case.workflow_version)
        return CaseOut(
            number=case.number,
            state=case.state,
            state_label=dict(workflow.states[case.state].label),
            received_at=case.received_at,
            due_at=case.due_at,
            respondent_name=case.respondent_name,
            product=case.product,
            purchase_date=case.purchase_date,
            claim_type=case.claim_type,
            outcome=case.outcome,
            timeline=[
                TimelineItem(
                    e.occurred_at,
                    e.trigger,
                    e.to_state,
                    "consumer" if e.actor_role == "consumer" else e.actor_label,
                )
                for e, _ in visible_events(case, workflow, "consumer")
            ],
        )

    @get("/respondents", sync_to_thread=True, responses=problem_responses(400))
    def find_respondents(
        self,
        db_session: NamedDependency[Session],
        q: Annotated[str, QueryParameter(min_length=1, max_length=100)],
    ) -> list[Respondent]:
        """Registered enterprises by name or USCC, enrolled ODR enterprises first."""
        return [
            Respondent(e.id, e.name, e.uscc, e.kind, e.is_odr_enterprise)
            for e in enterprises.search(db_session, q)
        ]
