"""The ODR enterprise scorecard: one definition of the indicators regulators publish.

Every figure is computed by SQL group-by queries (no loop over cases in Python), so a scorecard
over a million cases costs a few aggregate scans. The cohort is the set of complaints routed to
the enterprise for negotiation whose ``received_at`` falls in ``[since, until)``:

- ``Case.enterprise_id`` is the ODR enterprise that negotiates (the respondent, or its platform:
  a platform's scorecard includes the complaints against its merchants and group leaders).
  ``submit()`` sets it only when the case is routed to that enterprise, so every cohort case had
  an enterprise stage. Reports (举报, ``claim_type == "report"``) are never counted.
- **received** (受理件数): cases in the cohort.
- **escalated** (升级): the enterprise stage ended by sending the case to the regulator; every
  such transition writes ``Case.escalation_reason`` (``enterprise_overdue``,
  ``enterprise_declined``, ``offer_rejected``, ``refund_disputed``, ...), which nothing else sets.
- **closed** (办结, at the enterprise stage): ``closed_at`` is set and ``escalation_reason`` is
  not: the case ended while the enterprise handled it (settled, returned, the consumer withdrew,
  an offer lapsed, the consumer did not answer).
- **open**: neither closed nor escalated: still with the enterprise.
- **finished** = closed + escalated: the enterprise stage is over.
- **settled** (和解): closed at the enterprise stage with outcome ``settled`` (offer accepted) or
  ``returned`` (seven-day return refunded).
- **on-time rate** (按时办结率) = on_time / finished, where on_time counts the finished cases
  that were *not* escalated for ``enterprise_overdue``. A case is escalated that way exactly when
  the sweeper fired an enterprise deadline (``expire`` from a state whose party is the enterprise:
  negotiation, return address, receipt, refund); so a case is on time when the enterprise closed
  it, answered it (offer, decline, return steps) or the consumer ended it before every enterprise
  deadline ran out. Open cases are not counted until their stage ends.
- **settlement rate** (和解成功率) = settled / finished. Escalations stay in the denominator:
  an enterprise that declines everything must not score 100 % on its few settlements.
- **average working days to first response**: from the ``route`` event to the enterprise's first
  event (``actor_role == "enterprise"``, internal notes excluded: the consumer sees nothing of
  them), counted as statutory working days between the two Beijing dates (the starting day does
  not count, as for deadlines: an answer the same day is 0, the next working day 1). Cases with no
  enterprise event yet are left out; ``responded`` says how many were counted.
- **recovered** (挽回经济损失, yuan): the sum of ``recovered_amount`` over cohort cases closed as
  settled, mediated (after escalation too) or returned (``RECOVERY_OUTCOMES``).
- **ratings**: the follow-up rating (回访, odr.cases.followup) of cohort cases, 1 to 5 stars.
- **weekly trend**: cohort cases per ISO week of their Beijing receipt date, weeks without cases
  included as 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, case, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from odr.cases.models import RECOVERY_OUTCOMES, REPORT_CLAIM, Case, CaseEvent
from odr.clock import SHANGHAI
from odr.engine.calendar import WorkingCalendar

__all__ = ["WINDOWS", "Scorecard", "WeekCount", "scorecard", "scorecards", "window_weeks"]

OVERDUE = "enterprise_overdue"
CENT = Decimal("0.01")
SETTLED_OUTCOMES = ("settled", "returned")
# Enterprise events the consumer never sees: not a response.
INTERNAL_TRIGGERS = ("add_note",)
ROUTE_TRIGGER = "route"
# The windows a reader may choose, in whole ISO weeks up to today (default_window).
WINDOWS = (4, 12, 26, 52)
DEFAULT_WEEKS = 12


def window_weeks(weeks: int | None) -> int:
    """The chosen window, or 12 weeks when none (or an unknown one) is asked for."""
    return weeks if weeks in WINDOWS else DEFAULT_WEEKS


@dataclass(frozen=True)
class WeekCount:
    """Cases received in one ISO week (``monday`` is its first day, Beijing time)."""

    monday: date
    count: int

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass
class Scorecard:
    """An enterprise's indicators over a window (definitions: this module's docstring)."""

    enterprise_id: int
    since: datetime
    until: datetime
    received: int = 0
    closed: int = 0
    settled: int = 0
    escalated: int = 0
    escalated_by_reason: dict[str, int] = field(default_factory=dict)
    on_time: int = 0
    responded: int = 0
    response_working_days: int = 0  # the sum over the responded cases
    rated: int = 0
    rating_sum: int = 0
    rating_counts: dict[int, int] = field(default_factory=dict)  # stars -> cases
    weekly: list[WeekCount] = field(default_factory=list)
    recovered: Decimal = Decimal("0.00")  # 挽回经济损失, yuan
    # When a stored card's figures were computed (odr.enterprises.stored_scorecards); None:
    # computed for this page.
    computed_at: datetime | None = None

    @property
    def first_day(self) -> date:
        """The window's first Beijing date."""
        return self.since.astimezone(SHANGHAI).date()

    @property
    def last_day(self) -> date:
        """The window's last Beijing date (``until`` itself is excluded)."""
        return (self.until - timedelta(microseconds=1)).astimezone(SHANGHAI).date()

    @property
    def finished(self) -> int:
        """Cases whose enterprise stage is over: closed there or escalated."""
        return self.closed + self.escalated

    @property
    def open(self) -> int:
        return self.received - self.finished

    @property
    def overdue(self) -> int:
        return self.escalated_by_reason.get(OVERDUE, 0)

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率: on time / finished (None before any case finished)."""
        return self.on_time / self.finished if self.finished else None

    @property
    def settlement_rate(self) -> float | None:
        """和解成功率: settled / finished (None before any case finished)."""
        return self.settled / self.finished if self.finished else None

    @property
    def average_response_days(self) -> float | None:
        """Average working days from routing to the first response (None: no response yet)."""
        return self.response_working_days / self.responded if self.responded else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    def as_dict(self) -> dict[str, object]:
        """The figures as plain values (for JSON and evidence records); no personal data."""
        return {
            "enterprise_id": self.enterprise_id,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "received": self.received,
            "closed": self.closed,
            "settled": self.settled,
            "escalated": self.escalated,
            "escalated_by_reason": dict(self.escalated_by_reason),
            "open": self.open,
            "on_time": self.on_time,
            "on_time_rate": self.on_time_rate,
            "settlement_rate": self.settlement_rate,
            "responded": self.responded,
            "average_response_days": self.average_response_days,
            "rated": self.rated,
            "average_rating": self.average_rating,
            "rating_counts": {str(k): v for k, v in sorted(self.rating_counts.items())},
            "recovered": str(self.recovered),
        }

    def stored(self) -> dict[str, Any]:
        """Every field as JSON values, for a stored card (read back by `from_stored`)."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "received": self.received,
            "closed": self.closed,
            "settled": self.settled,
            "escalated": self.escalated,
            "escalated_by_reason": self.escalated_by_reason,
            "on_time": self.on_time,
            "responded": self.responded,
            "response_working_days": self.response_working_days,
            "rated": self.rated,
            "rating_sum": self.rating_sum,
            "rating_counts": {str(k): v for k, v in self.rating_counts.items()},
            "weekly": [[w.monday.isoformat(), w.count] for w in self.weekly],
            "recovered": str(self.recovered),
        }

    @classmethod
    def from_stored(
        cls, enterprise_id: int, figures: dict[str, Any], computed_at: datetime
    ) -> Scorecard:
        return cls(
            enterprise_id,
            datetime.fromisoformat(figures["since"]),
            datetime.fromisoformat(figures["until"]),
            received=figures["received"],
            closed=figures["closed"],
            settled=figures["settled"],
            escalated=figures["escalated"],
            escalated_by_reason=dict(figures["escalated_by_reason"]),
            on_time=figures["on_time"],
            responded=figures["responded"],
            response_working_days=figures["response_working_days"],
            rated=figures["rated"],
            rating_sum=figures["rating_sum"],
            rating_counts={int(k): v for k, v in figures["rating_counts"].items()},
            weekly=[WeekCount(date.fromisoformat(d), n) for d, n in figures["weekly"]],
            recovered=Decimal(figures["recovered"]),
            computed_at=computed_at,
        )


