"""The monthly (or quarterly) complaint report of an office and the offices below it: the figures
regulators and consumer associations publish, as plain data (codes, counts, yuan); the faces
label and lay it out (/regulator/reports, `odr report`, the .xlsx workbook).

Definitions (reports 举报 are never counted; a case counts for the office that handles it now;
periods are Beijing calendar months or quarters, [first day, first day of the next)):

- **received** (收到投诉): complaints whose ``received_at`` falls in the period.
- **accepted** (受理): the regulator's acceptance decisions (``accept`` events) in the period.
- **not accepted** (不予受理), **mediated** (调解成功), **settled** (和解: an ODR enterprise's
  settlement or a seven-day return refunded), **withdrawn** (撤回): cases closed in the period
  with that outcome; **closed** (办结): every case closed in the period.
- **recovered** (挽回经济损失, yuan): the sum of ``recovered_amount`` over the cases closed in
  the period as settled, mediated or returned (``RECOVERY_OUTCOMES``).
- **by category, nature, channel, platform**: complaints received in the period, and the loss
  recovered on cases closed in it. A case's platform is its respondent when that is a
  platform, else the respondent's platform (merchants and group leaders); none for the rest.
- **the ten most complained-about businesses**: by complaints received in the period.
- **ODR enterprises**: their scorecards (odr.enterprises.scorecard) over the period, for the
  enterprises that negotiated complaints of these offices received in it.
- **comparisons**: the same figures for the previous period (month or quarter) and for the same
  period a year before.

Every figure is a grouped query over the offices' cases in the period; nothing loops over cases.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session, aliased

from odr.cases.models import RECOVERY_OUTCOMES, REPORT_CLAIM, Case, CaseEvent
from odr.cases.stats import enterprise_rates, top_respondents
from odr.clock import SHANGHAI
from odr.engine.calendar import WorkingCalendar
from odr.enterprises.models import Enterprise
from odr.errors import InvalidData

PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")
HEADLINE = (
    "received",
    "accepted",
    "not_accepted",
    "mediated",
    "settled",
    "withdrawn",
    "closed",
    "recovered",
)
# Outcomes counted under each headline figure of the cases closed in the period.
OUTCOME_FIGURES = {
    "not_accepted": ("not_accepted",),
    "mediated": ("mediated",),
    "settled": ("settled", "returned"),
    "withdrawn": ("withdrawn",),
}
DIMENSIONS = ("goods_category", "problem_nature", "channel", "platform")
ACCEPT_TRIGGER = "accept"
TOP_BUSINESSES = 10
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """A calendar month ("2026-11") or quarter ("2026-Q4"), Beijing time."""

    year: int
    month: int | None = None
    quarter: int | None = None

    @property
    def code(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else f"{self.year}-Q{self.quarter}"

    @property
    def kind(self) -> str:
        return "month" if self.month else "quarter"

    @property
    def first_month(self) -> int:
        return self.month or 3 * ((self.quarter or 1) - 1) + 1

    @property
    def months(self) -> int:
        return 1 if self.month else 3

    @property
    def first_day(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end_day(self) -> date:
        """The first day after the period."""
        index = self.year * 12 + self.first_month - 1 + self.months
        return date(index // 12, index % 12 + 1, 1)

    @property
    def since(self) -> datetime:
        day = self.first_day
        return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)

    @property
    def until(self) -> datetime:
        day = self.end_day
        return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)

    def previous(self) -> Period:
        """The month or quarter before."""
        if self.month:
            return (
                Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)
            )
        quarter = self.quarter or 1
        return (
            Period(self.year - 1, quarter=4)
            if quarter == 1
            else Period(self.year, quarter=quarter - 1)
        )

    def year_before(self) -> Period:
        return Period(self.year - 1, self.month, self.quarter)


def parse_period(text: str) -> Period:
    """A period from "2026-11" or "2026-Q4"; InvalidData names the field `period`."""
    match = PERIOD.match((text or "").strip().upper())
    if match is None:
        raise InvalidData(
            {
                "period": "应为月份（2026-11）或季度（2026-Q4）/ a month (2026-11) or a quarter (2026-Q4)"
            }
        )
    year, month, quarter = match.groups()
    if month:
        return Period(int(year), int(month))
    return Period(int(year), quarter=int(quarter))


def current_period(now: datetime) -> Period:
    """The last whole month before now (Beijing time): the one a monthly report is due for."""
    today = now.astimezone(SHANGHAI).date()
    return Period(today.year, today.month).previous()


def _complaints(office_ids: Collection[int]) -> list[ColumnElement[bool]]:
    return [Case.office_id.in_(list(office_ids)), Case.claim_type != REPORT_CLAIM]


def _recovered_sum() -> Any:
    return func.sum(when((Case.outcome.in_(RECOVERY_OUTCOMES), Case.recovered_amount), else_=None))


def _yuan(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT) if value is not None else Decimal("0.00")


def _platform_key() -> tuple[Any, Any]:
    """(the enterprise a case's platform is, the join it needs): the respondent when it is a
    platform, else the respondent's platform."""
    respondent = aliased(Enterprise)
    key = when((respondent.kind == "platform", respondent.id), else_=respondent.platform_id)
    return key, respondent


@dataclass
class Figures:
    """One period's counts: the headline and each dimension (code -> received, recovered)."""

    headline: dict[str, Any]
    received_by: dict[str, dict[str | int | None, int]]
    recovered_by: dict[str, dict[str | int | None, Decimal]]


def period_figures(session: Session, office_ids: Collection[int], period: Period) -> Figures:
    """The headline and every dimension of one period (five grouped queries)."""
    since, until = period.since, period.until
    complaints = _complaints(office_ids)
    received_by: dict[str, dict[str | int | None, int]] = {d: {} for d in DIMENSIONS}
    recovered_by: dict[str, dict[str | int | None, Decimal]] = {d: {} for d in DIMENSIONS}
    received = 0
    in_period = and_(Case.received_at >= since, Case.received_at < until)
    for category, nature, channel, count in session.execute(
        select(Case.goods_category, Case.problem_nature, Case.channel, func.count())
        .where(*complaints, in_period)
        .group_by(Case.goods_category, Case.problem_nature, Case.channel)
    ):
        received += count
        for dimension, code in zip(DIMENSIONS, (category, nature, channel), strict=False):
            bucket = received_by[dimension]
            bucket[code] = bucket.get(code, 0) + count

    headline: dict[str, Any] = dict.fromkeys(HEADLINE, 0)
    headline["received"] = received
    recovered = Decimal("0.00")
    closed_in = and_(Case.closed_at >= since, Case.closed_at < until)
    for outcome, category, nature, channel, count, amount in session.execute(
        select(
            Case.outcome,
            Case.goods_category,
            Case.problem_nature,
            Case.channel,
            func.count(),
            _recovered_sum(),
        )
        .where(*complaints, closed_in)
        .group_by(Case.outcome, Case.goods_category, Case.problem_nature, Case.channel)
    ):
        headline["closed"] += count
        for figure, outcomes in OUTCOME_FIGURES.items():
            if outcome in outcomes:
                headline[figure] += count
        if amount is None:
            continue
        yuan = _yuan(amount)
        recovered += yuan
        for dimension, code in zip(DIMENSIONS, (category, nature, channel), strict=False):
            sums = recovered_by[dimension]
            sums[code] = sums.get(code, Decimal("0.00")) + yuan
    headline["recovered"] = recovered

    # The partial index ix_case_events_accept holds acceptance events only: the condition is
    # written as a literal so the planner can match it.
    headline["accepted"] = (
        session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(
                literal_column(f"case_events.trigger = '{ACCEPT_TRIGGER}'"),
                CaseEvent.occurred_at >= since,
                CaseEvent.occurred_at < until,
                *complaints,
            )
        )
        or 0
    )

    key, respondent = _platform_key()
    for platform_id, count in session.execute(
        select(key, func.count())
        .select_from(Case)
        .join(respondent, respondent.id == Case.respondent_id)
        .where(*complaints, in_period, key.is_not(None))
        .group_by(key)
    ):
        received_by["platform"][platform_id] = count
    for platform_id, amount in session.execute(
        select(key, _recovered_sum())
        .select_from(Case)
        .join(respondent, respondent.id == Case.respondent_id)
        .where(*complaints, closed_in, key.is_not(None))
        .group_by(key)
    ):
        if amount is not None:
            recovered_by["platform"][platform_id] = _yuan(amount)
    return Figures(headline, received_by, recovered_by)


