"""The only two ways a case changes: submit() a new one, act() on an existing one.

Both work inside the caller's transaction and flush, never commit: the caller (a request, the
sweeper, a command) owns the unit of work, so the case row, its CaseEvent and its outbox rows
are committed together or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from odr.auth.access import may_act
from odr.auth.actor import SYSTEM, Actor
from odr.cases.chain import content_digest, event_hash
from odr.cases.clocks import after_transition, recount
from odr.cases.evidence import EvidenceFile, store_evidence
from odr.cases.models import Case, CaseEvent
from odr.engine.rules import DEFAULT_WORKFLOW, Rules
from odr.engine.workflow import InvalidData, TransitionNotAllowed
from odr.enterprises.service import match_respondent
from odr.intake.complaint import ComplaintInput
from odr.notify.catalog import REMINDER
from odr.notify.outbox import context_for, queue_notifications
from odr.offices.service import by_code
from odr.routing.service import route

# Access codes avoid look-alike characters (0/O, 1/I/L) since consumers copy them by hand.
ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACCESS_CODE_LENGTH = 10
REMIND_TRIGGER = "remind"
RECOUNT_TRIGGER = "recount_deadline"
# Who is reminded of a state's deadline, by the state's party.
PARTY_AUDIENCE = {"consumer": "consumer", "enterprise": "enterprise", "regulator": "office"}


class CaseForbidden(Exception):
    """The actor may not act on this case (answered as 404: nothing about the case leaks)."""


class ConcurrentChange(Exception):
    """Someone else changed the case first; reload and try again."""


@dataclass(frozen=True)
class Submission:
    case: Case
    access_code: str  # shown once to the consumer, stored only as a hash


def utcnow() -> datetime:
    return datetime.now(UTC)


def hash_access_code(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{code.strip().upper()}".encode()).hexdigest()
    return f"{salt}${digest}"


def check_access_code(case: Case, code: str) -> bool:
    """Constant-time comparison of a typed access code with the stored hash."""
    salt, _, _ = case.access_code_hash.partition("$")
    return hmac.compare_digest(hash_access_code(code, salt), case.access_code_hash)


def _new_case_number(now: datetime) -> str:
    return f"ODR{now:%y%m%d}{secrets.randbelow(10**8):08d}"


def _append_event(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    from_state: str | None,
    payload: Mapping[str, Any],
    now: datetime,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        seq=case.event_count + 1,
        occurred_at=now,
        actor_role=actor.role,
        actor_id=actor.user_id,
        actor_label=actor.label,
        trigger=trigger,
        from_state=from_state,
        to_state=case.state,
        payload=dict(payload),
        prev_hash=case.last_event_hash,
        hash="",
    )
    event.hash = event_hash(case.number, event)
    case.event_count = event.seq
    case.last_event_hash = event.hash
    session.add(event)
    return event


def act(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    rules: Rules,
    now: datetime | None = None,
    consumer_extra: Mapping[str, Any] | None = None,
) -> CaseEvent:
    """Fire a trigger on a case: check, move, start the clock, chain an event, queue notices."""
    now = now or utcnow()
    number = case.number  # a failed flush expires the row: keep what the errors name
    if not may_act(actor, case):
        raise CaseForbidden(number)
    workflow = rules.workflow(case.workflow)
    candidates = workflow.candidates(case.state, trigger)
    if not candidates or not any(actor.role in t.roles for t in candidates):
        raise TransitionNotAllowed(f"'{trigger}' is not allowed now for {actor.role}")
    clean = workflow.clean(candidates[0], data)

    for f in candidates[0].fields:
        if f.type == "office" and f.name in clean:
            office = by_code(session, clean[f.name])
            if office is None:
                raise InvalidData(
                    {f.name: "没有该区划代码的部门 / no office with this region code"}
                )
            case.office_id = office.id

    from_state = case.state
    transition = workflow.fire(case, trigger, actor.role, clean)
    for attribute, value in transition.set.items():
        setattr(case, attribute, value)
    state = workflow.states[case.state]
    after_transition(case, transition, from_state, state, now, rules)
    case.updated_at = now
    if state.terminal:
        case.closed_at = now

    payload = dict(clean)
    if case.due_at is not None:
        payload["due_at"] = case.due_at.isoformat()
    event = _append_event(session, case, trigger, actor, from_state, payload, now)
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentChange(number) from exc
    context = context_for(case, workflow, transition.fields, clean)
    queue_notifications(session, case, event, transition.notify, context, now, consumer_extra)
    session.flush()
    return event


def remind(session: Session, case: Case, *, rules: Rules, now: datetime | None = None) -> CaseEvent:
    """Remind the party of a state that its deadline is near: an event, no change of state."""
    now = now or utcnow()
    workflow = rules.workflow(case.workflow)
    state = workflow.states[case.state]
    left = rules.calendar.working_days_left(case.due_at, now) if case.due_at else 0
    event = _append_event(
        session,
        case,
        REMIND_TRIGGER,
        SYSTEM,
        case.state,
        {"working_days_left": left, "due_at": case.due_at.isoformat() if case.due_at else None},
        now,
    )
    case.next_reminder_at = rules.next_reminder(state, case.due_at, now)
    case.updated_at = now
    session.flush()
    audience = PARTY_AUDIENCE.get(state.party or "")
    if audience:
        context = context_for(case, workflow, (), {}) | {"working_days_left": left}
        queue_notifications(session, case, event, {audience: REMINDER}, context, now)
        session.flush()
    return event


def submit(
    session: Session,
    complaint: ComplaintInput,
    *,
    rules: Rules,
    intake_office_code: str,
    evidence: list[EvidenceFile] = (),  # type: ignore[assignment]
    evidence_dir: Path | None = None,
    channel: str = "web",
    external_id: str | None = None,
    workflow_name: str = DEFAULT_WORKFLOW,
    now: datetime | None = None,
) -> Submission:
    """Store a new complaint with its evidence and first event, then route it."""
    now = now or utcnow()
    workflow = rules.workflow(workflow_name)
    respondent = match_respondent(
        session, complaint.respondent_id, complaint.respondent_name, complaint.respondent_uscc
    )
    if respondent is None and not complaint.respondent_address:
        # An unregistered business must be found by the regulator: its address is required.
        raise InvalidData(
            {
                "respondent_address": "未找到已登记企业时必填 / required when the business is not registered"
            }
        )
    routed = route(session, respondent, intake_office_code)
    access_code = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))
    case = Case(
        number=_new_case_number(now),
        access_code_hash=hash_access_code(access_code),
        workflow=workflow.name,
        workflow_version=workflow.version,
        state=workflow.initial,
        channel=channel,
        external_id=external_id,
        received_at=now,
        updated_at=now,
        complainant_name=complaint.complainant_name,
        complainant_phone=complaint.complainant_phone,
        complainant_address=complaint.complainant_address,
        complainant_email=complaint.complainant_email,
        locale=complaint.locale,
        notify_sms=complaint.notify_sms,
        notify_email=complaint.notify_email,
        respondent_id=respondent.id if respondent else None,
        respondent_name=respondent.name if respondent else complaint.respondent_name,
        respondent_uscc=(respondent.uscc if respondent else None) or complaint.respondent_uscc,
        respondent_address=complaint.respondent_address
        or (respondent.address if respondent else ""),
        enterprise_id=routed.enterprise.id if routed.enterprise else None,
        office_id=routed.office.id if routed.office else None,
        product=complaint.product,
        purchase_date=complaint.purchase_date,
        amount=complaint.amount,
        order_number=complaint.order_number,
        claim_type=complaint.claim_type,
        facts=complaint.facts,
        event_count=0,
        last_event_hash="",
    )
    session.add(case)
    session.flush()
    attachments = []
    if evidence:
        if evidence_dir is None:
            raise ValueError("evidence_dir is required with evidence")
        attachments = store_evidence(session, case, list(evidence), evidence_dir, "consumer", now)
    # The first event fixes the complaint's content: altering it later breaks the chain.
    digest = content_digest(case, [a.sha256 for a in attachments])
    _append_event(
        session,
        case,
        "submit",
        Actor(role="consumer", label=f"投诉人 {complaint.complainant_name}"),
        None,
        {"channel": channel, "content_sha256": digest},
        now,
    )
    act(
        session,
        case,
        "route",
        SYSTEM,
        {},
        rules=rules,
        now=now,
        consumer_extra={"access_code": access_code},
    )
    return Submission(case=case, access_code=access_code)


def recount_deadline(
    session: Session, case: Case, *, rules: Rules, now: datetime | None = None
) -> CaseEvent | None:
    """Count a provisional deadline again (the calendar now knows more); an event if it moved."""
    now = now or utcnow()
    state = rules.workflow(case.workflow).states[case.state]
    if state.clock is None or case.clock_started_at is None:
        return None
    before, was_provisional = case.due_at, case.deadline_provisional
    recount(case, state, rules, now)
    if case.due_at == before and case.deadline_provisional == was_provisional:
        return None
    case.updated_at = now
    event = _append_event(
        session,
        case,
        RECOUNT_TRIGGER,
        SYSTEM,
        case.state,
        {
            "due_at": case.due_at.isoformat() if case.due_at else None,
            "previous_due_at": before.isoformat() if before else None,
            "provisional": case.deadline_provisional,
        },
        now,
    )
    session.flush()
    return event
