"""A case's words for the search box (案件查询), written by the service in the transaction that
writes the case: submit() and submit_batch() for a new one, history.load_rows for the demo's,
record_event() when a change touches what is searched (the personal-data purge blanks it).

What a case is found by, each as words of the full-text index (odr/db/fulltext.py cuts the
text; Chinese as character bigrams): its number, the 12315 number (external id), the
complainant's name and phone (national number whole, and its last 4 digits as the word
`p1234`, which only a query with a name or date beside it asks for), the order number, the
respondent's name and USCC, the product and the facts, and the day it was received and the day
of purchase (`d20261205`). A purged case keeps only its number's word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert
from sqlalchemy.orm import Session

from odr.cases.models import CaseSearch
from odr.clock import SHANGHAI
from odr.db.fulltext import words
from odr.masking import REDACTED

SEARCH = CaseSearch.__table__
# The columns the words come from: a change of one of them writes the case's words again.
SEARCHED_COLUMNS = (
    "number",
    "external_id",
    "complainant_name",
    "complainant_phone",
    "order_number",
    "respondent_name",
    "respondent_uscc",
    "product",
    "facts",
    "received_at",
    "purchase_date",
)
PHONE_TAIL = 4
_NOT_DIGIT = re.compile(r"\D")


def national_digits(phone: str) -> str:
    """A phone number's national significant digits: +8613800138000 and 138-0013-8000 both
    13800138000; 0771-5551234 (a trunk 0) 7715551234."""
    digits = _NOT_DIGIT.sub("", phone)
    if phone.strip().startswith("+86") or (len(digits) == 13 and digits.startswith("86")):
        digits = digits[2:]
    return digits.lstrip("0") if len(digits) >= 10 and digits.startswith("0") else digits


def phone_tail_word(digits: str) -> str:
    return f"p{digits[-PHONE_TAIL:]}"


def date_word(day: date) -> str:
    return f"d{day:%Y%m%d}"


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:  # as SQLite's rows store it (load_rows)
        if len(value) == len("2026-12-05"):
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:  # a stored UtcDateTime is UTC
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(SHANGHAI).date()
    return None


def document(values: Mapping[str, Any]) -> str:
    """The words of a case's searched columns (a mapping of them), as the index stores them."""

    def kept(column: str) -> str:
        value = values.get(column)
        return "" if value is None or value == REDACTED else str(value)

    if values.get("complainant_name") == REDACTED:
        # Purged (odr/cases/privacy.py): found by its number alone, by nothing it said.
        return " ".join(words(kept("number")))
    found: list[str] = []
    for column in ("number", "external_id", "order_number", "respondent_uscc"):
        found += words(kept(column))
    if digits := national_digits(kept("complainant_phone")):
        found.append(digits)
        if len(digits) >= PHONE_TAIL + 3:
            found.append(phone_tail_word(digits))
    for column in ("complainant_name", "respondent_name", "product", "facts"):
        found += words(kept(column))
    for column in ("received_at", "purchase_date"):
        if (day := _day(values.get(column))) is not None:
            found.append(date_word(day))
    return " ".join(found)


def case_document(case: Any) -> str:
    """document() of a Case (or a case's values outside the ORM)."""
    return document({column: getattr(case, column, None) for column in SEARCHED_COLUMNS})


def index_case(session: Session, case: Any) -> None:
    """Write (or write again) a stored case's words, in the session's transaction."""
    session.execute(delete(SEARCH).where(SEARCH.c.case_id == case.id))
    session.execute(insert(SEARCH).values(case_id=case.id, terms=case_document(case)))


def index_new(connection: Connection, rows: Iterable[tuple[int, Any]]) -> None:
    """Write the words of new cases, (id, case or its values) each: one executemany."""
    values = [{"case_id": case_id, "terms": case_document(case)} for case_id, case in rows]
    if values:
        connection.execute(insert(SEARCH), values)


def touches_search(changes: Iterable[str]) -> bool:
    """Whether a change of these columns changes a case's words."""
    return not set(SEARCHED_COLUMNS).isdisjoint(changes)
