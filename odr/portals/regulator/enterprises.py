"""Supervision of the enterprises in the office's area: scorecards, enrolment decisions,
suspension and removal (动态退出), the two lists, and the record of platform takedowns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_regulator_actor
from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.enterprises import supervision
from odr.enterprises.labels import ALL_LABELS
from odr.enterprises.merge import merge_records
from odr.enterprises.models import (
    MARK_KINDS,
    ODR_STATUSES,
    TAKEDOWN_KINDS,
    EnrolmentApplication,
    Enterprise,
    EnterpriseMark,
)
from odr.enterprises.scorecard import WINDOWS, Scorecard, default_window, scorecard, window_weeks
from odr.errors import InvalidData
from odr.notify.service import unread_count
from odr.offices.models import Office
from odr.portals.forms import UrlForm
from odr.portals.scorecards import (
    REASON_LABELS,
    shown_card,
    shown_cards,
    stored_or_computed,
)
from odr.text import N_

PAGE_SIZE = 50


def _office(session: Session, actor: Actor) -> Office:
    office = session.get(Office, actor.office_id) if actor.office_id else None
    if office is None:
        raise PermissionDeniedException(N_("没有所属部门"))
    return office


def _enterprise(session: Session, actor: Actor, enterprise_id: int) -> Enterprise:
    """The enterprise, if this office supervises it (403 otherwise, 404 if there is none)."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFoundException(N_("没有该企业"))
    if not supervision.supervises(session, actor, enterprise):
        raise PermissionDeniedException(N_("该企业不在本部门辖区"))
    return enterprise


def _weeks(data: dict[str, Any] | None, weeks: int | None = None) -> int:
    if data is not None:
        try:
            weeks = int(str(data.get("weeks", "")))
        except ValueError:
            weeks = None
    return window_weeks(weeks)