def _change(current: Any, before: Any) -> float | None:
    """The relative change from `before` to `current` (None when before is 0)."""
    return float((current - before) / before) if before else None


def _rows(
    dimension: str,
    now: Figures,
    previous: Figures,
    year_before: Figures,
    order: Iterable[str | int | None] = (),
) -> list[dict[str, Any]]:
    """A dimension's rows: code, received (share, the previous and year-before counts),
    recovered; the codes in `order` first (those with figures), then the rest, most first."""
    received = now.received_by[dimension]
    recovered = now.recovered_by[dimension]
    total = now.headline["received"]
    codes = set(received) | set(recovered)
    listed = [code for code in order if code in codes]
    rest = sorted(codes - set(listed), key=lambda c: (-received.get(c, 0), c is None, str(c)))
    return [
        {
            "code": code,
            "received": received.get(code, 0),
            "share": received.get(code, 0) / total if total else None,
            "previous": previous.received_by[dimension].get(code, 0),
            "year_before": year_before.received_by[dimension].get(code, 0),
            "change_year": _change(
                received.get(code, 0), year_before.received_by[dimension].get(code, 0)
            ),
            "recovered": recovered.get(code, Decimal("0.00")),
        }
        for code in [*listed, *rest]
    ]


def monthly_report(
    session: Session,
    office_ids: Collection[int],
    period: Period,
    calendar: WorkingCalendar,
    *,
    category_order: Iterable[str] = (),
    nature_order: Iterable[str] = (),
    channel_order: Iterable[str] = (),
) -> dict[str, Any]:
    """The report of the offices for a period, as plain data (codes; yuan as Decimal)."""
    now = period_figures(session, office_ids, period)
    previous = period_figures(session, office_ids, period.previous())
    year_before = period_figures(session, office_ids, period.year_before())
    headline = [
        {
            "figure": name,
            "value": now.headline[name],
            "previous": previous.headline[name],
            "year_before": year_before.headline[name],
            "change_previous": _change(now.headline[name], previous.headline[name]),
            "change_year": _change(now.headline[name], year_before.headline[name]),
        }
        for name in HEADLINE
    ]
    platform_ids = [
        i for i in {*now.received_by["platform"], *now.recovered_by["platform"]} if i is not None
    ]
    names = (
        dict(
            session.execute(
                select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(platform_ids))
            ).all()
        )
        if platform_ids
        else {}
    )
    platforms = _rows("platform", now, previous, year_before)
    for row in platforms:
        row["name"] = names.get(row["code"], "")
    # Ties in the order of their names' characters, whatever the database's collation.
    businesses = sorted(
        top_respondents(session, office_ids, period.since, period.until, limit=TOP_BUSINESSES),
        key=lambda b: (-b.cases, b.name),
    )
    enterprises = enterprise_rates(
        session, office_ids, period.since, period.until, calendar, response_times=False
    )
    return {
        "period": {
            "code": period.code,
            "kind": period.kind,
            "first_day": period.first_day.isoformat(),
            "last_day": date.fromordinal(period.end_day.toordinal() - 1).isoformat(),
            "previous": period.previous().code,
            "year_before": period.year_before().code,
        },
        "headline": headline,
        "by_category": _rows("goods_category", now, previous, year_before, category_order),
        "by_nature": _rows("problem_nature", now, previous, year_before, nature_order),
        "by_channel": _rows("channel", now, previous, year_before, channel_order),
        "by_platform": platforms,
        "businesses": [
            {"rank": rank, "name": b.name, "received": b.cases, "escalated": b.escalated}
            for rank, b in enumerate(businesses, start=1)
        ],
        "enterprises": [
            {
                "name": e.enterprise.name,
                "uscc": e.enterprise.uscc or "",
                "received": e.card.received,
                "finished": e.card.finished,
                "on_time_rate": e.card.on_time_rate,
                "settlement_rate": e.card.settlement_rate,
                "recovered": e.card.recovered,
            }
            for e in enterprises
        ],
    }
