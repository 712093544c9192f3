"""Taking a call (代为登记): the clerk's form for a consumer on the phone, at the counter or in a
letter, and its two small JSON lookups (the respondent as the clerk types, the caller's open
cases as soon as the phone number is in). The form works without JavaScript: the caller's open
cases are then shown when it is first sent, before anything is filed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.access import may_view
from odr.auth.actor import Actor
from odr.auth.web import provide_regulator_actor
from odr.cases.models import CALL_CHANNELS, REPORT_CLAIM, Case
from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.enterprises import service as enterprises
from odr.errors import InvalidData
from odr.intake import form_tokens
from odr.intake.calls import caller_cases, caller_phone, take_call
from odr.masking import mask_name, mask_phone
from odr.notify.service import unread_count
from odr.portals.forms import UrlForm
from odr.portals.i18n import language_of
from odr.settings import Settings

# The form's fields, in the order the form shows them (the first bad one gets the focus).
FIELDS = (
    "complainant_phone",
    "complainant_name",
    "complainant_address",
    "complainant_email",
    "identity_verified",
    "locale",
    "respondent_name",
    "respondent_id",
    "respondent_uscc",
    "respondent_address",
    "kind",
    "channel",
    "product",
    "purchase_date",
    "amount",
    "order_number",
    "claim_type",
    "received_at",
    "violation_type",
    "facts",
    "caller_checked",
)


@dataclass(frozen=True)
class CallerCase:
    """One open case of the caller, as a list shows it (personal data masked)."""

    number: str
    url: str
    report: bool
    complainant: str
    phone: str
    respondent_name: str
    state: dict[str, str]
    received: str


def _caller_rows(session: Session, rules: Rules, cases: list[Case]) -> list[CallerCase]:
    return [
        CallerCase(
            number=c.number,
            url=f"/regulator/cases/{c.number}",
            report=c.claim_type == REPORT_CLAIM,
            complainant=mask_name(c.complainant_name),
            phone=mask_phone(c.complainant_phone),
            respondent_name=c.respondent_name,
            state=dict(rules.workflow(c.workflow, c.workflow_version).states[c.state].label),
            received=c.received_at.astimezone(SHANGHAI).date().isoformat(),
        )
        for c in cases
    ]


def _lookup(
    session: Session, rules: Rules, actor: Actor, raw_phone: str
) -> tuple[str, list[CallerCase]]:
    """The caller's phone (E.164, "" when not a number) and their open cases this clerk sees."""
    try:
        phone = caller_phone(raw_phone)
    except InvalidData:
        return "", []
    return phone, _caller_rows(session, rules, caller_cases(session, phone, actor.office_ids))