class _BeijingDate(FunctionElement):
    """The Asia/Shanghai calendar date of a UTC timestamp column (China has no DST)."""

    type = Date()
    inherit_cache = True


@compiles(_BeijingDate)
def _beijing_date_default(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(_BeijingDate, "postgresql")
def _beijing_date_postgresql(
    element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any
) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai' AS DATE)"


class _BeijingWeek(FunctionElement):
    """The Monday (Beijing date) of the ISO week of a UTC timestamp column."""

    type = Date()
    inherit_cache = True


@compiles(_BeijingWeek)
def _beijing_week_default(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    # 'weekday 1' moves forward to the next Monday unless already one: from 6 days back it
    # lands on the Monday of the same week.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours', '-6 days', 'weekday 1')"


@compiles(_BeijingWeek, "postgresql")
def _beijing_week_postgresql(
    element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any
) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('week', ({column}) AT TIME ZONE 'Asia/Shanghai') AS DATE)"


def _as_date(value: date | str) -> date:
    # SQLite's date() answers text, PostgreSQL a date.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _cohort(
    enterprise_ids: Collection[int] | None, since: datetime, until: datetime
) -> list[ColumnElement[bool]]:
    conditions = [
        Case.enterprise_id.is_not(None),
        Case.received_at >= since,
        Case.received_at < until,
        Case.claim_type != REPORT_CLAIM,
    ]
    if enterprise_ids is not None:
        conditions.append(Case.enterprise_id.in_(list(enterprise_ids)))
    return conditions


