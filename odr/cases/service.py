"""The only two ways a case changes: submit() a new one, act() on an existing one.

Their batch forms (odr/cases/bulk.py: submit_batch, act_batch) take the same steps for many
cases at once, and odr/cases/history.py for a case's whole past (the demo's cases). Events that move no state (a reminder, a recount, a rating, a purge) are
chained here too (remind, recount_deadline, record_event). No other code writes a case's
state, clock or chain head, or a CaseEvent: tests/cases/test_one_door.py reads the source
and fails when some does.

All work inside the caller's transaction and flush, never commit: the caller (a request, the
sweeper, a command) owns the unit of work, so the case row, its CaseEvent and its outbox rows
are committed together or not at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from odr.auth.access import may_act, may_view
from odr.auth.actor import SYSTEM, Actor
from odr.cases.chain import content_digest, event_hash
from odr.cases.clocks import after_transition, recount
from odr.cases.evidence import EvidenceFile, attach, write_file
from odr.cases.input import SEVEN_DAY_RETURN, ComplaintInput
from odr.cases.models import (
    DIRECT_CHANNELS,
    REPORT_CLAIM,
    Attachment,
    Case,
    CaseEvent,
    CaseParty,
)
from odr.cases.outbox import (
    Recipients,
    context_for,
    notification_rows,
    queue_notifications,
    recipients_of,
)
from odr.cases.search_index import index_case, touches_search
from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import STANDARD_TRACK, Rulebook, Rules
from odr.engine.workflow import TransitionDef, Workflow
from odr.enterprises.models import Enterprise
from odr.enterprises.respondents import respondent_for
from odr.enterprises.service import match_respondent
from odr.errors import CaseForbidden, ConcurrentChange, InvalidData, TransitionNotAllowed
from odr.notify.catalog import REMINDER
from odr.notify.models import Notification
from odr.offices.models import Office
from odr.offices.service import by_code
from odr.routing.service import Route, route, routed_for
from odr.security import access_codes
from odr.text import N_

# Access codes avoid look-alike characters (0/O, 1/I/L) since consumers copy them by hand.
ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACCESS_CODE_LENGTH = 10
REPORT_TRACK = "report"
DUPLICATE_TRIGGER = "duplicate_received"
DUPLICATE_WINDOW = timedelta(days=30)
REMIND_TRIGGER = "remind"
RECOUNT_TRIGGER = "recount_deadline"
# A case's columns that only the workflow's moves and the chain write: its state, its clock
# and its chain head.
MOVED_COLUMNS = frozenset(
    {
        "state",
        "closed_at",
        "due_at",
        "clock_started_at",
        "clock_days",
        "deadline_provisional",
        "paused_state",
        "paused_days_left",
        "next_reminder_at",
        "event_count",
        "last_event_hash",
        "version",
    }
)
# Who is reminded of a state's deadline, by the state's party.
PARTY_AUDIENCE = {"consumer": "consumer", "enterprise": "enterprise", "regulator": "office"}


@dataclass(frozen=True)
class Submission:
    case: Case
    access_code: str  # shown once to the consumer, stored only as a hash ("" for a duplicate)
    report: Submission | None = None  # the report (举报) filed with the complaint
    # The complaint repeated an open case (same phone, business and order within 30 days):
    # `case` is that case, and nothing new was created.
    duplicate: bool = False


def hash_access_code(code: str, salt: str | None = None) -> str:
    return access_codes.hash_code(code, salt)


def check_access_code(case: Case, code: str) -> bool:
    """Constant-time comparison of a typed access code with the stored (keyed) hash."""
    return access_codes.verify_code(case.access_code_hash, code)


def new_access_code() -> str:
    """Random characters of the access-code alphabet, from one read of the system's randomness
    (bytes past the largest multiple of the alphabet's size are dropped: no character is likelier)."""
    usable = 256 - 256 % len(ACCESS_CODE_ALPHABET)
    code = ""
    while len(code) < ACCESS_CODE_LENGTH:
        code += "".join(
            ACCESS_CODE_ALPHABET[b % len(ACCESS_CODE_ALPHABET)]
            for b in secrets.token_bytes(2 * ACCESS_CODE_LENGTH)
            if b < usable
        )
    return code[:ACCESS_CODE_LENGTH]


def _new_case_number(now: datetime) -> str:
    return f"ODR{now:%y%m%d}{secrets.randbelow(10**8):08d}"


def new_case_numbers(session: Session, count: int, now: datetime) -> list[str]:
    """`count` case numbers of today that no case has yet, in the order drawn (8 random digits
    a day collide within tens of thousands of cases: the ones taken are drawn again)."""
    numbers: dict[str, None] = {}  # a set that keeps its order
    while len(numbers) < count:
        drawn: dict[str, None] = {}
        while len(drawn) < count - len(numbers):
            if (number := _new_case_number(now)) not in numbers:
                drawn[number] = None
        taken = set(session.scalars(select(Case.number).where(Case.number.in_(drawn))))
        numbers.update((number, None) for number in drawn if number not in taken)
    return list(numbers)


@dataclass
class EventRow:
    """A case event before it is stored (CaseEvent's columns but case_id and id)."""

    seq: int
    occurred_at: datetime
    actor_role: str
    actor_id: int | None
    actor_label: str
    trigger: str
    from_state: str | None
    to_state: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str = ""


def chain_event(
    case: Any,
    trigger: str,
    actor: Actor,
    from_state: str | None,
    payload: Mapping[str, Any],
    now: datetime,
) -> EventRow:
    """The case's next event, hashed onto its chain; the case's chain head moves to it."""
    event = EventRow(
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
    )
    event.hash = event_hash(case.number, event)
    case.event_count = event.seq
    case.last_event_hash = event.hash
    return event


def append_event(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    from_state: str | None,
    payload: Mapping[str, Any],
    now: datetime,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id, **vars(chain_event(case, trigger, actor, from_state, payload, now))
    )
    session.add(event)
    return event


def may_take_over(actor: Actor, case: Case) -> bool:
    """A regulator of an office above the handling one."""
    return (
        actor.role == "regulator"
        and case.office_id is not None
        and case.office_id in actor.office_ids
        and case.office_id != actor.office_id
    )


def _recorded(value: Any) -> Any:
    """What an event keeps of a field's value (of a file: its name and hash)."""
    if hasattr(value, "sha256"):
        return {"filename": value.filename, "sha256": value.sha256}
    return value


OfficeLookup = Callable[[str], Office | None]


def _assign_office(
    offices: OfficeLookup,
    case: Case,
    transition: TransitionDef,
    clean: Mapping[str, Any],
    actor: Actor,
    rules: Rules,
) -> None:
    """Change the handling office where a transition says so (triage, return, take-over)."""
    code = None
    for f in transition.fields:
        if f.type == "office" and f.name in clean:
            code = clean[f.name]
            office = offices(code)
            if office is None:
                raise InvalidData({f.name: N_("没有该区划代码的部门")})
            case.office_id = office.id
    if transition.assign_office == "intake":
        office = offices(rules.intake_office_code)
        if office is None:
            raise InvalidData({"office": f"intake office {rules.intake_office_code} is missing"})
        case.office_id = office.id
    elif transition.assign_office == "actor":
        case.office_id = actor.office_id


def _move(
    case: Any,
    workflow: Workflow,
    trigger: str,
    actor: Actor,
    clean: Mapping[str, Any],
    rules: Rules,
    now: datetime,
) -> tuple[TransitionDef, dict[str, Any]]:
    """Fire the trigger on the case (a row, or one about to be stored): its new state, what
    the transition sets, its clock; the transition and what its event records."""
    from_state = case.state
    transition = workflow.fire(case, trigger, actor.role, clean)
    for attribute, value in transition.set.items():
        setattr(case, attribute, value)
    amounts = {f.name for f in transition.fields if f.type == "amount"}
    for attribute, fname in transition.record.items():
        if clean.get(fname) not in (None, ""):
            value = clean[fname]
            setattr(case, attribute, Decimal(value) if fname in amounts else value)
    state = workflow.states[case.state]
    after_transition(case, transition, from_state, state, now, rules)
    case.updated_at = now
    if state.terminal and not transition.internal:
        case.closed_at = now  # an event recorded on a closed case keeps the day it closed
    payload = {k: _recorded(v) for k, v in clean.items()}
    if case.due_at is not None:
        payload["due_at"] = case.due_at.isoformat()
    return transition, payload


def move(
    session: Session,
    case: Case,
    workflow: Workflow,
    trigger: str,
    actor: Actor,
    data: Mapping[str, Any],
    rules: Rules,
    now: datetime,
) -> tuple[TransitionDef, dict[str, Any], dict[str, Any]]:
    """act()'s steps before anything is written: may this actor fire this trigger now, with
    this data; then the move itself. The transition, the clean data and what the event records."""
    candidates = workflow.candidates_for(case.state, trigger, actor.role)
    takes_over = bool(candidates) and candidates[0].assign_office == "actor"
    if not (may_act(actor, case) or takes_over and may_view(actor, case)):
        raise CaseForbidden(case.number)
    if takes_over and not may_take_over(actor, case):
        raise TransitionNotAllowed("only a supervising office may take a case over")
    return move_allowed(
        lambda code: by_code(session, code), case, workflow, trigger, actor, data, rules, now
    )


def move_allowed(
    offices: OfficeLookup,
    case: Any,
    workflow: Workflow,
    trigger: str,
    actor: Actor,
    data: Mapping[str, Any],
    rules: Rules,
    now: datetime,
) -> tuple[TransitionDef, dict[str, Any], dict[str, Any]]:
    """The move of an actor whose access is settled (move() checks it; a case's past replayed
    by history.replay was the parties' own): the data cleaned, the office assigned, the trigger
    fired. The transition, the clean data and what the event records."""
    candidates = workflow.candidates_for(case.state, trigger, actor.role)
    if not candidates:
        raise TransitionNotAllowed(f"'{trigger}' is not allowed now for {actor.role}")
    clean = workflow.clean(candidates[0], data)
    _assign_office(offices, case, candidates[0], clean, actor, rules)
    transition, payload = _move(case, workflow, trigger, actor, clean, rules, now)
    return transition, clean, payload


class DocumentIssuer(Protocol):
    """Issues the paper (文书) a decision calls for (odr/documents/), in act()'s transaction:
    chains its event through record_event and answers what the decision's notices carry of it
    (nothing when the decision issues no paper)."""

    def __call__(
        self,
        session: Session,
        case: Case,
        decision: CaseEvent,
        workflow: Workflow,
        actor: Actor,
        rules: Rules,
        now: datetime,
    ) -> Mapping[str, Any]: ...


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
    documents: DocumentIssuer | None = None,
) -> CaseEvent:
    """Fire a trigger on a case: check, move, start the clock, chain an event, issue the paper
    the decision calls for (with `documents`), queue notices (the paper attached)."""
    now = now or utcnow()
    number = case.number  # a failed flush expires the row: keep what the errors name
    workflow = rules.workflow(case.workflow, case.workflow_version)
    from_state = case.state
    transition, clean, payload = move(session, case, workflow, trigger, actor, data, rules, now)
    for f in transition.fields:
        if f.type == "file" and f.name in clean:
            attach(session, case, clean[f.name], actor.role, now, event_seq=case.event_count + 1)
    event = append_event(session, case, trigger, actor, from_state, payload, now)
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentChange(number) from exc
    context = context_for(case, workflow, transition.fields, payload)
    if documents is not None:
        context |= documents(session, case, event, workflow, actor, rules, now)
    queue_notifications(session, case, event, transition.notify, context, now, consumer_extra)
    session.flush()
    return event


