"""The disclosure of closed complaints (消费投诉信息公示): which closed complaint is published,
when, and what the business and the office did about it.

A closed complaint against a registered business, in a state from which its workflow has the
system trigger `disclose` (workflows/*.yaml name the results that are published), is published
once a notice period has passed: ODR_DISCLOSURE_NOTICE_DAYS working days after the day it closed
(counted with the engine's calendar, the closing day not counted). Within that period the
business may object to a factual error; the office decides the objection, and may withhold a
case at any time with a reason. Reports (举报) are never published; nor are complaints against a
group leader without a USCC (a private person) or a business typed but not registered.

Each step is an internal trigger of the case's workflow fired through act() (an event of its
hash chain); the `disclosures` row written right after it keeps where the case stands:

    (no row)   in its notice period, or not eligible
    objected   the business objected; waits for the office's decision (never published meanwhile)
    cleared    the objection was refused: published once the notice period is over
    withheld   the office withheld it, or upheld the objection (with the reason)
    disclosed  published (`publish_due`, run by the background loop and `odr sweep`)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, and_, false, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, sessionmaker
from sqlalchemy.sql import ColumnElement

from odr.auth.actor import SYSTEM, Actor
from odr.cases.models import REPORT_CLAIM, Case, CaseEvent
from odr.cases.service import act
from odr.clock import SHANGHAI, utcnow
from odr.db.base import Base, Id, UtcDateTime
from odr.db.dialects import claim
from odr.engine.calendar import WorkingCalendar
from odr.engine.rules import Rules
from odr.engine.workflow import Workflow
from odr.enterprises.models import Enterprise
from odr.errors import ConcurrentChange, InvalidData, TransitionNotAllowed
from odr.text import N_

OBJECT_TRIGGER = "object_disclosure"
DECIDE_TRIGGER = "decide_disclosure_objection"
WITHHOLD_TRIGGER = "withhold_disclosure"
DISCLOSE_TRIGGER = "disclose"
TRIGGERS = (OBJECT_TRIGGER, DECIDE_TRIGGER, WITHHOLD_TRIGGER, DISCLOSE_TRIGGER)

OBJECTED, CLEARED, WITHHELD, DISCLOSED = "objected", "cleared", "withheld", "disclosed"
# Where a case stands that has no row yet.
NOTICE, NOT_ELIGIBLE = "notice", "not_eligible"
UPHELD, REFUSED = "upheld", "refused"


class Disclosure(Base):
    """Where a closed complaint stands in its disclosure; written only right after act()
    chained the event that says so (odr/cases/disclosure.py)."""

    __tablename__ = "disclosures"
    __table_args__ = (
        # The public pages: the published records, newest first, a keyset walk.
        Index("ix_disclosures_status_published", "status", "disclosed_at", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    # The end of the notice period (the last moment the business may object).
    notice_ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The business's statement of the factual error and the office's decision: never public.
    objection: Mapped[str | None] = mapped_column(Text)
    objected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withheld_reason: Mapped[str | None] = mapped_column(Text)
    withheld_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disclosed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    case: Mapped[Case] = relationship(viewonly=True)


def notice_ends(closed_at: datetime, calendar: WorkingCalendar, notice_days: int) -> datetime:
    """The end of the notice period: the end of the n-th working day after the closing day."""
    return calendar.add_working_days(closed_at, notice_days)


def notice_cutoff(now: datetime, calendar: WorkingCalendar, notice_days: int) -> datetime:
    """The last closing moment whose notice period is over by now: the end (Beijing time) of
    the latest day D with notice_ends(D) <= now (notice_ends grows with the closing day)."""
    day = now.astimezone(SHANGHAI).date()
    while True:
        start = datetime.combine(day, time(12, 0), tzinfo=SHANGHAI)
        if notice_ends(start, calendar, notice_days) <= now:
            return calendar.end_of_day(start)
        day -= timedelta(days=1)


def disclosure_states(workflow: Workflow) -> frozenset[str]:
    """The (terminal) states of a workflow whose cases are published: the sources of its
    system trigger `disclose`."""
    return frozenset(
        source
        for t in workflow.transitions
        if t.trigger == DISCLOSE_TRIGGER and "system" in t.roles
        for source in t.sources
    )


def _every_version(rules: Rules) -> Iterable[Workflow]:
    yield from rules.workflows.values()
    yield from rules.versions.values()


def public_business() -> ColumnElement[bool]:
    """A business that may be named in public: not a group leader without a USCC (a person)."""
    return or_(Enterprise.kind != "group_leader", Enterprise.uscc.is_not(None))


def eligible(rules: Rules) -> ColumnElement[bool]:
    """Closed complaints (never reports) against a registered business that may be named,
    in a state its workflow version publishes (a query condition; join Enterprise on the
    respondent)."""
    by_version = [
        and_(
            Case.workflow == wf.name,
            Case.workflow_version == wf.version,
            Case.state.in_(sorted(states)),
        )
        for wf in _every_version(rules)
        if (states := disclosure_states(wf))
    ]
    return and_(
        Case.closed_at.is_not(None),
        Case.claim_type != REPORT_CLAIM,
        Case.workflow != "report",
        Case.respondent_id.is_not(None),
        or_(*by_version) if by_version else false(),
        public_business(),
    )


def is_eligible(case: Case, rules: Rules) -> bool:
    """The same test as `eligible`, on one case."""
    respondent = case.respondent
    return (
        case.closed_at is not None
        and case.claim_type != REPORT_CLAIM
        and case.workflow != "report"
        and respondent is not None
        and (respondent.kind != "group_leader" or respondent.uscc is not None)
        and case.state in disclosure_states(rules.workflow(case.workflow, case.workflow_version))
    )


@dataclass(frozen=True)
class Standing:
    """Where a case stands in its disclosure, and what may be done about it now."""

    status: str  # NOT_ELIGIBLE, NOTICE (no row, notice running or over), or a row's status
    notice_ends_at: datetime | None
    row: Disclosure | None

    @property
    def in_notice(self) -> bool:
        return self.status == NOTICE

    def may_object(self, now: datetime) -> bool:
        return (
            self.status == NOTICE and self.notice_ends_at is not None and now < self.notice_ends_at
        )

    @property
    def may_decide(self) -> bool:
        return self.status == OBJECTED

    @property
    def may_withhold(self) -> bool:
        return self.status not in (NOT_ELIGIBLE, WITHHELD)


def row_of(session: Session, case: Case) -> Disclosure | None:
    """The case's disclosure row, if it has one."""
    return session.scalar(select(Disclosure).where(Disclosure.case_id == case.id))


