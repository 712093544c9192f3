"""An enterprise's cases (a platform's include its merchants' and group leaders'): filtered and
read a page at a time by keyset, for the portal's inbox, its CSV export and the partner API."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, Select, and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from odr.cases.models import REPORT_CLAIM, Case
from odr.cases.paging import Cursor, load_page, page_ids
from odr.enterprises.models import Enterprise

# "deadline": nearest deadline first, cases without one last (the inbox);
# "received": oldest case first (the partner API, whose cursor is the case id).
Order = Literal["deadline", "received"]
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
class CasePage:
    cases: list[Case]
    # The key of the last row when more rows follow, else None.
    next_key: Cursor | int | None


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


def _walks(
    session: Session, enterprise_id: int, conditions: list[ColumnElement[bool]]
) -> list[list[ColumnElement[bool]]]:
    """concerns() as one walk per index range: the cases it negotiates, those against it, those
    against each of its merchants (open cases along ix_cases_enterprise_open and
    ix_cases_respondent_open)."""
    merchants = session.scalars(
        select(Enterprise.id).where(Enterprise.platform_id == enterprise_id).order_by(Enterprise.id)
    )
    return [
        [Case.enterprise_id == enterprise_id, *conditions],
        *([Case.respondent_id == r, *conditions] for r in (enterprise_id, *merchants)),
    ]


def _conditions(filters: CaseFilter, now: datetime) -> list[ColumnElement[bool]]:
    # A report (举报) and its reporter stay hidden from the enterprise it concerns.
    found: list[ColumnElement[bool]] = [Case.claim_type != REPORT_CLAIM]
    if filters.open_only:
        found.append(Case.closed_at.is_(None))
    if filters.state:
        found.append(Case.state == filters.state)
    if filters.overdue is True:
        found.append(Case.due_at < now)
    elif filters.overdue is False:
        found.append(or_(Case.due_at.is_(None), Case.due_at >= now))
    if filters.due_by is not None:
        found.append(and_(Case.due_at >= now, Case.due_at <= filters.due_by))
    if filters.respondent_id is not None:
        found.append(Case.respondent_id == filters.respondent_id)
    if filters.claim_type:
        found.append(Case.claim_type == filters.claim_type)
    return found


def _filtered(enterprise_id: int, filters: CaseFilter, now: datetime) -> Select[Case]:
    return select(Case).where(concerns(enterprise_id), *_conditions(filters, now))


def enterprise_cases(
    session: Session,
    enterprise_id: int,
    filters: CaseFilter,
    now: datetime,
    *,
    order: Order = "deadline",
    after: Cursor | int | None = None,
    limit: int = 50,
) -> CasePage:
    """One page of the enterprise's cases matching the filters, after the given key (no OFFSET:
    every page costs the same however deep it is). By deadline, the page is read as a walk per
    branch (odr/cases/paging.py)."""
    if order == "deadline":
        if after is not None and not isinstance(after, Cursor):
            return CasePage([], None)
        walks = _walks(session, enterprise_id, _conditions(filters, now))
        page = load_page(session, page_ids(session, walks, after, limit + 1))
        more = len(page) > limit
        return CasePage(page[:limit], Cursor.of(page[limit - 1]) if more else None)
    statement = _filtered(enterprise_id, filters, now)
    if isinstance(after, int):
        statement = statement.where(Case.id > after)
    elif after is not None:
        statement = statement.where(false())
    rows = list(session.scalars(statement.order_by(Case.id).limit(limit + 1)))
    return CasePage(rows[:limit], rows[limit - 1].id if len(rows) > limit else None)


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
