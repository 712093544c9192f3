"""The search over cases: the index's matches (odr/db/fulltext.py), within what the searcher
may see, in deadline order (nearest first, those without one last), a keyset page at a time,
as every list of cases is (odr/cases/paging.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.models import REPORT_CLAIM, Case
from odr.cases.paging import Cursor, load_page, page_ids
from odr.cases.search_index import SEARCH
from odr.db.fulltext import matching
from odr.enterprises.cases import concerns
from odr.search.query import SearchQuery

PAGE_SIZE = 50


@dataclass(frozen=True)
class SearchPage:
    cases: list[Case]
    next_cursor: Cursor | None  # None on the last page


def scope(actor: Actor) -> list[ColumnElement[bool]]:
    """The cases a searcher may find, as every list of theirs has it: an office its own and
    those of the offices below it; an enterprise the cases it negotiates or is complained
    about, a platform also its merchants' (never a report, 举报); nobody else any."""
    if actor.role == "regulator" and actor.office_ids:
        return [Case.office_id.in_(sorted(actor.office_ids))]
    if actor.role == "enterprise" and actor.enterprise_id is not None:
        return [concerns(actor.enterprise_id), Case.claim_type != REPORT_CLAIM]
    return [false()]


def search(
    session: Session,
    actor: Actor,
    query: SearchQuery,
    *,
    cursor: Cursor | None = None,
    page_size: int = PAGE_SIZE,
) -> SearchPage:
    """A page of the cases the actor may see that match every phrase of the query."""
    if query.empty:
        return SearchPage([], None)
    matched = matching(session, SEARCH, SEARCH.c.case_id, query.phrases)
    ids = page_ids(session, [[Case.id.in_(matched), *scope(actor)]], cursor, page_size + 1)
    rows = load_page(session, ids)
    last = rows[page_size - 1] if len(rows) > page_size else None
    return SearchPage(rows[:page_size], Cursor.of(last) if last is not None else None)
