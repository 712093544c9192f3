"""The published complaints as the public sees them: business, category, problem, dates and
result, read column by column so that no personal data (the complainant's name, phone, address,
the order number, the complaint's text) is ever selected for a public page or export.

Lists are keyset pages, newest publication first: `after` names the last record shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from odr.cases.disclosure import DISCLOSED, Disclosure
from odr.cases.models import Case
from odr.clock import SHANGHAI
from odr.engine.rules import Rules
from odr.enterprises.models import Enterprise

PAGE_SIZE = 50
EXPORT_PAGE_SIZE = 10_000
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class Record:
    """One published complaint, without personal data."""

    id: int
    business_id: int
    business_name: str
    business_uscc: str | None
    received_on: date
    closed_on: date
    result: str  # the state the case closed in
    result_label: Mapping[str, str]
    disclosed_on: date
    category: str | None = None
    category_label: Mapping[str, str] | None = None
    problem_nature: str | None = None
    problem_nature_label: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Page:
    records: list[Record]
    next_after: int | None  # the `after` of the next page; None on the last


def _local(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


# Exactly these columns leave the database for the public: nothing of the complainant.
COLUMNS = (
    Disclosure.id,
    Disclosure.disclosed_at,
    Enterprise.id.label("business_id"),
    Enterprise.name.label("business_name"),
    Enterprise.uscc.label("business_uscc"),
    Case.received_at,
    Case.closed_at,
    Case.state,
    Case.workflow,
    Case.workflow_version,
    Case.goods_category,
    Case.problem_nature,
)


# Any columns: SQLAlchemy types a select of many columns by each one's type.
Published = Select[*tuple[Any, ...]]


def _published() -> Published:
    statement: Published = (
        select(*COLUMNS)
        .join(Case, Case.id == Disclosure.case_id)
        .join(Enterprise, Enterprise.id == Case.respondent_id)
        .where(Disclosure.status == DISCLOSED)
    )
    return statement


def _labels(code: str | None, label: Callable[[str | None, str], str]) -> Mapping[str, str] | None:
    """A category's or nature's name in both languages (workflows/classification.yaml)."""
    return {lang: label(code, lang) for lang in ("zh", "en")} if code else None


def _record(row: Any, rules: Rules) -> Record:
    workflow = rules.workflow(row.workflow, row.workflow_version)
    state = workflow.states.get(row.state)
    classification = rules.classification
    return Record(
        id=row.id,
        business_id=row.business_id,
        business_name=row.business_name,
        business_uscc=row.business_uscc,
        received_on=_local(row.received_at),
        closed_on=_local(row.closed_at),
        result=row.state,
        result_label=state.label if state else {"zh": row.state, "en": row.state},
        disclosed_on=_local(row.disclosed_at),
        category=row.goods_category,
        category_label=_labels(row.goods_category, classification.category_label),
        problem_nature=row.problem_nature,
        problem_nature_label=_labels(row.problem_nature, classification.nature_label),
    )


def _page(
    session: Session, statement: Published, rules: Rules, after: int | None, size: int
) -> Page:
    if after is not None:
        last = session.execute(
            select(Disclosure.disclosed_at, Disclosure.id).where(
                Disclosure.id == after, Disclosure.status == DISCLOSED
            )
        ).first()
        if last is not None:
            statement = statement.where(
                or_(
                    Disclosure.disclosed_at < last.disclosed_at,
                    and_(Disclosure.disclosed_at == last.disclosed_at, Disclosure.id < last.id),
                )
            )
    rows = session.execute(
        statement.order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc()).limit(size + 1)
    ).all()
    records = [_record(row, rules) for row in rows[:size]]
    return Page(records, records[-1].id if len(rows) > size else None)


def clean_query(text: str | None) -> str:
    """A business name to search for: trimmed, at most SEARCH_MAX_LENGTH characters."""
    return (text or "").strip()[:SEARCH_MAX_LENGTH]


def search(
    session: Session,
    rules: Rules,
    name: str = "",
    *,
    after: int | None = None,
) -> Page:
    """Published complaints whose business's name contains `name` (all when empty)."""
    statement = _published()
    if name:
        statement = statement.where(Enterprise.name.contains(name, autoescape=True))
    return _page(session, statement, rules, after, PAGE_SIZE)


def of_business(
    session: Session, rules: Rules, business_id: int, *, after: int | None = None
) -> Page:
    """The published complaints against one business."""
    statement = _published().where(Case.respondent_id == business_id)
    return _page(session, statement, rules, after, PAGE_SIZE)


def count_of_business(session: Session, business_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Disclosure)
            .join(Case, Case.id == Disclosure.case_id)
            .where(Disclosure.status == DISCLOSED, Case.respondent_id == business_id)
        )
        or 0
    )


def export_page(session: Session, rules: Rules, after: int | None = None) -> Page:
    """A page of the open-data export (EXPORT_PAGE_SIZE records)."""
    return _page(session, _published(), rules, after, EXPORT_PAGE_SIZE)


CSV_HEADER = (
    "id",
    "business_id",
    "business_name",
    "business_uscc",
    "category",
    "category_zh",
    "category_en",
    "problem_nature",
    "problem_nature_zh",
    "problem_nature_en",
    "received_on",
    "closed_on",
    "result",
    "result_zh",
    "result_en",
    "disclosed_on",
)


def _label(label: Mapping[str, str] | None, lang: str) -> str:
    return (label or {}).get(lang, "")


def csv_row(record: Record) -> Sequence[Any]:
    return (
        record.id,
        record.business_id,
        record.business_name,
        record.business_uscc or "",
        record.category or "",
        _label(record.category_label, "zh"),
        _label(record.category_label, "en"),
        record.problem_nature or "",
        _label(record.problem_nature_label, "zh"),
        _label(record.problem_nature_label, "en"),
        record.received_on.isoformat(),
        record.closed_on.isoformat(),
        record.result,
        _label(record.result_label, "zh"),
        _label(record.result_label, "en"),
        record.disclosed_on.isoformat(),
    )


def _coded(code: str | None, label: Mapping[str, str] | None) -> dict[str, str] | None:
    if code is None:
        return None
    return {"code": code, "zh": _label(label, "zh"), "en": _label(label, "en")}


def json_record(record: Record) -> dict[str, Any]:
    """A record as the JSON export writes it (docs/disclosures.schema.json)."""
    return {
        "id": record.id,
        "business": {
            "id": record.business_id,
            "name": record.business_name,
            "uscc": record.business_uscc,
        },
        "category": _coded(record.category, record.category_label),
        "problem_nature": _coded(record.problem_nature, record.problem_nature_label),
        "received_on": record.received_on.isoformat(),
        "closed_on": record.closed_on.isoformat(),
        "result": _coded(record.result, record.result_label),
        "disclosed_on": record.disclosed_on.isoformat(),
    }