class CallsController(Controller):
    path = "/regulator/calls"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    def _page(
        self,
        request: Request,
        session: Session,
        rules: Rules,
        actor: Actor,
        values: dict[str, Any],
        errors: dict[str, str],
        token: str,
        status_code: int = 200,
        caller: list[CallerCase] | None = None,
    ) -> Template:
        filed = (request.session or {}).get("call_filed")
        shown = filed if filed and request.query_params.get("filed") == filed[0] else None
        return Template(
            "regulator/call_form.html",
            context={
                "values": values,
                "errors": errors,
                "form_token": token,
                "claim_types": rules.workflow().lists["claim_types"],
                "violation_types": rules.workflow("report").lists["violation_types"],
                "caller": caller,
                "field_order": FIELDS,
                "filed": shown,
                "actor": actor,
                "unread": unread_count(session, actor),
            },
            status_code=status_code,
        )

    @get("/new", sync_to_thread=True)
    def new_call(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        channel: FromQuery[str] = "phone",
    ) -> Template:
        """An empty form; `?channel=visit` or `letter` for the counter or the post."""
        values = {"channel": channel if channel in CALL_CHANNELS else "phone"}
        return self._page(request, db_session, rules, actor, values, {}, form_tokens.new_token())

    @post("/new", sync_to_thread=True)
    def file_call(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        settings: NamedDependency[Settings],
        actor: NamedDependency[Actor],
        data: UrlForm,
    ) -> Template | Redirect:
        """File the call through the web form's intake (take_call → submit); the form comes
        back with everything typed and each bad field named. A caller with open cases the
        clerk has not been shown yet (no JavaScript) gets them listed first."""
        token = data.get("form_token")
        if not form_tokens.is_token(token):
            token = form_tokens.new_token()
        elif first := form_tokens.receipt_of(db_session, token):
            return self._filed(request, db_session, actor, first.numbers[0])  # sent twice
        values = {k: data[k] for k in FIELDS if isinstance(data.get(k), str)}
        phone, caller = _lookup(db_session, rules, actor, values.get("complainant_phone", ""))
        if caller and values.get("caller_checked") != phone:
            values["caller_checked"] = phone  # seen now: the next send files
            return self._page(request, db_session, rules, actor, values, {}, token, caller=caller)
        try:
            submission = take_call(
                db_session,
                values,
                clerk=actor,
                rules=rules,
                intake_office_code=settings.intake_office_code,
            )
        except InvalidData as exc:
            return self._page(
                request,
                db_session,
                rules,
                actor,
                values,
                exc.errors,
                token,
                400,
                caller if phone else None,  # no list under a number that is not one
            )
        receipt = form_tokens.Receipt([submission.case.number], submission.duplicate)
        shown = form_tokens.keep_receipt(db_session, token, receipt, utcnow())
        return self._filed(request, db_session, actor, shown.numbers[0])

    def _filed(self, request: Request, session: Session, actor: Actor, number: str) -> Redirect:
        """The new case's page, or, when it went to an office this clerk does not see, the
        form again with its number and that office."""
        case = session.scalar(select(Case).where(Case.number == number))
        if case is not None and may_view(actor, case):
            return Redirect(f"/regulator/cases/{quote(number)}", status_code=303)
        office = case.office.name if case is not None and case.office else ""
        request.set_session({**(request.session or {}), "call_filed": [number, office]})
        return Redirect(f"{self.path}/new?filed={quote(number)}", status_code=303)

    @get("/caller", sync_to_thread=True)
    def caller(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        phone: FromQuery[str] = "",
    ) -> Response[dict[str, Any]]:
        """The caller's open cases this clerk may see, masked as lists are (JSON for the form's
        script); 400 when the number is not a phone number."""
        try:
            number = caller_phone(phone[:40])
        except InvalidData as exc:
            return Response(
                {"error": exc.errors["complainant_phone"], "cases": []}, status_code=400
            )
        lang = "en" if language_of(request) == "en" else "zh"
        cases = _caller_rows(db_session, rules, caller_cases(db_session, number, actor.office_ids))
        return Response(
            {
                "phone": number,
                "cases": [
                    {
                        "number": c.number,
                        "url": c.url,
                        "report": c.report,
                        "complainant": c.complainant,
                        "phone": c.phone,
                        "respondent_name": c.respondent_name,
                        "state": c.state.get(lang) or c.state.get("zh", ""),
                        "received": c.received,
                    }
                    for c in cases
                ],
            }
        )

    @get("/respondents", sync_to_thread=True)
    def respondents(
        self,
        db_session: NamedDependency[Session],
        actor: NamedDependency[Actor],
        q: FromQuery[str] = "",
    ) -> Response[list[dict[str, Any]]]:
        """Registered businesses by name or USCC as the clerk types, ODR enterprises first,
        with the address the clerk would otherwise ask for (JSON for the form's script)."""
        query = q.strip()[:100]
        found = enterprises.search(db_session, query) if query else []
        return Response(
            [
                {
                    "id": e.id,
                    "name": e.name,
                    "uscc": e.uscc,
                    "address": e.address,
                    "odr_enterprise": e.is_odr_enterprise,
                }
                for e in found
            ]
        )