def standing(session: Session, case: Case, rules: Rules, notice_days: int) -> Standing:
    """Where the case stands in its disclosure."""
    row = row_of(session, case)
    if row is not None:
        return Standing(row.status, row.notice_ends_at, row)
    if not is_eligible(case, rules):
        return Standing(NOT_ELIGIBLE, None, None)
    assert case.closed_at is not None
    return Standing(NOTICE, notice_ends(case.closed_at, rules.calendar, notice_days), None)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _row(session: Session, case: Case, ends: datetime | None, now: datetime) -> Disclosure:
    row = row_of(session, case)
    if row is None:
        assert ends is not None
        row = Disclosure(case_id=case.id, status="", notice_ends_at=ends, updated_at=now)
        session.add(row)
    row.updated_at = now
    return row


def _record_objection(row: Disclosure, data: Mapping[str, Any], now: datetime) -> None:
    row.status = OBJECTED
    row.objection = _text(data, "objection")
    row.objected_at = now


def _record_decision(row: Disclosure, data: Mapping[str, Any], now: datetime) -> None:
    """Upheld withholds the case (the reason kept); refused publishes it once the notice period
    is over."""
    decision, reason = _text(data, "decision"), _text(data, "reason")
    row.decision, row.decision_reason, row.decided_at = decision, reason, now
    if decision == UPHELD:
        row.status, row.withheld_reason, row.withheld_at = WITHHELD, reason, now
    else:
        row.status = CLEARED


def _record_withholding(row: Disclosure, data: Mapping[str, Any], now: datetime) -> None:
    row.status, row.withheld_reason, row.withheld_at = WITHHELD, _text(data, "reason"), now


@dataclass(frozen=True)
class _Step:
    allowed: Callable[[Standing, datetime], bool]
    refusal: str
    record: Callable[[Disclosure, Mapping[str, Any], datetime], None]


# The triggers a person fires (the sweeper fires `disclose`): when each may fire, and what it
# writes on the case's disclosure row after its event.
_STEPS = {
    OBJECT_TRIGGER: _Step(
        lambda stand, now: stand.may_object(now),
        "the notice period of this disclosure is over or closed",
        _record_objection,
    ),
    DECIDE_TRIGGER: _Step(
        lambda stand, _: stand.may_decide,
        "no objection to this disclosure awaits a decision",
        _record_decision,
    ),
    WITHHOLD_TRIGGER: _Step(
        lambda stand, _: stand.may_withhold,
        "this case is not published and cannot be withheld",
        _record_withholding,
    ),
}


