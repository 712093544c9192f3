"""The regulator dashboard's figures for an office and the offices below it: cases by state and
office, weekly trends by ISO week (Beijing time), top respondents, and the scorecard rates of
the enterprises concerned. Each figure is one grouped query; nothing loops over cases."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, sessionmaker

from odr.cases.models import RECOVERY_OUTCOMES, REPORT_CLAIM, Case, DashboardSnapshot
from odr.clock import SHANGHAI
from odr.db.dialects import runs_long
from odr.db.engine import reading, transaction
from odr.engine.calendar import WorkingCalendar
from odr.enterprises.models import Enterprise
from odr.enterprises.scorecard import Scorecard, scorecards
from odr.offices.models import Office
from odr.offices.service import supervised_ids

TOP_RESPONDENTS = 10


@dataclass(frozen=True)
class Week:
    """One ISO week, Monday to Sunday in Beijing, as [since, until) in UTC."""

    monday: date
    since: datetime
    until: datetime

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class WeekFigures:
    week: Week
    received: int
    closed: int


@dataclass(frozen=True)
class OfficeFigures:
    office: Office
    by_state: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass(frozen=True)
class RespondentFigures:
    respondent_id: int | None
    name: str
    cases: int
    escalated: int  # of them, sent on to the regulator by the enterprise stage


@dataclass(frozen=True)
class EnterpriseFigures:
    enterprise: Enterprise
    card: Scorecard


def weeks_until(now: datetime, count: int) -> list[Week]:
    """The last `count` ISO weeks up to and including the current one (Beijing time)."""
    today = now.astimezone(SHANGHAI).date()
    this_monday = today - timedelta(days=today.weekday())
    weeks = []
    for back in range(count - 1, -1, -1):
        monday = this_monday - timedelta(days=7 * back)
        start = datetime(monday.year, monday.month, monday.day, tzinfo=SHANGHAI)
        until = start + timedelta(days=7)
        weeks.append(Week(monday, start.astimezone(UTC), until.astimezone(UTC)))
    return weeks


def by_office_and_state(session: Session, office_ids: Collection[int]) -> list[OfficeFigures]:
    """Every case of the offices (open and closed, reports included), by office and state;
    offices without cases are listed too, by region code."""
    counts: dict[int | None, dict[str, int]] = {}
    for office_id, state, count in session.execute(
        select(Case.office_id, Case.state, func.count())
        .where(Case.office_id.in_(list(office_ids)))
        .group_by(Case.office_id, Case.state)
    ):
        counts.setdefault(office_id, {})[state] = count
    offices = session.scalars(
        select(Office).where(Office.id.in_(list(office_ids))).order_by(Office.region_code)
    )
    return [OfficeFigures(o, dict(sorted(counts.get(o.id, {}).items()))) for o in offices]


def by_state(figures: list[OfficeFigures]) -> dict[str, int]:
    """The offices' counts added up by state, largest first."""
    total: dict[str, int] = {}
    for row in figures:
        for state, count in row.by_state.items():
            total[state] = total.get(state, 0) + count
    return dict(sorted(total.items(), key=lambda item: (-item[1], item[0])))


def _per_week(
    session: Session,
    office_ids: Collection[int],
    column: InstrumentedAttribute[datetime | None],
    weeks: list[Week],
) -> list[int]:
    """Cases of the offices whose `column` moment falls in each week (one range scan)."""
    bucket = case(
        *((column < w.until, i) for i, w in enumerate(weeks)),
        else_=None,
    )
    found: dict[int | None, int] = dict(
        session.execute(
            select(bucket, func.count())
            .where(
                Case.office_id.in_(list(office_ids)),
                column >= weeks[0].since,
                column < weeks[-1].until,
            )
            .group_by(bucket)
        ).all()
    )
    return [found.get(i, 0) for i in range(len(weeks))]


def weekly(session: Session, office_ids: Collection[int], weeks: list[Week]) -> list[WeekFigures]:
    """Cases received and cases closed in each week, reports included."""
    received = _per_week(session, office_ids, Case.received_at, weeks)
    closed = _per_week(session, office_ids, Case.closed_at, weeks)
    return [WeekFigures(w, r, c) for w, r, c in zip(weeks, received, closed, strict=True)]


