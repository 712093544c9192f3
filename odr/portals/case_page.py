"""What every portal shows of a case, and how a portal form fires a trigger through act()."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.access import may_act, may_view
from odr.auth.actor import Actor
from odr.auth.models import User
from odr.cases.campaigns import (
    TAG_TRIGGER,
    UNTAG_TRIGGER,
    Campaign,
    load_campaigns,
    running,
    suggested,
    tag,
    tags_of,
    untag,
)
from odr.cases.chain import PURGE_TRIGGER
from odr.cases.evidence import check_evidence, write_file
from odr.cases.followup import can_rate
from odr.cases.handlers import ASSIGN_TRIGGER, assign_handler, office_handlers, release_if_moved
from odr.cases.models import Case, CaseEvent
from odr.cases.service import act, may_take_over
from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.engine.workflow import TransitionDef, Workflow
from odr.errors import (
    CaseForbidden,
    ConcurrentChange,
    ConditionsNotMet,
    InvalidData,
    TransitionNotAllowed,
)
from odr.notify.service import unread_count
from odr.offices.models import Office
from odr.settings import Settings

STAFF_ROLES = ("enterprise", "regulator")
# The regulator's desk: who handles the case, which campaigns it belongs to. The case page
# shows them in a section of their own, not among the workflow's action forms.
DESK_TRIGGERS = (ASSIGN_TRIGGER, TAG_TRIGGER, UNTAG_TRIGGER)

EVENT_LABELS = {
    "submit": {"zh": "提交投诉", "en": "Complaint filed"},
    "remind": {"zh": "期限提醒", "en": "Deadline reminder"},
    "recount_deadline": {"zh": "期限重新计算", "en": "Deadline recounted"},
    "duplicate_received": {
        "zh": "收到重复投诉，已并入本案",
        "en": "A repeat complaint joined this case",
    },
    "follow_up": {"zh": "回访评价", "en": "Follow-up rating"},
    PURGE_TRIGGER: {
        "zh": "保存期满，个人信息已删除",
        "en": "Retention period over: personal data removed",
    },
}
ESCALATION_REASONS = {
    "enterprise_overdue": {"zh": "企业逾期未处理", "en": "Enterprise overdue"},
    "enterprise_declined": {"zh": "企业拒绝和解", "en": "Enterprise declined"},
    "offer_rejected": {"zh": "消费者拒绝和解方案", "en": "Offer rejected"},
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    label: Mapping[str, str]
    details: list[tuple[Mapping[str, str], str]] = field(default_factory=list)


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    working_days_left: int
    overdue: bool
    # Counted across a year whose holiday notice is not known yet (Monday to Friday).
    provisional: bool = False


def load_case(session: Session, number: str, actor: Actor) -> Case:
    """The case if it exists and the actor may see it; otherwise 404, revealing nothing."""
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None or not may_view(actor, case):
        raise NotFoundException("案件不存在 / no such case")
    return case


def deadline_of(case: Case, rules: Rules, now: datetime) -> Deadline | None:
    if case.due_at is None:
        return None
    return Deadline(
        due_at=case.due_at,
        working_days_left=rules.calendar.working_days_left(case.due_at, now),
        overdue=case.due_at < now,
        provisional=case.deadline_provisional,
    )


def _details(
    workflow: Workflow, event: CaseEvent, campaigns: Mapping[str, Campaign]
) -> list[tuple[Mapping[str, str], str]]:
    transition = next(
        (
            t
            for t in workflow.transitions
            if t.trigger == event.trigger and t.dest == event.to_state
        ),
        None,
    )
    if transition is None:
        return []
    details = []
    for f in transition.fields:
        value = event.payload.get(f.name)
        if value in (None, ""):
            continue
        if f.type == "choice" and f.list:
            shown = workflow.label(f.list, value)
        elif f.name == "campaign" and value in campaigns:
            shown = f"{campaigns[value].label['zh']} ({value})"
        else:
            shown = str(value)
        details.append((f.label, shown))
    return details


def timeline(
    case: Case,
    workflow: Workflow,
    role: str,
    campaigns: Mapping[str, Campaign] | None = None,
) -> list[TimelineEntry]:
    """The case's events as this role may see them (internal notes only for their authors)."""
    entries = []
    for event in case.events:
        transition = workflow.transition_for(event.trigger, event.from_state, event.to_state)
        if transition is not None and transition.visible_to and role not in transition.visible_to:
            continue
        if transition is not None:
            label: Mapping[str, str] = transition.label
        else:
            label = EVENT_LABELS.get(event.trigger, {"zh": event.trigger, "en": event.trigger})
        entries.append(
            TimelineEntry(
                event.occurred_at,
                event.actor_label,
                label,
                _details(workflow, event, campaigns or {}),
            )
        )
    return entries


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
    if may_act(actor, case):  # the handling office does not take a case over from itself
        actions: list[TransitionDef] = [
            t for t in workflow.available(case.state, actor.role) if t.assign_office != "actor"
        ]
    elif may_take_over(actor, case):  # a supervising office sees what it may do: take over
        actions = [
            t for t in workflow.available(case.state, actor.role) if t.assign_office == "actor"
        ]
    else:
        actions = []
    desk = desk_context(
        session, case, [t for t in actions if t.trigger in DESK_TRIGGERS], campaigns, now
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
    """Fire a trigger from a portal form: back to the page, or the page again with the errors."""
    workflow = rules.workflow(case.workflow, case.workflow_version)
    candidates = workflow.candidates(case.state, trigger)
    campaigns = load_campaigns(settings.workflows_dir)
    try:
        if candidates:
            data = uploaded_files(
                candidates[0], data, settings.evidence_dir, settings.evidence_max_bytes
            )
        fire(session, case, trigger, actor, data, rules, campaigns)
    except CaseForbidden:
        raise NotFoundException("案件不存在 / no such case") from None
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
        message = "该操作当前不可用，案件状态可能已变化 / this action is not available now"
        context = case_context(session, case, actor, rules, message=message, campaigns=campaigns)
        return Template(template, context=context, status_code=409)
    return Redirect(page_url, status_code=303)


def fire(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    data: Mapping[str, Any],
    rules: Rules,
    campaigns: Mapping[str, Campaign],
) -> None:
    """A form's trigger through act(): the desk triggers by the functions that also keep their
    result on the case (tags, handler); a case that changed office leaves its handler behind."""
    if trigger == TAG_TRIGGER:
        tag(session, case, str(data.get("campaign", "")), actor, rules=rules, campaigns=campaigns)
    elif trigger == UNTAG_TRIGGER:
        untag(session, case, str(data.get("campaign", "")), actor, rules=rules)
    elif trigger == ASSIGN_TRIGGER:
        assign_handler(session, case, str(data.get("handler", "")), actor, rules=rules)
    else:
        act(session, case, trigger, actor, data, rules=rules)
        release_if_moved(session, case)
