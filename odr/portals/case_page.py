"""What every portal shows of a case, and how a portal form fires a trigger: the page's
context from the domain's answers (odr/cases/: timeline, actions), and the domain's errors on a
form turned into the page again with what went wrong."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.access import may_act
from odr.auth.actor import Actor
from odr.auth.models import User
from odr.captures.service import captures_of_case
from odr.cases.actions import available_actions, perform
from odr.cases.campaigns import (
    TAG_TRIGGER,
    UNTAG_TRIGGER,
    Campaign,
    load_campaigns,
    running,
    suggested,
    tags_of,
)
from odr.cases.classification import CLASSIFY_TRIGGER, suggestion
from odr.cases.deadlines import deadline_of
from odr.cases.evidence import check_evidence, write_file
from odr.cases.followup import can_rate
from odr.cases.handlers import ASSIGN_TRIGGER, office_handlers
from odr.cases.models import Case
from odr.cases.timeline import timeline
from odr.clock import SHANGHAI, utcnow
from odr.documents.service import Papers, case_documents
from odr.engine.rules import Rules
from odr.engine.workflow import TransitionDef
from odr.errors import (
    ConcurrentChange,
    ConditionsNotMet,
    InvalidData,
    TransitionNotAllowed,
)
from odr.notify.service import unread_count
from odr.offices.models import Office
from odr.settings import Settings
from odr.text import N_

STAFF_ROLES = ("enterprise", "regulator")
# The regulator's desk: who handles the case, which campaigns it belongs to. The case page
# shows them in a section of their own, not among the workflow's action forms.
DESK_TRIGGERS = (ASSIGN_TRIGGER, TAG_TRIGGER, UNTAG_TRIGGER, CLASSIFY_TRIGGER)

ESCALATION_REASONS = {
    "enterprise_overdue": N_("企业逾期未处理"),
    "enterprise_declined": N_("企业拒绝和解"),
    "offer_rejected": N_("消费者拒绝和解方案"),
}


def latest_offer(case: Case) -> dict[str, Any] | None:
    """The settlement the consumer is asked to accept, while one is pending."""
    if case.state != "offer_pending":
        return None
    offers = [e for e in case.events if e.trigger == "propose_settlement"]
    return dict(offers[-1].payload) if offers else None


def case_context(
    session: Session,
    case: Case,
    actor: Actor,
    rules: Rules,
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    open_action: str | None = None,
    message: str | None = None,
    campaigns: Mapping[str, Campaign] | None = None,
) -> dict[str, Any]:
    """Everything a case page shows, with the actions this actor may take now."""
    workflow = rules.workflow(case.workflow, case.workflow_version)
    now = utcnow()
    campaigns = campaigns or {}
    actions = available_actions(case, actor, rules)
    desk = desk_context(
        session, case, [t for t in actions if t.trigger in DESK_TRIGGERS], campaigns, now
    )
    if actor.role == "regulator":
        desk["classification"] = classification_context(
            case, rules, CLASSIFY_TRIGGER in desk["actions"]
        )
    actions = [t for t in actions if t.trigger not in DESK_TRIGGERS]
    needs_offices = any(f.type == "office" for t in actions for f in t.fields)
    return {
        "case": case,
        "workflow": workflow,
        "state": workflow.states[case.state],
        "deadline": deadline_of(case, rules, now),
        "timeline": timeline(case, workflow, actor.role, campaigns),
        "offer": latest_offer(case),
        "actions": actions,
        "errors": errors or {},
        "values": values or {},
        "open_action": open_action,
        "message": message,
        "escalation_reason": ESCALATION_REASONS.get(case.escalation_reason or ""),
        "offices": list(session.scalars(select(Office).order_by(Office.region_code)))
        if needs_offices
        else [],
        "actor": actor,
        "unread": unread_count(session, actor) if actor.role in STAFF_ROLES else 0,
        "rulebook": next((r for r in rules.rulebooks if r.code == case.rulebook), None),
        "linked_report": case.linked_case_id if actor.role != "enterprise" else None,
        "can_rate": can_rate(case, now) and actor.role == "consumer",
        "desk": desk,
        "documents": case_documents(session, case),
        # Web captures (odr/captures/): the case's, and whether this actor may ask for one.
        "captures": captures_of_case(session, case),
        "may_capture": may_act(actor, case),
    }


def desk_context(
    session: Session,
    case: Case,
    desk_actions: list[TransitionDef],
    campaigns: Mapping[str, Campaign],
    now: datetime,
) -> dict[str, Any]:
    """The regulator's desk on a case: its handler and campaign tags, what may change now,
    and the running campaigns the case's words suggest (applied in one click)."""
    allowed = {t.trigger: t for t in desk_actions}
    tags = [
        campaigns.get(code) or Campaign(code, {"zh": code, "en": code}, ())
        for code in tags_of(case)
    ]
    day = now.astimezone(SHANGHAI).date()
    handlers = office_handlers(session, case.office_id) if ASSIGN_TRIGGER in allowed else []
    return {
        "actions": allowed,
        "handler": next((u for u in handlers if u.id == case.handler_id), None)
        if handlers
        else (session.get(User, case.handler_id) if case.handler_id else None),
        "handlers": handlers,
        "tags": tags,
        "suggested": suggested(case, campaigns, now) if TAG_TRIGGER in allowed else [],
        "taggable": [c for c in running(campaigns, day) if c.code not in tags_of(case)]
        if TAG_TRIGGER in allowed
        else [],
    }