def refuse_moved_columns(changes: Mapping[str, Any]) -> None:
    """ValueError if changes name a column only the workflow's moves and the chain write."""
    if moved := MOVED_COLUMNS.intersection(changes):
        raise ValueError(f"only a move of the workflow changes {', '.join(sorted(moved))}")


def record_event(
    session: Session,
    case: Case,
    trigger: str,
    actor: Actor,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    changes: Mapping[str, Any] | None = None,
) -> CaseEvent:
    """An event that moves neither state nor clock (a follow-up rating, a personal-data purge),
    chained onto the case with the columns of its own it changes."""
    refuse_moved_columns(changes or {})
    for column, value in (changes or {}).items():
        setattr(case, column, value)
    event = append_event(session, case, trigger, actor, case.state, payload, now)
    session.flush()
    if touches_search(changes or {}):
        index_case(session, case)  # the purge's blanks too: nothing found by what it removed
    return event


def remind(session: Session, case: Case, *, rules: Rules, now: datetime | None = None) -> CaseEvent:
    """Remind the party of a state that its deadline is near: an event, no change of state."""
    now = now or utcnow()
    workflow = rules.workflow(case.workflow, case.workflow_version)
    state = workflow.states[case.state]
    left = rules.calendar.working_days_left(case.due_at, now) if case.due_at else 0
    event = append_event(
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


def business_key(respondent_id: int | None, uscc: str | None, name: str) -> str:
    """Who a complaint is against, beside its respondent id: "" for a registered enterprise
    (the id says it), else the business's USCC, else the name it was given."""
    return "" if respondent_id is not None else (uscc or name)


def duplicate_key(
    complaint: ComplaintInput, respondent_id: int | None
) -> tuple[str, int | None, str, str] | None:
    """What makes a complaint a repeat: the same phone against the same business (registered
    or not) for the same order (no order number, no repeat)."""
    if not complaint.order_number:
        return None
    business = business_key(respondent_id, complaint.respondent_uscc, complaint.respondent_name)
    return (complaint.complainant_phone, respondent_id, complaint.order_number, business)


def case_duplicate_key(case: Any) -> tuple[str, int | None, str | None, str]:
    """duplicate_key of a stored case."""
    business = business_key(case.respondent_id, case.respondent_uscc, case.respondent_name)
    return (case.complainant_phone, case.respondent_id, case.order_number, business)


DUPLICATE_KEY_COLUMNS = (Case.complainant_phone, Case.respondent_id, Case.order_number)
PROBABLE_REPEAT_WINDOW = timedelta(days=7)


def same_business(respondent_id: int | None, uscc: str | None, name: str) -> list[Any]:
    """Conditions on cases against the business business_key names."""
    if respondent_id is not None:
        return [Case.respondent_id == respondent_id]
    no_uscc = or_(Case.respondent_uscc.is_(None), Case.respondent_uscc == "")
    if uscc:
        return [Case.respondent_id.is_(None), Case.respondent_uscc == uscc]
    return [Case.respondent_id.is_(None), no_uscc, Case.respondent_name == name]


def joinable(now: datetime, window: timedelta = DUPLICATE_WINDOW) -> tuple[Any, ...]:
    """The cases a repeat joins: open, filed in the last 30 days, not reports."""
    return (
        Case.closed_at.is_(None),
        Case.received_at >= now - window,
        Case.claim_type != REPORT_CLAIM,
    )


def _open_duplicate(
    session: Session, complaint: ComplaintInput, respondent_id: int | None, now: datetime
) -> Case | None:
    """An open case of the same phone against the same business for the same order, filed in
    the last 30 days: a repeat of it joins it instead of opening a second case."""
    if duplicate_key(complaint, respondent_id) is None:
        return None
    business = same_business(respondent_id, complaint.respondent_uscc, complaint.respondent_name)
    return session.scalar(
        select(Case)
        .where(
            Case.complainant_phone == complaint.complainant_phone,
            Case.order_number == complaint.order_number,
            *business,
        )
        .where(*joinable(now))
        .order_by(Case.id)
        .limit(1)
    )


def probable_repeat_key(
    complaint: ComplaintInput, respondent_id: int | None
) -> tuple[str, int | None, str, str] | None:
    """Without an order number, what makes a complaint a probable repeat: the same phone
    against the same business for the same product (within 7 days)."""
    if complaint.order_number or not complaint.product:
        return None
    business = business_key(respondent_id, complaint.respondent_uscc, complaint.respondent_name)
    return (complaint.complainant_phone, respondent_id, complaint.product, business)


def case_probable_repeat_key(case: Any) -> tuple[str, int | None, str, str]:
    """probable_repeat_key of a stored case (whether or not it gave an order number)."""
    business = business_key(case.respondent_id, case.respondent_uscc, case.respondent_name)
    return (case.complainant_phone, case.respondent_id, case.product, business)


def probable_repeat_of(
    session: Session, complaint: ComplaintInput, respondent_id: int | None, now: datetime
) -> int | None:
    """The latest open case of the same phone against the same business for the same product
    in the last 7 days, for a complaint without an order number: offered to the regulator as
    a probable repeat (a flag, never a join: two purchases of one product are two disputes)."""
    if probable_repeat_key(complaint, respondent_id) is None:
        return None
    business = same_business(respondent_id, complaint.respondent_uscc, complaint.respondent_name)
    return session.scalar(
        select(Case.id)
        .where(Case.complainant_phone == complaint.complainant_phone, *business)
        .where(Case.product == complaint.product, *joinable(now, PROBABLE_REPEAT_WINDOW))
        .order_by(Case.id.desc())
        .limit(1)
    )


def duplicate_event(
    case: Any,
    channel: str,
    external_id: str | None,
    intake_payload: Mapping[str, Any] | None,
    now: datetime,
) -> EventRow:
    """A repeat joining an open case: an event on that case's chain, nothing new created."""
    event = chain_event(
        case,
        DUPLICATE_TRIGGER,
        SYSTEM,
        case.state,
        {"channel": channel, "external_id": external_id, **(intake_payload or {})},
        now,
    )
    case.updated_at = now
    return event


def intake_track(complaint: ComplaintInput) -> str:
    """The track a complaint is filed on, by its claim."""
    return SEVEN_DAY_RETURN if complaint.claim_type == SEVEN_DAY_RETURN else STANDARD_TRACK


def intake_rules(
    complaint: ComplaintInput, rules: Rules, received: date
) -> tuple[Workflow, Rulebook | None]:
    """The workflow of the complaint's track and the rulebook in force on the day received."""
    track = intake_track(complaint)
    return rules.workflow(rules.track_workflow(track, received)), rules.rulebook_for(received)


def require_findable(complaint: ComplaintInput, respondent: Enterprise | None) -> None:
    """An unregistered business must be found by the regulator: its address (or its USCC,
    which names its region) is required."""
    if respondent is None and not (complaint.respondent_address or complaint.respondent_uscc):
        raise InvalidData({"respondent_address": N_("未找到已登记企业时必填")})


def case_values(
    complaint: ComplaintInput,
    workflow: Workflow,
    channel: str,
    now: datetime,
    number: str,
    received_at: datetime | None = None,
    *,
    access_code: str | None = None,
    salt: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A new case's columns in its workflow's initial state, and its access code (shown once;
    drawn here unless given, as the demo's seeded ones are). A transfer received elsewhere
    first (12315's 登记时间) keeps that moment as received_at and its arrival here as
    transferred_at."""
    access_code = access_code or new_access_code()
    values = {
        "number": number,
        "access_code_hash": hash_access_code(access_code, salt),
        "workflow": workflow.name,
        "workflow_version": workflow.version,
        "state": workflow.initial,
        "channel": channel,
        "received_at": received_at or now,
        "transferred_at": None if channel in DIRECT_CHANNELS else now,
        "updated_at": now,
        "complainant_name": complaint.complainant_name,
        "complainant_phone": complaint.complainant_phone,
        "complainant_address": complaint.complainant_address,
        "complainant_email": complaint.complainant_email,
        "locale": complaint.locale,
        "notify_sms": complaint.notify_sms,
        "notify_email": complaint.notify_email,
        "respondent_name": complaint.respondent_name,
        "respondent_uscc": complaint.respondent_uscc,
        "respondent_address": complaint.respondent_address,
        "product": complaint.product,
        "purchase_date": complaint.purchase_date,
        "amount": complaint.amount,
        "order_number": complaint.order_number,
        "claim_type": complaint.claim_type,
        "facts": complaint.facts,
        "goods_category": complaint.goods_category,
        "problem_nature": complaint.problem_nature,
        "event_count": 0,
        "last_event_hash": "",
    }
    return values, access_code


def _new_case(
    complaint: ComplaintInput,
    workflow: Workflow,
    channel: str,
    now: datetime,
    number: str | None = None,
    received_at: datetime | None = None,
) -> tuple[Case, str]:
    """A case row in its workflow's initial state, and its access code (shown once)."""
    values, access_code = case_values(
        complaint, workflow, channel, now, number or _new_case_number(now), received_at
    )
    return Case(**values), access_code


def fill_intake(
    case: Any,
    complaint: ComplaintInput,
    respondent: Enterprise | None,
    routed: Route,
    rulebook: Rulebook | None,
    received: date,
    *,
    external_id: str | None,
    identity_verified: bool,
) -> None:
    """What intake decided, on the new case: its rules, the business found, who negotiates
    and which office is competent."""
    case.external_id = external_id
    case.identity_verified = identity_verified
    case.rulebook = rulebook.code if rulebook else ""
    case.time_barred_flag = complaint.time_barred(received)
    if respondent is not None:
        case.respondent_id = respondent.id
        case.respondent_name = respondent.name
        case.respondent_uscc = respondent.uscc or complaint.respondent_uscc
        case.respondent_address = complaint.respondent_address or respondent.address
    case.enterprise_id = routed.enterprise.id if routed.enterprise else None
    case.office_id = routed.office.id if routed.office else None
    case.routing_note = routed.note[:500] if routed.note else None


@dataclass
class Start:
    """A new case's first events (submit, route) and the outbox rows of routing."""

    events: list[EventRow]
    # (index into events, outbox row without case_id and event_id)
    notices: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def start_case(
    case: Any,
    rules: Rules,
    now: datetime,
    evidence_sha256: Sequence[str],
    access_code: str,
    intake_payload: Mapping[str, Any] | None,
    recipients: Recipients,
    recorded_by: Actor | None = None,
) -> Start:
    """The first event (it fixes the complaint's content), then routing: the case (a row, or one
    about to be stored) moves on; its events and the notices routing sends. The first event's
    actor is the consumer, or the clerk who recorded the complaint for them (代为登记)."""
    digest = content_digest(case, list(evidence_sha256))
    submitted = chain_event(
        case,
        "submit",
        recorded_by or Actor(role="consumer", label=f"投诉人 {case.complainant_name}"),
        None,
        {"channel": case.channel, "content_sha256": digest, **(intake_payload or {})},
        now,
    )
    workflow = rules.workflow(case.workflow, case.workflow_version)
    from_state = case.state
    transition, payload = _move(case, workflow, "route", SYSTEM, {}, rules, now)
    if case.clock_started_at is not None and case.received_at < now:
        # The first clock runs from receipt (a transfer's 登记时间), not from its arrival here:
        # one that ran out on the way is overdue at once, and the sweep climbs its ladder.
        case.clock_started_at = case.received_at
        recount(case, workflow.states[case.state], rules, now)
        payload["due_at"] = case.due_at.isoformat()
    routed = chain_event(case, "route", SYSTEM, from_state, payload, now)
    context = context_for(case, workflow, transition.fields, payload)
    rows = notification_rows(
        case, transition.notify, context, now, {"access_code": access_code}, recipients
    )
    return Start(events=[submitted, routed], notices=[(1, row) for row in rows])


def _start(
    session: Session,
    case: Case,
    rules: Rules,
    now: datetime,
    attachments: list[Attachment],
    access_code: str,
    intake_payload: Mapping[str, Any] | None = None,
    recorded_by: Actor | None = None,
) -> None:
    """The first event (it fixes the complaint's content), then routing, stored for a case
    row already flushed."""
    start = start_case(
        case,
        rules,
        now,
        [a.sha256 for a in attachments],
        access_code,
        intake_payload,
        recipients_of(session),
        recorded_by,
    )
    events = [CaseEvent(case_id=case.id, **vars(event)) for event in start.events]
    session.add_all(events)
    session.flush()  # the events' ids; the case's new state, clock and chain head
    session.add_all(
        Notification(case_id=case.id, event_id=events[index].id, **row)
        for index, row in start.notices
    )
    session.flush()
    index_case(session, case)  # found by the search box from the commit that stores it


def submit(
    session: Session,
    complaint: ComplaintInput,
    *,
    rules: Rules,
    intake_office_code: str | None = None,
    evidence: Sequence[EvidenceFile] = (),
    evidence_dir: Path | None = None,
    channel: str = "web",
    external_id: str | None = None,
    now: datetime | None = None,
    identity_verified: bool = False,
    prefer_odr: bool = True,
    office: Office | None = None,
    named_office: str = "",
    intake_payload: Mapping[str, Any] | None = None,
    received_at: datetime | None = None,
    received_at_assumed: bool = False,
    recorded_by: Actor | None = None,
) -> Submission:
    """Store a new complaint (and the report filed with it) with its evidence and first event,
    on the track and rulebook in force on the day it was received, then route it.
    `recorded_by`: the clerk who took it by phone, at the counter or from a letter (the first
    event's actor; `channel` says which), None when the consumer filed it.
    `received_at`: when a transferring platform received it (None: now); `received_at_assumed`:
    the platform did not say, so its arrival here stands for it (flagged on the case).
    `office`: the handling office the platform named, where routing finds no competent one;
    `named_office`: how it named it (for the triage note when that names no office)."""
    now = now or utcnow()
    received = (received_at or now).astimezone(SHANGHAI).date()
    workflow, rulebook = intake_rules(complaint, rules, received)
    respondent = respondent_for(session, complaint)
    require_findable(complaint, respondent)
    respondent_id = respondent.id if respondent is not None else None
    if earlier := _open_duplicate(session, complaint, respondent_id, now):
        event = duplicate_event(earlier, channel, external_id, intake_payload, now)
        session.add(CaseEvent(case_id=earlier.id, **vars(event)))
        session.flush()
        return Submission(case=earlier, access_code="", duplicate=True)
    routed = routed_for(
        route(session, respondent, intake_office_code or rules.intake_office_code),
        prefer_odr,
        office,
        named_office,
    )
    case, access_code = _new_case(
        complaint, workflow, channel, now, new_case_numbers(session, 1, now)[0], received_at
    )
    case.received_at_assumed = received_at_assumed
    fill_intake(
        case,
        complaint,
        respondent,
        routed,
        rulebook,
        received,
        external_id=external_id,
        identity_verified=identity_verified,
    )
    case.probable_repeat_of = probable_repeat_of(session, complaint, respondent_id, now)

    session.add(case)
    session.flush()
    attachments = []
    if evidence:
        if evidence_dir is None:
            raise ValueError("evidence_dir is required with evidence")
        for f in evidence:
            write_file(evidence_dir, f)
        attachments = [attach(session, case, f, "consumer", now) for f in evidence]
    _start(session, case, rules, now, attachments, access_code, intake_payload, recorded_by)
    session.add_all(
        CaseParty(
            case_id=case.id,
            name=p.name,
            phone=p.phone,
            address=p.address,
            representative=p.representative,
            consented_at=now,
        )
        for p in complaint.co_complainants
    )
    report = None
    if complaint.report is not None:
        report = _file_report(
            session,
            complaint,
            routed,
            rules,
            now,
            {column: getattr(case, column) for column in RESPONDENT_COLUMNS},
            complaint_case=case,
        )
    session.flush()
    return Submission(case=case, access_code=access_code, report=report)


RESPONDENT_COLUMNS = ("respondent_id", "respondent_name", "respondent_uscc", "respondent_address")


def fill_report(
    case: Any,
    violation_type: str,
    workflow: Workflow,
    rulebook: Rulebook | None,
    respondent: Mapping[str, Any],
    office: Office | None,
    *,
    anonymous: bool,
) -> None:
    """What filing decided on a new report: its rules, the business it names, what it reports
    and the office where the conduct happened."""
    case.rulebook = rulebook.code if rulebook else ""
    case.anonymous = anonymous
    for column in RESPONDENT_COLUMNS:
        setattr(case, column, respondent.get(column))
    case.respondent_address = case.respondent_address or ""
    case.product = workflow.label("violation_types", violation_type)
    case.office_id = office.id if office else None


def _file_report(
    session: Session,
    complaint: ComplaintInput,
    routed: Route,
    rules: Rules,
    now: datetime,
    respondent: Mapping[str, Any],
    complaint_case: Case | None = None,
    anonymous: bool = False,
    channel: str = "web",
    recorded_by: Actor | None = None,
    intake_payload: Mapping[str, Any] | None = None,
    identity_verified: bool = False,
) -> Submission:
    """A report (举报): its own case on the report track at the office where the conduct
    happened, never shown to the enterprise; linked both ways to the complaint it came with."""
    assert complaint.report is not None
    received = now.astimezone(SHANGHAI).date()
    workflow = rules.workflow(rules.track_workflow(REPORT_TRACK, received))
    report = complaint.report
    case, access_code = _new_case(
        replace(complaint, facts=report.facts, claim_type=REPORT_CLAIM),
        workflow,
        channel,
        now,
        new_case_numbers(session, 1, now)[0],
    )
    fill_report(
        case,
        report.violation_type,
        workflow,
        rules.rulebook_for(received),
        respondent,
        routed.office,
        anonymous=anonymous,
    )
    case.linked_case_id = complaint_case.id if complaint_case else None
    case.identity_verified = identity_verified
    session.add(case)
    session.flush()
    _start(session, case, rules, now, [], access_code, intake_payload, recorded_by)
    if complaint_case is not None:
        complaint_case.linked_case_id = case.id
    return Submission(case=case, access_code=access_code)


def submit_report(
    session: Session,
    report: ComplaintInput,
    *,
    rules: Rules,
    now: datetime | None = None,
    channel: str = "web",
    recorded_by: Actor | None = None,
    intake_payload: Mapping[str, Any] | None = None,
    identity_verified: bool = False,
) -> Submission:
    """A report on its own (no complaint): anonymous when the reporter gives no phone.
    `channel`, `recorded_by` and `intake_payload` as for submit()."""
    now = now or utcnow()
    respondent = match_respondent(session, None, report.respondent_name, report.respondent_uscc)
    if respondent is None and not report.respondent_address:
        raise InvalidData({"respondent_address": N_("未找到已登记企业时必填")})
    routed = route(session, respondent, rules.intake_office_code)
    if respondent is not None:
        found = {
            "respondent_id": respondent.id,
            "respondent_name": respondent.name,
            "respondent_uscc": respondent.uscc,
            "respondent_address": report.respondent_address or respondent.address,
        }
    else:
        found = {
            "respondent_name": report.respondent_name,
            "respondent_uscc": report.respondent_uscc,
            "respondent_address": report.respondent_address,
        }
    submission = _file_report(
        session,
        report,
        routed,
        rules,
        now,
        found,
        anonymous=not report.complainant_phone,
        channel=channel,
        recorded_by=recorded_by,
        intake_payload=intake_payload,
        identity_verified=identity_verified,
    )
    session.flush()
    return submission


def recount_deadline(
    session: Session, case: Case, *, rules: Rules, now: datetime | None = None
) -> CaseEvent | None:
    """Count a provisional deadline again (the calendar now knows more); an event if it moved."""
    now = now or utcnow()
    state = rules.workflow(case.workflow, case.workflow_version).states[case.state]
    if state.clock is None or case.clock_started_at is None:
        return None
    before, was_provisional = case.due_at, case.deadline_provisional
    recount(case, state, rules, now)
    if case.due_at == before and case.deadline_provisional == was_provisional:
        return None
    case.updated_at = now
    event = append_event(
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