def _week_mondays(since: datetime, until: datetime) -> list[date]:
    """Every ISO week's Monday from the week of `since` to the week of the last moment."""
    first = since.astimezone(SHANGHAI).date()
    last = (until - timedelta(microseconds=1)).astimezone(SHANGHAI).date()
    monday = first - timedelta(days=first.weekday())
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


def _count_outcomes(
    session: Session,
    cohort: list[ColumnElement[bool]],
    cards: dict[int, Scorecard],
    make: Callable[[int], Scorecard],
) -> None:
    closed = Case.closed_at.is_not(None)
    statement = (
        select(
            Case.enterprise_id,
            Case.escalation_reason,
            Case.outcome,
            closed.label("closed"),
            Case.rating,
            func.count().label("cases"),
            func.sum(Case.recovered_amount).label("recovered"),
        )
        .where(*cohort)
        .group_by(Case.enterprise_id, Case.escalation_reason, Case.outcome, closed, Case.rating)
    )
    rows = session.execute(statement)
    for enterprise_id, reason, outcome, is_closed, rating, count, recovered in rows:
        if enterprise_id is None:  # the cohort has none; the column is nullable
            continue
        card = cards.get(enterprise_id) or make(enterprise_id)
        card.received += count
        if is_closed and outcome in RECOVERY_OUTCOMES and recovered is not None:
            card.recovered += Decimal(recovered).quantize(CENT)
        if reason is not None:
            card.escalated += count
            card.escalated_by_reason[reason] = card.escalated_by_reason.get(reason, 0) + count
            if reason != OVERDUE:
                card.on_time += count
        elif is_closed:
            card.closed += count
            card.on_time += count
            if outcome in SETTLED_OUTCOMES:
                card.settled += count
        if rating is not None:
            card.rated += count
            card.rating_sum += rating * count
            card.rating_counts[rating] = card.rating_counts.get(rating, 0) + count


def _count_responses(
    session: Session, cohort: list, cards: dict[int, Scorecard], calendar: WorkingCalendar
) -> None:
    # Working days between two dates are W(response day) - W(routing day), W counting working
    # days from a fixed day on; summed over cases that is sum W(response) - sum W(routing). So
    # the cases are counted per (enterprise, day) on each side: a few rows per enterprise and
    # day, whatever the number of cases and however their gaps spread.
    is_route = CaseEvent.trigger == ROUTE_TRIGGER
    is_response = (CaseEvent.actor_role == "enterprise") & CaseEvent.trigger.not_in(
        INTERNAL_TRIGGERS
    )
    per_case = (
        select(
            Case.enterprise_id.label("enterprise_id"),
            func.min(case((is_route, CaseEvent.occurred_at))).label("routed_at"),
            func.min(case((is_response, CaseEvent.occurred_at))).label("responded_at"),
        )
        .join(CaseEvent, (CaseEvent.case_id == Case.id) & (is_route | is_response))
        .where(*cohort)
        .group_by(Case.id, Case.enterprise_id)
        .cte("per_case")
    )
    answered = (per_case.c.responded_at.is_not(None), per_case.c.routed_at.is_not(None))
    sides = []
    for side, moment in ((-1, per_case.c.routed_at), (1, per_case.c.responded_at)):
        beijing_day = _BeijingDate(moment)
        sides.append(
            select(per_case.c.enterprise_id, literal(side), beijing_day, func.count())
            .where(*answered)
            .group_by(per_case.c.enterprise_id, beijing_day)
        )
    anchor: datetime | None = None
    counted: dict[date, int] = {}
    for enterprise_id, side, day, count in session.execute(union_all(*sides)):
        card = cards.get(enterprise_id)
        if card is None:
            continue
        day = _as_date(day)
        if anchor is None:
            anchor = datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)
        if day not in counted:
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)
            counted[day] = calendar.working_days_between(anchor, noon)
        card.response_working_days += side * counted[day] * count
        if side == 1:
            card.responded += count


