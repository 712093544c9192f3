"""The regulator's queues: which open cases of an office's scope each holds, the filters, capped
counts, and pages by deadline with a keyset cursor (no OFFSET), read along an index."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from odr.cases.campaigns import tagged
from odr.cases.models import CHANNELS, Case
from odr.cases.paging import Cursor, load_page, page_ids
from odr.enterprises.models import Enterprise
from odr.text import N_, Label

PAGE_SIZE = 50
COUNT_CAP = 1000
TRIAGE_STATES = ("triage", "triage_overdue", "triage_escalated")
ACCEPTANCE_STATES = ("acceptance", "acceptance_overdue", "acceptance_escalated")
MEDIATION_STATES = ("mediation", "testing", "recusal_pending", "mediation_ending")
REPORT_STATES = ("review", "review_extended", "review_overdue", "reporter_notice")
# States whose name says their deadline already passed (their own clock, if any, is the ladder).
OVERDUE_STATES = (
    "triage_overdue",
    "triage_escalated",
    "acceptance_overdue",
    "acceptance_escalated",
    "review_overdue",
)
OPEN_STATES = (*TRIAGE_STATES, *ACCEPTANCE_STATES, *MEDIATION_STATES, *REPORT_STATES)


@dataclass(frozen=True)
class Queue:
    name: str
    label: Label


QUEUES = (
    Queue("escalated", N_("企业协商未果升级")),
    Queue("acceptance", N_("待受理（直接投诉）")),
    Queue("triage", N_("待分派")),
    Queue("mediation", N_("调解中")),
    Queue("overdue", N_("已超期")),
    Queue("reports", N_("举报线索")),
    Queue("all", N_("全部在办")),
)
QUEUE_NAMES = tuple(q.name for q in QUEUES)


# A part of a queue: cases in one of these states that meet the extra condition.
Part = tuple[tuple[str, ...], ColumnElement[bool] | None]


def queue_parts(name: str, now: datetime) -> list[Part]:
    """A queue as parts, each read along ix_cases_office_deadline in deadline order (overdue:
    the deadline passed, or a state that says so)."""
    if name == "escalated":
        return [(ACCEPTANCE_STATES, Case.escalation_reason.is_not(None))]
    if name == "acceptance":
        return [(ACCEPTANCE_STATES, Case.escalation_reason.is_(None))]
    if name == "triage":
        return [(TRIAGE_STATES, None)]
    if name == "mediation":
        return [(MEDIATION_STATES, None)]
    if name == "reports":
        return [(REPORT_STATES, None)]
    if name == "overdue":
        dated = tuple(s for s in OPEN_STATES if s not in OVERDUE_STATES)
        return [(dated, Case.due_at < now), (OVERDUE_STATES, None)]
    if name == "all":
        return [(OPEN_STATES, None)]
    raise ValueError(f"no queue '{name}'")


def _part_condition(
    states: tuple[str, ...], extra: ColumnElement[bool] | None
) -> ColumnElement[bool]:
    in_state = Case.state == states[0] if len(states) == 1 else Case.state.in_(states)
    return in_state & extra if extra is not None else in_state


def queue_condition(name: str, now: datetime) -> ColumnElement[bool]:
    """Which open cases a queue holds, as one condition."""
    return or_(*(_part_condition(states, extra) for states, extra in queue_parts(name, now)))


@dataclass(frozen=True)
class QueueFilter:
    """What the regulator narrowed the queue to; empty fields filter nothing."""

    category: str = ""  # the claim type (诉求类别), or "report"
    enterprise: str = ""  # the respondent: a registered business's name (or its start)
    platform: int | None = None  # the respondent's platform (the platform or its merchants)
    channel: str = ""  # web / api / 12315
    campaign: str = ""
    mine: bool = False  # only the cases this user handles

    def conditions(self, session: Session, user_id: int | None) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.category:
            found.append(Case.claim_type == self.category)
        if self.enterprise:
            ids = select(Enterprise.id).where(
                Enterprise.name.startswith(self.enterprise, autoescape=True)
            )
            # A business that is not registered is known by the name the consumer wrote.
            found.append(Case.respondent_id.in_(ids) | (Case.respondent_name == self.enterprise))
        if self.platform is not None:
            merchants = select(Enterprise.id).where(Enterprise.platform_id == self.platform)
            found.append(
                or_(Case.respondent_id == self.platform, Case.respondent_id.in_(merchants))
            )
        if self.channel:
            found.append(Case.channel == self.channel)
        if self.campaign:
            found.append(tagged(self.campaign))
        if self.mine:
            found.append(Case.handler_id == user_id if user_id is not None else false())
        return found

    def as_query(self) -> dict[str, str]:
        """The filter as URL parameters (what the form sends back), empty ones left out."""
        params = {
            "category": self.category,
            "enterprise": self.enterprise,
            "platform": str(self.platform) if self.platform is not None else "",
            "channel": self.channel,
            "campaign": self.campaign,
            "mine": "1" if self.mine else "",
        }
        return {k: v for k, v in params.items() if v}


def parse_filter(
    raw: Mapping[str, str | None],
    *,
    categories: Collection[str],
    campaigns: Collection[str],
) -> QueueFilter:
    """The filter from the form's query parameters; an unknown choice filters nothing."""

    def text(name: str) -> str:
        return (raw.get(name) or "").strip()[:200]

    platform = text("platform")
    return QueueFilter(
        category=text("category") if text("category") in categories else "",
        enterprise=text("enterprise"),
        platform=int(platform) if platform.isdigit() else None,
        channel=text("channel") if text("channel") in CHANNELS else "",
        campaign=text("campaign") if text("campaign") in campaigns else "",
        mine=text("mine") in ("1", "on", "true"),
    )