def classification_context(case: Case, rules: Rules, may_classify: bool) -> dict[str, Any]:
    """The case's category and nature of problem as the regulator sees them: whether they were
    confirmed, what the case's words suggest, and the codes offered."""
    classification = rules.classification
    category, nature = suggestion(case, classification)
    return {
        "goods_category": classification.categories.get(case.goods_category or ""),
        "problem_nature": classification.natures.get(case.problem_nature or ""),
        "confirmed": case.classification_confirmed,
        "suggested_category": classification.categories.get(category or ""),
        "suggested_nature": classification.natures.get(nature or ""),
        "categories": classification.offered_categories() if may_classify else [],
        "natures": classification.offered_natures() if may_classify else [],
        "may_classify": may_classify,
        "version": classification.version,
    }


def uploaded_files(
    transition: TransitionDef,
    data: Mapping[str, Any],
    evidence_dir: Path,
    max_bytes: int,
) -> dict[str, Any]:
    """The form's data with each file field's upload checked, written, and ready for act()."""
    values = {k: v for k, v in data.items() if not isinstance(v, UploadFile | list)}
    for f in transition.fields:
        upload = data.get(f.name)
        if f.type != "file" or not isinstance(upload, UploadFile) or not upload.filename:
            continue
        for checked in check_evidence(
            [(upload.filename, upload.file.read())], 1, max_bytes, field=f.name
        ):
            write_file(evidence_dir, checked)
            values[f.name] = checked
    return values


def perform_action(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    data: Mapping[str, Any],
    rules: Rules,
    settings: Settings,
    *,
    template: str,
    page_url: str,
) -> Redirect | Template:
    """Fire a trigger from a portal form: back to the page, or the page again with what went
    wrong (a case the actor may not act on is left to the app's handler: 404)."""
    workflow = rules.workflow(case.workflow, case.workflow_version)
    candidates = workflow.candidates(case.state, trigger)
    campaigns = load_campaigns(settings.workflows_dir)
    try:
        if candidates:
            data = uploaded_files(
                candidates[0], data, settings.evidence_dir, settings.evidence_max_bytes
            )
        perform(
            session,
            case,
            trigger,
            actor,
            data,
            rules=rules,
            campaigns=campaigns,
            notice_days=settings.disclosure_notice_days,
            documents=Papers.from_settings(settings),
        )
    except InvalidData as exc:
        shown = {k: v for k, v in data.items() if isinstance(v, str)}
        context = case_context(
            session,
            case,
            actor,
            rules,
            errors=exc.errors,
            values=shown,
            open_action=trigger,
            campaigns=campaigns,
        )
        return Template(template, context=context, status_code=400)
    except (TransitionNotAllowed, ConditionsNotMet, ConcurrentChange):
        session.rollback()
        session.refresh(case)
        message = N_("该操作当前不可用，案件状态可能已变化")
        context = case_context(session, case, actor, rules, message=message, campaigns=campaigns)
        return Template(template, context=context, status_code=409)
    return Redirect(page_url, status_code=303)