class RegulatorEnterprisesController(Controller):
    path = "/regulator/enterprises"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def enterprise_list(
        self,
        request: Request,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        status: FromQuery[str | None] = None,
        q: FromQuery[str] = "",
        weeks: FromQuery[int | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        """The enterprises in the office's area with their scorecards, and pending applications."""
        office = _office(lagging_session, actor)
        status = status if status in ODR_STATUSES else None
        weeks, page = window_weeks(weeks), max(page, 1)
        listed = supervision.enterprises_in(
            lagging_session,
            office,
            status=status,
            query=q,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        more, listed = len(listed) > PAGE_SIZE, listed[:PAGE_SIZE]
        ids = [e.id for e in listed]
        cards = shown_cards(request, lagging_session, ids, weeks, rules)
        today = utcnow().astimezone(SHANGHAI).date()
        lists = supervision.marks_in_force(lagging_session, ids, today)
        return Template(
            "regulator/enterprises.html",
            context={
                "actor": actor,
                "office": office,
                "rows": [(e, cards[e.id], lists[e.id]) for e in listed],
                "pending": supervision.pending_applications(lagging_session, office),
                "status": status,
                "q": q,
                "weeks": weeks,
                "windows": WINDOWS,
                "page": page,
                "more": more,
                "odr_statuses": ODR_STATUSES,
                "unread": unread_count(lagging_session, actor),
                **ALL_LABELS,
            },
        )

    def _detail(
        self,
        session: Session,
        actor: Actor,
        enterprise: Enterprise,
        weeks: int,
        card: Scorecard,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        form: str = "",
        status_code: int = 200,
    ) -> Template:
        now = utcnow()
        return Template(
            "regulator/enterprises_detail.html",
            context={
                "actor": actor,
                "enterprise": enterprise,
                "card": card,
                "weeks": weeks,
                "windows": WINDOWS,
                "reasons": REASON_LABELS,
                "today": now.astimezone(SHANGHAI).date(),
                "marks": supervision.marks(session, enterprise.id),
                "takedowns": supervision.takedowns(session, enterprise.id),
                "applications": supervision.applications(session, enterprise.id),
                "pending": supervision.pending_application(session, enterprise.id),
                "history": supervision.history(session, enterprise.id),
                "merchants": list(
                    session.scalars(
                        select(Enterprise)
                        .where(Enterprise.platform_id == enterprise.id)
                        .order_by(Enterprise.name)
                        .limit(200)
                    )
                ),
                "status_changes": [
                    action
                    for action, (allowed, _after) in supervision.STATUS_CHANGES.items()
                    if enterprise.odr_status in allowed
                ],
                "commitment": supervision.COMMITMENT_TEXT,
                "mark_kinds": MARK_KINDS,
                "takedown_kinds": TAKEDOWN_KINDS,
                "errors": errors or {},
                "values": values or {},
                "form": form,
                "unread": unread_count(session, actor),
                **ALL_LABELS,
            },
            status_code=status_code,
        )

    @get("/{enterprise_id:int}", sync_to_thread=True)
    def enterprise_page(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        enterprise_id: FromPath[int],
        weeks: FromQuery[int | None] = None,
    ) -> Template:
        enterprise = _enterprise(db_session, actor, enterprise_id)
        weeks = window_weeks(weeks)
        card = shown_card(request, db_session, enterprise.id, weeks, rules)
        return self._detail(db_session, actor, enterprise, weeks, card)

    def _decide(
        self,
        session: Session,
        rules: Rules,
        actor: Actor,
        enterprise: Enterprise,
        data: dict[str, Any],
        form: str,
        decision: Callable[[], object],
        error_field: str | None = None,
    ) -> Template | Redirect:
        """Carry out one supervision decision: back to the enterprise's page, or its form again
        with the errors beside the fields (all under `error_field` when the form has one)."""
        weeks = _weeks(data)
        try:
            decision()
        except InvalidData as exc:
            errors = {error_field: " ".join(exc.errors.values())} if error_field else exc.errors
            card = stored_or_computed(session, enterprise.id, weeks, rules)
            return self._detail(session, actor, enterprise, weeks, card, errors, data, form, 400)
        return Redirect(f"{self.path}/{enterprise.id}?weeks={weeks}", status_code=303)

    @post("/{enterprise_id:int}/merge", sync_to_thread=True)
    def merge_record(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        enterprise_id: FromPath[int],
        data: UrlForm,
    ) -> Template | Redirect:
        """Merge a respondent record into the business it turned out to be (recorded)."""
        record = _enterprise(db_session, actor, enterprise_id)

        def merge() -> None:
            into_id = str(data.get("into", "")).strip()
            into = db_session.get(Enterprise, int(into_id)) if into_id.isdigit() else None
            if into is None or not supervision.supervises(db_session, actor, into):
                raise InvalidData({"into": N_("没有该企业")})
            merge_records(db_session, record, into, actor, str(data.get("reason", "")), utcnow())

        return self._decide(db_session, rules, actor, record, data, "merge", merge)

    @post("/{enterprise_id:int}/apply", sync_to_thread=True)
    def enter_application(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        enterprise_id: FromPath[int],
        data: UrlForm,
    ) -> Template | Redirect:
        """The office enters an application it received (the signed commitment on paper)."""
        enterprise = _enterprise(db_session, actor, enterprise_id)
        return self._decide(
            db_session,
            rules,
            actor,
            enterprise,
            data,
            "apply",
            lambda: supervision.apply(
                db_session,
                enterprise,
                actor,
                signatory=str(data.get("signatory", "")),
                agreed=data.get("agreed") == "1",
                now=utcnow(),
            ),
        )

    @post("/applications/{application_id:int}/decide", sync_to_thread=True)
    def decide_application(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        application_id: FromPath[int],
        data: UrlForm,
    ) -> Template | Redirect:
        application = db_session.get(EnrolmentApplication, application_id)
        if application is None:
            raise NotFoundException(N_("没有该申请"))
        enterprise = _enterprise(db_session, actor, application.enterprise_id)
        return self._decide(
            db_session,
            rules,
            actor,
            enterprise,
            data,
            "decide",
            lambda: supervision.decide(
                db_session,
                application,
                actor,
                approve=data.get("decision") == "approve",
                reason=str(data.get("reason", "")),
                now=utcnow(),
            ),
        )

    @post("/{enterprise_id:int}/status/{action:str}", sync_to_thread=True)
    def change_status(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        enterprise_id: FromPath[int],
        action: FromPath[str],
        data: UrlForm,
    ) -> Template | Redirect:
        """Suspend, reinstate or remove, keeping the scorecard of the window shown as evidence."""
        enterprise = _enterprise(db_session, actor, enterprise_id)
        if action not in supervision.STATUS_CHANGES:
            raise NotFoundException(N_("没有该操作"))
        since, until = default_window(utcnow(), _weeks(data))
        evidence = scorecard(db_session, enterprise.id, since, until, rules.calendar, trend=False)
        return self._decide(
            db_session,
            rules,
            actor,
            enterprise,
            data,
            action,
            lambda: supervision.change_status(
                db_session,
                enterprise,
                actor,
                action,
                reason=str(data.get("reason", "")),
                evidence=evidence,
                now=utcnow(),
            ),
        )

    @post("/{enterprise_id:int}/marks", sync_to_thread=True)
    def add_mark(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        enterprise_id: FromPath[int],
        data: UrlForm,
    ) -> Template | Redirect:
        enterprise = _enterprise(db_session, actor, enterprise_id)
        return self._decide(
            db_session,
            rules,
            actor,
            enterprise,
            data,
            "mark",
            lambda: supervision.add_mark(
                db_session,
                enterprise,
                actor,
                kind=str(data.get("kind", "")),
                starts_on=data.get("starts_on"),
                ends_on=data.get("ends_on"),
                reason=str(data.get("reason", "")),
                now=utcnow(),
            ),
        )

    @post("/marks/{mark_id:int}/lift", sync_to_thread=True)
    def lift_mark(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        mark_id: FromPath[int],
        data: UrlForm,
    ) -> Template | Redirect:
        mark = db_session.get(EnterpriseMark, mark_id)
        if mark is None:
            raise NotFoundException(N_("没有该记录"))
        enterprise = _enterprise(db_session, actor, mark.enterprise_id)
        return self._decide(
            db_session,
            rules,
            actor,
            enterprise,
            data,
            "lift",
            lambda: supervision.lift_mark(
                db_session, mark, actor, reason=str(data.get("reason", "")), now=utcnow()
            ),
            error_field=f"lift_{mark.id}",
        )

    @post("/{enterprise_id:int}/takedowns", sync_to_thread=True)
    def record_takedown(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        enterprise_id: FromPath[int],
        data: UrlForm,
    ) -> Template | Redirect:
        enterprise = _enterprise(db_session, actor, enterprise_id)
        merchant = str(data.get("merchant_id", "")).strip()
        return self._decide(
            db_session,
            rules,
            actor,
            enterprise,
            data,
            "takedown",
            lambda: supervision.record_takedown(
                db_session,
                enterprise,
                actor,
                kind=str(data.get("kind", "")),
                subject=str(data.get("subject", "")),
                requested_on=data.get("requested_on"),
                done_on=data.get("done_on"),
                case_numbers=str(data.get("case_numbers", "")),
                merchant_id=int(merchant) if merchant.isdigit() else None,
                note=str(data.get("note", "")),
                now=utcnow(),
            ),
        )