@dataclass(frozen=True)
class QueuePage:
    cases: list[Case]
    next_cursor: Cursor | None  # None on the last page
    # Cases in each queue under the same filter, counted up to COUNT_CAP (shown as "1000+").
    counts: dict[str, int]


def _walks(
    office_ids: Collection[int], parts: list[Part], conditions: list[ColumnElement[bool]]
) -> list[list[ColumnElement[bool]]]:
    """A walk per office and part along ix_cases_office_deadline (office, due_at, id, state,
    reason), the state and reason checked in the index."""
    return [
        [Case.office_id == office_id, _part_condition(states, extra), *conditions]
        for office_id in sorted(office_ids)
        for states, extra in parts
    ]


def _capped_count(session: Session, conditions: list[ColumnElement[bool]], cap: int) -> int:
    """How many cases match, counting no further than `cap`."""
    first = select(Case.id).where(*conditions).limit(cap).subquery()
    return int(session.scalar(select(func.count()).select_from(first)) or 0)


def queue_page(
    session: Session,
    office_ids: Collection[int],
    queue: str,
    queue_filter: QueueFilter,
    now: datetime,
    *,
    user_id: int | None = None,
    cursor: Cursor | None = None,
    page_size: int | None = None,
) -> QueuePage:
    """One page of a queue of the offices' cases, by deadline, and the count of every queue
    under the same filter (capped)."""
    page_size = page_size or PAGE_SIZE
    conditions = queue_filter.conditions(session, user_id)
    scope = [Case.office_id.in_(list(office_ids)), *conditions]
    # A part at a time (they do not overlap): each is one index range, an OR of them is not.
    counts = {
        q.name: min(
            COUNT_CAP,
            sum(
                _capped_count(session, [*scope, _part_condition(states, extra)], COUNT_CAP)
                for states, extra in queue_parts(q.name, now)
            ),
        )
        for q in QUEUES
    }
    parts = queue_parts(queue, now)
    ids = page_ids(session, _walks(office_ids, parts, conditions), cursor, page_size + 1)
    rows = load_page(session, ids)
    last = rows[page_size - 1] if len(rows) > page_size else None
    return QueuePage(
        cases=rows[:page_size],
        next_cursor=Cursor.of(last) if last is not None else None,
        counts=counts,
    )