def _count_weeks(
    session: Session, cohort: list, cards: dict[int, Scorecard], since: datetime, until: datetime
) -> None:
    week = _BeijingWeek(Case.received_at)
    statement = (
        select(Case.enterprise_id, week, func.count())
        .where(*cohort)
        .group_by(Case.enterprise_id, week)
    )
    counts: dict[int, dict[date, int]] = defaultdict(dict)
    for enterprise_id, monday, count in session.execute(statement):
        counts[enterprise_id][_as_date(monday)] = count
    mondays = _week_mondays(since, until)
    for enterprise_id, card in cards.items():
        weeks = counts.get(enterprise_id, {})
        card.weekly = [WeekCount(monday, weeks.get(monday, 0)) for monday in mondays]


def scorecards(
    session: Session,
    enterprise_ids: Collection[int] | None,
    since: datetime,
    until: datetime,
    calendar: WorkingCalendar,
    *,
    trend: bool = True,
    response_times: bool = True,
) -> dict[int, Scorecard]:
    """Scorecards of the given enterprises (None: every enterprise with cases) over
    [since, until); an asked-for enterprise without cases gets an empty card. Without
    `trend` the weekly counts stay empty; without `response_times` the response figures do
    (their query joins the case events and is the costly one: a dashboard of rates skips it)."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    cards: dict[int, Scorecard] = {}

    def make(enterprise_id: int) -> Scorecard:
        cards[enterprise_id] = Scorecard(enterprise_id, since, until)
        return cards[enterprise_id]

    for enterprise_id in enterprise_ids or ():
        make(enterprise_id)
    if enterprise_ids is not None and not cards:
        return cards
    cohort = _cohort(enterprise_ids, since, until)
    _count_outcomes(session, cohort, cards, make)
    if response_times:
        _count_responses(session, cohort, cards, calendar)
    if trend:
        _count_weeks(session, cohort, cards, since, until)
    return cards


def scorecard(
    session: Session,
    enterprise_id: int,
    since: datetime,
    until: datetime,
    calendar: WorkingCalendar,
    *,
    trend: bool = True,
) -> Scorecard:
    """One enterprise's scorecard over [since, until)."""
    return scorecards(session, [enterprise_id], since, until, calendar, trend=trend)[enterprise_id]


def default_window(now: datetime, weeks: int = 12) -> tuple[datetime, datetime]:
    """The last `weeks` whole ISO weeks up to now (Beijing time), as [since, until) in UTC."""
    today = now.astimezone(SHANGHAI).date()
    monday = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    since = datetime(monday.year, monday.month, monday.day, tzinfo=SHANGHAI)
    tomorrow = today + timedelta(days=1)
    until = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=SHANGHAI)
    return since.astimezone(UTC), until.astimezone(UTC)


def totals(cards: Iterable[Scorecard], since: datetime, until: datetime) -> Scorecard:
    """The sum of several scorecards (a region's figures), enterprise_id 0."""
    total = Scorecard(0, since, until)
    for card in cards:
        total.received += card.received
        total.closed += card.closed
        total.settled += card.settled
        total.escalated += card.escalated
        total.on_time += card.on_time
        total.responded += card.responded
        total.response_working_days += card.response_working_days
        total.rated += card.rated
        total.rating_sum += card.rating_sum
        total.recovered += card.recovered
        for reason, count in card.escalated_by_reason.items():
            total.escalated_by_reason[reason] = total.escalated_by_reason.get(reason, 0) + count
        for stars, count in card.rating_counts.items():
            total.rating_counts[stars] = total.rating_counts.get(stars, 0) + count
    return total
