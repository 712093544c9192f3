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


class _DisclosureDesk(Controller):
    """What both desks share: the page (its lists from `_lists`), and a form's answer: the
    trigger fired, or the page again with the errors and what was typed."""

    template: str

    def _lists(self, session: Session, rules: Rules, actor: Actor, days: int) -> dict[str, Any]:
        raise NotImplementedError

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
    ) -> Template:
        days = settings.disclosure_notice_days
        errors = errors or {}
        return Template(
            self.template,
            context={
                "actor": actor,
                "unread": unread_count(session, actor),
                **self._lists(session, rules, actor, days),
                "workflow": rules.workflow(DEFAULT_WORKFLOW),
                "notice_days": days,
                "errors": errors,
                "values": values or {},
                "number": number,
                "done": done,
            },
            status_code=(409 if "_" in errors else 400) if errors else 200,
        )

    def _answer(
        self,
        session: Session,
        rules: Rules,
        actor: Actor,
        settings: Settings,
        case: Case | None,
        trigger: str,
        data: Mapping[str, Any],
        number: str = "",
    ) -> Template | Redirect:
        """Fire the trigger on the case (None: the number typed names no case of this user's)."""
        errors = (
            {"number": "unknown"}
            if case is None
            else _submit(session, case, trigger, actor, data, rules, settings)
        )
        if errors:
            return self._page(
                session, rules, actor, settings, errors=errors, values=data, number=number
            )
        return Redirect(f"{self.path}?done={case.number if case else ''}", status_code=303)

    @get("/", sync_to_thread=True)
    def desk(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        done: FromQuery[str] = "",
    ) -> Template:
        """The desk's lists and forms."""
        return self._page(db_session, rules, actor, settings, done=done)


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
            actor,
            data,
            trigger=trigger,
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


class EnterpriseDisclosureController(_DisclosureDesk):
    """The business's closed complaints in their notice period, and its objections."""

    path = "/enterprise/disclosures"
    template = "enterprise/disclosures.html"
    dependencies = {"actor": Provide(provide_enterprise_actor, sync_to_thread=True)}

    def _lists(self, session: Session, rules: Rules, actor: Actor, days: int) -> dict[str, Any]:
        scope = concerns(actor.enterprise_id or 0)
        return {
            "notice": disclosure.in_notice(session, rules, scope, days, utcnow()),
            "objected": disclosure.with_status(
                session,
                rules,
                scope,
                (disclosure.OBJECTED, disclosure.CLEARED, disclosure.WITHHELD),
                days,
            ),
            "object": _transition(rules, disclosure.OBJECT_TRIGGER),
        }

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
        return self._answer(
            db_session, rules, actor, settings, case, disclosure.OBJECT_TRIGGER, data, number
        )


class RegulatorDisclosureController(_DisclosureDesk):
    """Objections to decide, the withhold form, the cases withheld."""

    path = "/regulator/disclosures"
    template = "regulator/disclosures.html"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    def _lists(self, session: Session, rules: Rules, actor: Actor, days: int) -> dict[str, Any]:
        scope = Case.office_id.in_(sorted(actor.office_ids))
        return {
            "objections": disclosure.with_status(
                session, rules, scope, (disclosure.OBJECTED,), days
            ),
            "withheld": disclosure.with_status(
                session, rules, scope, (disclosure.WITHHELD,), days, limit=50
            ),
            "decide": _transition(rules, disclosure.DECIDE_TRIGGER),
            "withhold": _transition(rules, disclosure.WITHHOLD_TRIGGER),
        }

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
        return self._answer(
            db_session, rules, actor, settings, case, disclosure.DECIDE_TRIGGER, data, number
        )

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
        if case is not None and not may_view(actor, case):
            case = None
        return self._answer(
            db_session, rules, actor, settings, case, disclosure.WITHHOLD_TRIGGER, data
        )
