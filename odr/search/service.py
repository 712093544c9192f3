"""The search over cases: the index's matches (odr/db/fulltext.py), within what the searcher
may see, in deadline order (nearest first, those without one last), a keyset page at a time,
as every list of cases is (odr/cases/paging.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.models import REPORT_CLAIM, Case
from odr.cases.paging import Cursor, load_page, page_ids
from odr.cases.search_index import SEARCH
from odr.db.fulltext import holds, matching
from odr.enterprises.cases import concerns
from odr.enterprises.models import Enterprise
from odr.search.query import SearchQuery

PAGE_SIZE = 50
# Matches past this many make a word common: the search walks the cases in deadline order.
COMMON = 2_000
# An office with more offices below it walks the deadline index once, not once per office.
OFFICE_WALKS = 4


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


def _checked_on_the_row(actor: Actor) -> list[ColumnElement[bool]]:
    """scope() as conditions the database checks on each row it reads, never an index to
    read along (`+ 0`): the index of the matches, or of the deadlines, drives the read."""
    if actor.role == "regulator" and actor.office_ids:
        return [(Case.office_id + 0).in_(sorted(actor.office_ids))]
    if actor.role == "enterprise" and actor.enterprise_id is not None:
        merchants = select(Enterprise.id).where(Enterprise.platform_id == actor.enterprise_id)
        return [
            or_(
                Case.enterprise_id + 0 == actor.enterprise_id,
                Case.respondent_id + 0 == actor.enterprise_id,
                (Case.respondent_id + 0).in_(merchants),
            ),
            Case.claim_type != REPORT_CLAIM,
        ]
    return [false()]


def deadline_walks(actor: Actor, probe: ColumnElement[bool]) -> list[list[ColumnElement[bool]]]:
    """The searcher's cases that the probe accepts, as walks in deadline order for page_ids:
    an office with few offices below it one walk per office (ix_cases_office_deadline); any
    other searcher one walk along the deadline index, its scope checked on each row."""
    if actor.role == "regulator" and 0 < len(actor.office_ids) <= OFFICE_WALKS:
        return [[Case.office_id == office, probe] for office in sorted(actor.office_ids)]
    return [[*_checked_on_the_row(actor), probe]]


def search(
    session: Session,
    actor: Actor,
    query: SearchQuery,
    *,
    cursor: Cursor | None = None,
    page_size: int = PAGE_SIZE,
    common: int = COMMON,
) -> SearchPage:
    """A page of the cases the actor may see that match every phrase of the query."""
    if query.empty:
        return SearchPage([], None)
    matched = matching(session, SEARCH, SEARCH.c.case_id, query.phrases)
    first = select(func.count()).select_from(matched.limit(common).subquery())
    if (session.scalar(first) or 0) < common:
        # Few matches (a number, a phone, a name): read them all and sort them by deadline.
        walks = [[Case.id.in_(matched), *_checked_on_the_row(actor)]]
    else:
        # A common word: walk the searcher's cases in deadline order, each probed in the
        # index, until a page is found (a word in 1 case of 50 costs about 50 probes a row).
        probe = holds(session, SEARCH, SEARCH.c.case_id, query.phrases, Case.id)
        walks = deadline_walks(actor, probe)
    ids = page_ids(session, walks, cursor, page_size + 1)
    rows = load_page(session, ids)
    last = rows[page_size - 1] if len(rows) > page_size else None
    return SearchPage(rows[:page_size], Cursor.of(last) if last is not None else None)