def top_respondents(
    session: Session,
    office_ids: Collection[int],
    since: datetime,
    until: datetime,
    limit: int = TOP_RESPONDENTS,
) -> list[RespondentFigures]:
    """The businesses most complained about in [since, until) (reports not counted)."""
    cases = func.count()
    escalated = func.count(Case.escalation_reason)
    rows = session.execute(
        select(Case.respondent_id, Case.respondent_name, cases, escalated)
        .where(
            Case.office_id.in_(list(office_ids)),
            Case.received_at >= since,
            Case.received_at < until,
            Case.claim_type != REPORT_CLAIM,
        )
        .group_by(Case.respondent_id, Case.respondent_name)
        .order_by(cases.desc(), Case.respondent_name)
        .limit(limit)
    ).all()
    return [RespondentFigures(rid, name, count, up) for rid, name, count, up in rows]


def enterprise_rates(
    session: Session,
    office_ids: Collection[int],
    since: datetime,
    until: datetime,
    calendar: WorkingCalendar,
    *,
    response_times: bool = True,
) -> list[EnterpriseFigures]:
    """The scorecards (on-time and settlement rates, odr.enterprises.scorecard) over [since,
    until) of the ODR enterprises that negotiated cases of these offices in that period, most
    complaints first. A card counts all of the enterprise's complaints: one definition."""
    ids = [
        enterprise_id
        for enterprise_id in session.scalars(
            select(Case.enterprise_id)
            .where(
                Case.office_id.in_(list(office_ids)),
                Case.received_at >= since,
                Case.received_at < until,
                Case.enterprise_id.is_not(None),
            )
            .distinct()
        )
        if enterprise_id is not None  # the query leaves none; its column type allows them
    ]
    if not ids:
        return []
    cards = scorecards(
        session, ids, since, until, calendar, trend=False, response_times=response_times
    )
    enterprises = {
        e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))
    }
    return sorted(
        (EnterpriseFigures(enterprises[i], cards[i]) for i in ids),
        key=lambda f: (-f.card.received, f.enterprise.name),
    )


def recovered(session: Session, office_ids: Collection[int], weeks: list[Week]) -> dict[str, Any]:
    """The economic loss recovered (挽回经济损失, yuan as text) on cases of the offices closed as
    settled, mediated or returned in the weeks: in total, by office, platform, category and
    week (two grouped queries)."""
    bucket = case(*((Case.closed_at < w.until, i) for i, w in enumerate(weeks)), else_=None)
    closed = (
        Case.office_id.in_(list(office_ids)),
        Case.claim_type != REPORT_CLAIM,
        Case.outcome.in_(RECOVERY_OUTCOMES),
        Case.recovered_amount.is_not(None),
        Case.closed_at >= weeks[0].since,
        Case.closed_at < weeks[-1].until,
    )
    total = Decimal("0.00")
    by_office: dict[int | None, Decimal] = {}
    by_category: dict[str | None, Decimal] = {}
    by_week = [Decimal("0.00") for _ in weeks]
    for office_id, category, week, amount in session.execute(
        select(Case.office_id, Case.goods_category, bucket, func.sum(Case.recovered_amount))
        .where(*closed)
        .group_by(Case.office_id, Case.goods_category, bucket)
    ):
        yuan = Decimal(str(amount)).quantize(Decimal("0.01"))
        total += yuan
        by_office[office_id] = by_office.get(office_id, Decimal("0.00")) + yuan
        by_category[category] = by_category.get(category, Decimal("0.00")) + yuan
        if week is not None:
            by_week[week] += yuan
    respondent = aliased(Enterprise)
    platform = case((respondent.kind == "platform", respondent.id), else_=respondent.platform_id)
    platform_rows = session.execute(
        select(platform, func.sum(Case.recovered_amount))
        .select_from(Case)
        .join(respondent, respondent.id == Case.respondent_id)
        .where(*closed, platform.is_not(None))
        .group_by(platform)
    ).all()
    names = dict(
        session.execute(
            select(Enterprise.id, Enterprise.name).where(
                Enterprise.id.in_([p for p, _ in platform_rows])
            )
        ).all()
    )
    offices = dict(
        session.execute(
            select(Office.id, Office.name).where(Office.id.in_([o for o in by_office if o]))
        ).all()
    )

    def most_first(amounts: dict[Any, Decimal], name: Any) -> list[dict[str, str]]:
        ordered = sorted(amounts.items(), key=lambda item: (-item[1], str(item[0])))
        return [{"name": name(key), "code": key or "", "amount": str(v)} for key, v in ordered]

    return {
        "total": str(total),
        "by_office": most_first(by_office, lambda o: offices.get(o, "")),
        "by_platform": most_first(
            {p: Decimal(str(a)).quantize(Decimal("0.01")) for p, a in platform_rows},
            lambda p: names.get(p, ""),
        ),
        "by_category": most_first(by_category, lambda c: c or ""),
        "weekly": [
            {"week": {"label": w.label, "monday": w.monday.isoformat()}, "amount": str(a)}
            for w, a in zip(weeks, by_week, strict=True)
        ],
    }


