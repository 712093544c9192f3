"""An enterprise's cases (a platform's include its merchants' and group leaders'): filtered and
read a page at a time by keyset, for the portal's inbox, its CSV export and the partner API."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from odr.cases.models import REPORT_CLAIM, Case
from odr.enterprises.models import Enterprise

# "deadline": nearest deadline first, cases without one last (the inbox);
# "received": oldest case first (the partner API, whose cursor is the case id).
Order = Literal["deadline", "received"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEADLINE_ORDER = (Case.due_at.is_(None), Case.due_at, Case.id)
EXPORT_BATCH = 500


@dataclass(frozen=True)
class CaseFilter:
    """What an enterprise user narrows the list to; None means any."""

    open_only: bool = True
    state: str | None = None
    overdue: bool | None = None
    # Due soon: not overdue yet, and due by this moment (e.g. the end of the 2nd working day).
    due_by: datetime | None = None
    respondent_id: int | None = None
    claim_type: str | None = None


@dataclass(frozen=True)
class DeadlineKey:
    """Where a page ends in deadline order: the last row's (due_at, id); due_at None sorts last."""

    due_at: datetime | None
    case_id: int

    @classmethod
    def of(cls, case: Case) -> DeadlineKey:
        return cls(case.due_at, case.id)

    def encode(self) -> str:
        """A URL-safe text: `<microseconds since the epoch>.<id>`, or `-.<id>` without deadline."""
        if self.due_at is None:
            return f"-.{self.case_id}"
        return f"{(self.due_at - EPOCH) // timedelta(microseconds=1)}.{self.case_id}"

    @classmethod
    def decode(cls, text: str) -> DeadlineKey | None:
        """The key a `next page` link carries; None when the text is not one."""
        due, _, case_id = text.partition(".")
        if not case_id.isdigit() or not (due == "-" or due.lstrip("-").isdigit()):
            return None
        if due == "-":
            return cls(None, int(case_id))
        try:
            return cls(EPOCH + timedelta(microseconds=int(due)), int(case_id))
        except OverflowError:
            return None


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    # The key of the last row when more rows follow, else None.
    next_key: DeadlineKey | int | None


def merchants_of(session: Session, enterprise_id: int) -> list[Enterprise]:
    """The merchants and group leaders selling under a platform, by name."""
    statement = select(Enterprise).where(Enterprise.platform_id == enterprise_id)
    return list(session.scalars(statement.order_by(Enterprise.name, Enterprise.id)))


def concerns(enterprise_id: int) -> ColumnElement[bool]:
    """Cases the enterprise negotiates or is complained about, or one of its merchants is."""
    merchants = select(Enterprise.id).where(Enterprise.platform_id == enterprise_id)
    return or_(
        Case.enterprise_id == enterprise_id,
        Case.respondent_id == enterprise_id,
        Case.respondent_id.in_(merchants),
    )


def _filtered(enterprise_id: int, filters: CaseFilter, now: datetime):  # type: ignore[no-untyped-def]
    # A report (举报) and its reporter stay hidden from the enterprise it concerns.
    statement = select(Case).where(concerns(enterprise_id), Case.claim_type != REPORT_CLAIM)
    if filters.open_only:
        statement = statement.where(Case.closed_at.is_(None))
    if filters.state:
        statement = statement.where(Case.state == filters.state)
    if filters.overdue is True:
        statement = statement.where(Case.due_at < now)
    elif filters.overdue is False:
        statement = statement.where(or_(Case.due_at.is_(None), Case.due_at >= now))
    if filters.due_by is not None:
        statement = statement.where(Case.due_at >= now, Case.due_at <= filters.due_by)
    if filters.respondent_id is not None:
        statement = statement.where(Case.respondent_id == filters.respondent_id)
    if filters.claim_type:
        statement = statement.where(Case.claim_type == filters.claim_type)
    return statement


def _after_deadline(key: DeadlineKey) -> ColumnElement[bool]:
    """Rows after `key` in the order (due_at is null, due_at, id)."""
    if key.due_at is None:
        return and_(Case.due_at.is_(None), Case.id > key.case_id)
    return or_(
        Case.due_at > key.due_at,
        and_(Case.due_at == key.due_at, Case.id > key.case_id),
        Case.due_at.is_(None),
    )


def enterprise_cases(
    session: Session,
    enterprise_id: int,
    filters: CaseFilter,
    now: datetime,
    *,
    order: Order = "deadline",
    after: DeadlineKey | int | None = None,
    limit: int = 50,
) -> CasePage:
    """One page of the enterprise's cases matching the filters, after the given key (no OFFSET:
    every page costs the same however deep it is)."""
    statement = _filtered(enterprise_id, filters, now)
    if order == "deadline":
        if isinstance(after, DeadlineKey):
            statement = statement.where(_after_deadline(after))
        elif after is not None:
            statement = statement.where(false())
        statement = statement.order_by(*DEADLINE_ORDER)
    else:
        if isinstance(after, int):
            statement = statement.where(Case.id > after)
        elif after is not None:
            statement = statement.where(false())
        statement = statement.order_by(Case.id)
    rows = list(session.scalars(statement.limit(limit + 1)))
    page = rows[:limit]
    next_key: DeadlineKey | int | None = None
    if len(rows) > limit:
        next_key = DeadlineKey.of(page[-1]) if order == "deadline" else page[-1].id
    return CasePage(page, next_key)


def all_enterprise_case_rows(
    session: Session,
    enterprise_id: int,
    filters: CaseFilter,
    now: datetime,
    columns: Sequence[InstrumentedAttribute[Any]],
) -> Iterator[Row[Any]]:
    """These columns of every matching case in deadline order, streamed in batches (the CSV
    export): one query and one sort, and plain rows instead of tracked objects."""
    statement = _filtered(enterprise_id, filters, now).with_only_columns(*columns)
    statement = statement.order_by(*DEADLINE_ORDER).execution_options(yield_per=EXPORT_BATCH)
    yield from session.execute(statement)
