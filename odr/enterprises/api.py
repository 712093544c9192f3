"""The partner API for enterprise systems: their own cases (a platform's include its merchants'),
read one, and fire the same actions as the enterprise portal. Authorised by an API token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.access import load_case
from odr.cases.actions import available_actions, perform
from odr.cases.campaigns import load_campaigns
from odr.cases.models import Case
from odr.cases.timeline import timeline
from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.enterprises.cases import CaseFilter, enterprise_cases
from odr.enterprises.service import token_enterprise
from odr.intake.api import MAX_ID, problem_responses, require_media_type
from odr.settings import Settings
from odr.text import pair


def provide_token_actor(request: Request, db_session: NamedDependency[Session]) -> Actor:
    """The enterprise behind `Authorization: Bearer odr_...` (401 otherwise)."""
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    found = token_enterprise(db_session, given, utcnow()) if given else None
    if found is None:
        raise NotAuthorizedException("a valid enterprise API token is required")
    token, enterprise = found
    return Actor(
        role="enterprise", label=f"{enterprise.name} API {token.name}", enterprise_id=enterprise.id
    )


class CaseSummary(msgspec.Struct):
    number: str
    state: str
    state_label: dict[str, str]
    respondent_name: str
    product: str
    claim_type: str
    received_at: datetime
    due_at: datetime | None
    overdue: bool


class CasePage(msgspec.Struct):
    items: list[CaseSummary]
    next_cursor: int | None  # pass as ?after= for the next page; None on the last


class Action(msgspec.Struct):
    trigger: str
    label: dict[str, str]
    fields: dict[str, dict[str, Any]]


class Detail(msgspec.Struct):
    label: dict[str, str]
    value: str


class Event(msgspec.Struct):
    at: datetime
    label: dict[str, str]
    actor: str
    details: list[Detail]  # what its actor gave (a message's text, an offer's terms)


class CaseDetail(msgspec.Struct):
    case: CaseSummary
    facts: str
    amount: str | None
    order_number: str | None
    timeline: list[Event]
    actions: list[Action]


def _summary(case: Case, rules: Rules, now: datetime) -> CaseSummary:
    state = rules.workflow(case.workflow, case.workflow_version).states[case.state]
    return CaseSummary(
        number=case.number,
        state=case.state,
        state_label=dict(state.label),
        respondent_name=case.respondent_name,
        product=case.product,
        claim_type=case.claim_type,
        received_at=case.received_at,
        due_at=case.due_at,
        overdue=case.due_at is not None and case.due_at < now,
    )


class EnterpriseApi(Controller):
    path = "/api/v1/enterprise"
    guards = [require_media_type]
    tags = ["enterprise"]
    include_in_schema = True
    dependencies = {"actor": Provide(provide_token_actor, sync_to_thread=True)}
    opt = {"writes": True}  # every request records when its token was last used (odr/db/web.py)

    @get("/cases", sync_to_thread=True, responses=problem_responses(400, 401))
    def list_cases(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        # `state` is a reserved name in litestar handlers: the query parameter keeps it.
        case_state: Annotated[str | None, QueryParameter(name="state", max_length=40)] = None,
        overdue: Annotated[bool | None, QueryParameter()] = None,
        open_only: Annotated[bool, QueryParameter(name="open")] = True,
        respondent_id: Annotated[
            int | None, QueryParameter(name="respondent", ge=1, le=MAX_ID)
        ] = None,
        claim_type: Annotated[str | None, QueryParameter(max_length=40)] = None,
        after: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> CasePage:
        """The enterprise's cases, oldest first, a page at a time (keyset: ?after=cursor)."""
        now = utcnow()
        filters = CaseFilter(
            open_only=open_only,
            state=case_state,
            overdue=overdue,
            respondent_id=respondent_id,
            claim_type=claim_type,
        )
        page = enterprise_cases(
            db_session,
            actor.enterprise_id or 0,
            filters,
            now,
            order="received",
            after=after,
            limit=limit,
        )
        return CasePage(
            items=[_summary(c, rules, now) for c in page.cases],
            next_cursor=page.next_key if isinstance(page.next_key, int) else None,
        )

    @get("/cases/{number:str}", sync_to_thread=True, responses=problem_responses(400, 401, 404))
    def read_case(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        number: FromPath[str],
    ) -> CaseDetail:
        case = load_case(db_session, number, actor)
        workflow = rules.workflow(case.workflow, case.workflow_version)
        return CaseDetail(
            case=_summary(case, rules, utcnow()),
            facts=case.facts,
            amount=str(case.amount) if case.amount is not None else None,
            order_number=case.order_number,
            timeline=[
                Event(
                    e.at,
                    pair(e.label),
                    e.actor,
                    [Detail(pair(label), value) for label, value in e.details],
                )
                for e in timeline(case, workflow, actor.role)
            ],
            actions=[
                Action(
                    t.trigger,
                    dict(t.label),
                    {
                        f.name: {
                            "type": f.type,
                            "required": f.required,
                            "choices": sorted(workflow.lists[f.list]) if f.list else None,
                        }
                        for f in t.fields
                        if f.type != "file"
                    },
                )
                for t in available_actions(case, actor, rules)
            ],
        )

    @post(
        "/cases/{number:str}/actions/{trigger:str}",
        sync_to_thread=True,
        status_code=200,
        responses=problem_responses(400, 401, 404, 409, 413, 415, 422),
    )
    def fire(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        number: FromPath[str],
        trigger: FromPath[str],
        settings: NamedDependency[Settings],
        data: JSONBody[dict[str, str]],
    ) -> CaseSummary:
        """Fire a trigger as the portal would; 400 names bad fields, 409 if not allowed now."""
        case = load_case(db_session, number, actor)
        campaigns = load_campaigns(settings.workflows_dir)
        perform(
            db_session,
            case,
            trigger,
            actor,
            data,
            rules=rules,
            campaigns=campaigns,
            notice_days=settings.disclosure_notice_days,
        )
        return _summary(case, rules, utcnow())