# --- The dashboard as one rollup ---------------------------------------------------------------
# Computing every figure for a city office over a million cases takes seconds (ten million: most
# of a minute), so the figures of an office and window are stored (dashboard_snapshots): the page
# reads them whatever their age, the worker computes again those older than the rollup interval
# (refresh_stale_snapshots), and a page computes them only when none are stored or the reader
# asks.


def figures(
    session: Session,
    office_ids: Collection[int],
    weeks: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    """Every dashboard figure of the offices over the last `weeks` ISO weeks, as plain data."""
    window = weeks_until(now, weeks)
    since, until = window[0].since, window[-1].until
    offices = by_office_and_state(session, office_ids)
    return {
        "weeks": [{"label": w.label, "monday": w.monday.isoformat()} for w in window],
        "offices": [
            {
                "office": {"region_code": o.office.region_code, "name": o.office.name},
                "by_state": dict(o.by_state),
                "total": o.total,
            }
            for o in offices
        ],
        "states": by_state(offices),
        "weekly": [
            {
                "week": {"label": w.week.label, "monday": w.week.monday.isoformat()},
                "received": w.received,
                "closed": w.closed,
            }
            for w in weekly(session, office_ids, window)
        ],
        "respondents": [
            {"name": r.name, "cases": r.cases, "escalated": r.escalated}
            for r in top_respondents(session, office_ids, since, until)
        ],
        "enterprises": [
            {
                "enterprise": {"name": e.enterprise.name, "uscc": e.enterprise.uscc or ""},
                "card": {
                    "received": e.card.received,
                    "finished": e.card.finished,
                    "on_time_rate": e.card.on_time_rate,
                    "settlement_rate": e.card.settlement_rate,
                    "recovered": str(e.card.recovered),
                },
            }
            for e in enterprise_rates(session, office_ids, since, until, calendar)
        ],
        "recovered": recovered(session, office_ids, window),
    }


def stored_snapshot(session: Session, office_id: int, weeks: int) -> DashboardSnapshot | None:
    """The office's stored figures over the window, whatever their age (read only)."""
    return session.scalar(
        select(DashboardSnapshot).where(
            DashboardSnapshot.office_id == office_id, DashboardSnapshot.weeks == weeks
        )
    )


def dashboard_snapshot(
    session: Session,
    office_id: int,
    office_ids: Collection[int],
    weeks: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> DashboardSnapshot:
    """The office's figures computed now and stored (replacing what was)."""
    found = stored_snapshot(session, office_id, weeks)
    fresh = figures(session, office_ids, weeks, now, calendar)
    try:
        with session.begin_nested():
            if found is None:
                found = DashboardSnapshot(office_id=office_id, weeks=weeks)
                session.add(found)
            found.computed_at, found.figures = now, fresh
    except IntegrityError:  # another process stored the same office's figures just now
        found = DashboardSnapshot(office_id=office_id, weeks=weeks, computed_at=now, figures=fresh)
    return found


def refresh_stale_snapshots(
    factory: sessionmaker[Session], now: datetime, calendar: WorkingCalendar, max_age: timedelta
) -> int:
    """Compute again every stored dashboard older than `max_age`, one office and window at a
    time: computed in a transaction that only reads (on SQLite no writer waits for it), stored
    in a short one if still stale (of several workers that computed it at once, the first
    stores it); answer how many were stored."""
    cutoff = now - max_age
    with reading(factory) as session:
        stale = session.execute(
            select(
                DashboardSnapshot.id, DashboardSnapshot.office_id, DashboardSnapshot.weeks
            ).where(DashboardSnapshot.computed_at < cutoff)
        ).all()
    refreshed = 0
    for snapshot_id, office_id, weeks in stale:
        with reading(factory) as session:
            runs_long(session)
            fresh = figures(session, supervised_ids(session, office_id), weeks, now, calendar)
        with transaction(factory) as session:
            stored = session.execute(
                update(DashboardSnapshot)
                .where(DashboardSnapshot.id == snapshot_id, DashboardSnapshot.computed_at < cutoff)
                .values(computed_at=now, figures=fresh)
            )
            refreshed += cast(CursorResult[Any], stored).rowcount
    return refreshed