def perform(
    session: Session,
    case: Case,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    trigger: str,
    rules: Rules,
    notice_days: int,
    now: datetime | None = None,
) -> CaseEvent:
    """A disclosure trigger fired by a person, as an event through act(), then the case's
    disclosure row: the business objects to a factual error within the notice period; the
    office decides an objection; the office withholds a case (taken down if it was published),
    with a reason."""
    step = _STEPS.get(trigger)
    if step is None:
        raise InvalidData({"trigger": N_("不可手动公示")})
    now = now or utcnow()
    stand = standing(session, case, rules, notice_days)
    if not step.allowed(stand, now):
        raise TransitionNotAllowed(step.refusal)
    event = act(session, case, trigger, actor, data, rules=rules, now=now)
    step.record(_row(session, case, stand.notice_ends_at, now), data, now)
    session.flush()
    return event


object_to = partial(perform, trigger=OBJECT_TRIGGER)
decide = partial(perform, trigger=DECIDE_TRIGGER)
withhold = partial(perform, trigger=WITHHOLD_TRIGGER)


def _due(rules: Rules, cutoff: datetime, batch: int) -> Any:
    """A batch of eligible cases whose notice period is over, with no row yet or an objection
    refused, claimed (other publishers skip them)."""
    return claim(
        select(Case)
        .join(Enterprise, Enterprise.id == Case.respondent_id)
        .outerjoin(Disclosure, Disclosure.case_id == Case.id)
        .where(
            eligible(rules),
            Case.closed_at <= cutoff,
            or_(Disclosure.id.is_(None), Disclosure.status == CLEARED),
        )
        .order_by(Case.id)
        .limit(batch),
        of=Case,
    )


def publish_due(
    factory: sessionmaker[Session],
    rules: Rules,
    notice_days: int,
    now: datetime | None = None,
    batch: int = 200,
) -> int:
    """Publish every case whose notice period is over (`disclose` through act(), then its row);
    how many. Running it again, or several at once, publishes nothing twice."""
    now = now or utcnow()
    cutoff = notice_cutoff(now, rules.calendar, notice_days)
    published = 0
    while True:
        try:
            with factory() as session, session.begin():
                cases = list(session.scalars(_due(rules, cutoff, batch)))
                for case in cases:
                    act(session, case, DISCLOSE_TRIGGER, SYSTEM, {}, rules=rules, now=now)
                    assert case.closed_at is not None
                    row = _row(
                        session, case, notice_ends(case.closed_at, rules.calendar, notice_days), now
                    )
                    row.status, row.disclosed_at = DISCLOSED, now
                    session.flush()
                published += len(cases)
        except ConcurrentChange:
            return published  # a case changed meanwhile: the next pass takes its batch
        if len(cases) < batch:
            return published


# --- the desks: what a business may object to, what an office has to decide -----------------


@dataclass(frozen=True)
class DeskRow:
    case: Case
    standing: Standing


def in_notice(
    session: Session,
    rules: Rules,
    scope: ColumnElement[bool],
    notice_days: int,
    now: datetime,
    limit: int = 100,
) -> list[DeskRow]:
    """Closed complaints of a scope (the cases a business or an office sees) still in their
    notice period, latest closed first."""
    cutoff = notice_cutoff(now, rules.calendar, notice_days)
    cases = session.scalars(
        select(Case)
        .join(Enterprise, Enterprise.id == Case.respondent_id)
        .outerjoin(Disclosure, Disclosure.case_id == Case.id)
        .where(scope, eligible(rules), Case.closed_at > cutoff, Disclosure.id.is_(None))
        .order_by(Case.closed_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return [DeskRow(c, standing(session, c, rules, notice_days)) for c in cases]


def with_status(
    session: Session,
    rules: Rules,
    scope: ColumnElement[bool],
    statuses: Iterable[str],
    notice_days: int,
    limit: int = 100,
) -> list[DeskRow]:
    """Cases of a scope whose disclosure stands in one of these statuses, latest change first."""
    cases = session.scalars(
        select(Case)
        .join(Disclosure, Disclosure.case_id == Case.id)
        .where(scope, Disclosure.status.in_(list(statuses)))
        .order_by(Disclosure.updated_at.desc(), Disclosure.id.desc())
        .limit(limit)
    )
    return [DeskRow(c, standing(session, c, rules, notice_days)) for c in cases]
