"""The disclosure desks of the staff portals: a business objects to a factual error in a closed
complaint within its notice period (/enterprise/disclosures); an office decides objections and
withholds cases (/regulator/disclosures). Each form fires a trigger through
odr.cases.disclosure (act(), an event of the case's chain)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.access import may_view
from odr.auth.actor import Actor
from odr.auth.web import provide_enterprise_actor, provide_regulator_actor
from odr.cases import disclosure
from odr.cases.access import load_case
from odr.cases.models import Case
from odr.clock import utcnow
from odr.engine.rules import DEFAULT_WORKFLOW, Rules
from odr.engine.workflow import TransitionDef
from odr.enterprises.cases import concerns
from odr.errors import CaseForbidden, ConcurrentChange, InvalidData, TransitionNotAllowed
from odr.notify.service import unread_count
from odr.portals.forms import UrlForm
from odr.settings import Settings

NOT_NOW = "not_now"


def _transition(rules: Rules, trigger: str) -> TransitionDef:
    """The trigger as the standard track defines it (its form's fields, labels and lists)."""
    return next(t for t in rules.workflow(DEFAULT_WORKFLOW).transitions if t.trigger == trigger)


def _submit(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    data: Mapping[str, Any],
    rules: Rules,
    settings: Settings,
) -> dict[str, str]:
    """Fire the trigger; the errors to show (by field), none when it was done."""
    try:
        disclosure.perform(
            session,
            case,
            trigger,
            actor,
            data,
            rules=rules,
            notice_days=settings.disclosure_notice_days,
        )
    except InvalidData as exc:
        session.rollback()
        return dict(exc.errors)
    except (TransitionNotAllowed, ConcurrentChange, CaseForbidden):
        session.rollback()
        return {"_": NOT_NOW}
    return {}


class EnterpriseDisclosureController(Controller):
    path = "/enterprise/disclosures"
    dependencies = {"actor": Provide(provide_enterprise_actor, sync_to_thread=True)}

    def _page(
        self,
        session: Session,
        rules: Rules,
        actor: Actor,
        settings: Settings,
        *,
        errors: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        number: str = "",
        done: str = "",
        status_code: int = 200,
    ) -> Template:
        scope = concerns(actor.enterprise_id or 0)
        days = settings.disclosure_notice_days
        return Template(
            "enterprise/disclosures.html",
            context={
                "actor": actor,
                "unread": unread_count(session, actor),
                "notice": disclosure.in_notice(session, rules, scope, days, utcnow()),
                "objected": disclosure.with_status(
                    session,
                    rules,
                    scope,
                    (disclosure.OBJECTED, disclosure.CLEARED, disclosure.WITHHELD),
                    days,
                ),
                "object": _transition(rules, disclosure.OBJECT_TRIGGER),
                "workflow": rules.workflow(DEFAULT_WORKFLOW),
                "notice_days": days,
                "errors": errors or {},
                "values": values or {},
                "number": number,
                "done": done,
            },
            status_code=status_code,
        )

    @get("/", sync_to_thread=True)
    def desk(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        done: FromQuery[str] = "",
    ) -> Template:
        """The business's closed complaints in their notice period, and its objections."""
        return self._page(db_session, rules, actor, settings, done=done)

    @post("/{number:str}/object", sync_to_thread=True)
    def object_to(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        number: FromPath[str],
        data: UrlForm,
    ) -> Template | Redirect:
        """Object to a factual error in a complaint about to be published."""
        case = load_case(db_session, number, actor)
        errors = _submit(db_session, case, disclosure.OBJECT_TRIGGER, actor, data, rules, settings)
        if errors:
            status = 409 if "_" in errors else 400
            return self._page(
                db_session,
                rules,
                actor,
                settings,
                errors=errors,
                values=data,
                number=number,
                status_code=status,
            )
        return Redirect(f"{self.path}?done={number}", status_code=303)


class RegulatorDisclosureController(Controller):
    path = "/regulator/disclosures"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    def _page(
        self,
        session: Session,
        rules: Rules,
        actor: Actor,
        settings: Settings,
        *,
        errors: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        number: str = "",
        done: str = "",
        status_code: int = 200,
    ) -> Template:
        scope = Case.office_id.in_(sorted(actor.office_ids))
        days = settings.disclosure_notice_days
        return Template(
            "regulator/disclosures.html",
            context={
                "actor": actor,
                "unread": unread_count(session, actor),
                "objections": disclosure.with_status(
                    session, rules, scope, (disclosure.OBJECTED,), days
                ),
                "withheld": disclosure.with_status(
                    session, rules, scope, (disclosure.WITHHELD,), days, limit=50
                ),
                "decide": _transition(rules, disclosure.DECIDE_TRIGGER),
                "withhold": _transition(rules, disclosure.WITHHOLD_TRIGGER),
                "workflow": rules.workflow(DEFAULT_WORKFLOW),
                "notice_days": days,
                "errors": errors or {},
                "values": values or {},
                "number": number,
                "done": done,
            },
            status_code=status_code,
        )

    @get("/", sync_to_thread=True)
    def desk(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        done: FromQuery[str] = "",
    ) -> Template:
        """Objections to decide, the withhold form, the cases withheld."""
        return self._page(db_session, rules, actor, settings, done=done)

    @post("/{number:str}/decide", sync_to_thread=True)
    def decide(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        number: FromPath[str],
        data: UrlForm,
    ) -> Template | Redirect:
        """Decide a business's objection: upheld (withheld) or refused (published)."""
        case = load_case(db_session, number, actor)
        errors = _submit(db_session, case, disclosure.DECIDE_TRIGGER, actor, data, rules, settings)
        if errors:
            return self._page(
                db_session,
                rules,
                actor,
                settings,
                errors=errors,
                values=data,
                number=number,
                status_code=409 if "_" in errors else 400,
            )
        return Redirect(f"{self.path}?done={number}", status_code=303)

    @post("/withhold", sync_to_thread=True)
    def withhold(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        data: UrlForm,
    ) -> Template | Redirect:
        """Withhold a closed complaint of the office from disclosure, by its number."""
        number = (data.get("number") or "").strip()
        case = db_session.scalar(select(Case).where(Case.number == number)) if number else None
        if case is None or not may_view(actor, case):
            errors = {"number": "unknown"}
        else:
            errors = _submit(
                db_session, case, disclosure.WITHHOLD_TRIGGER, actor, data, rules, settings
            )
        if errors:
            return self._page(
                db_session,
                rules,
                actor,
                settings,
                errors=errors,
                values=data,
                status_code=409 if "_" in errors else 400,
            )
        return Redirect(f"{self.path}?done={number}", status_code=303)
