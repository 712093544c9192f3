"""The search over cases: the index's matches (odr/db/fulltext.py), within what the searcher
may see, in deadline order (nearest first, those without one last), a keyset page at a time,
as every list of cases is (odr/cases/paging.py). A word so common that more than NEWEST cases
match is searched among the newest NEWEST of them (the page says so)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.models import REPORT_CLAIM, Case
from odr.cases.paging import Cursor, load_page, page_ids
from odr.cases.search_index import SEARCH
from odr.db.dialects import one_of
from odr.db.fulltext import matching
from odr.enterprises.cases import concerns
from odr.enterprises.models import Enterprise
from odr.search.query import SearchQuery

PAGE_SIZE = 50
# At most this many matches are sorted by deadline, the newest (by case id): a word in tens of
# thousands of cases lists the newest of them, and the page says to narrow the query.
NEWEST = 5_000


@dataclass(frozen=True)
class SearchPage:
    cases: list[Case]
    next_cursor: Cursor | None  # None on the last page
    # More cases matched than NEWEST: the newest of them were searched (narrow the query).
    capped: bool = False


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
    read along (`+ 0`): the matches drive the read (each looked up in ix_cases_search_scope,
    which holds what the scope and the order need)."""
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


def search(
    session: Session,
    actor: Actor,
    query: SearchQuery,
    *,
    cursor: Cursor | None = None,
    page_size: int = PAGE_SIZE,
    newest: int = NEWEST,
) -> SearchPage:
    """A page of the cases the actor may see that match every phrase of the query."""
    if query.empty:
        return SearchPage([], None)
    # The newest matches at most (a common word: 牛奶 is in one case of twelve), read from the
    # index once, then sorted by deadline among the cases: the cost of a page stays that of
    # `newest` rows, and the full-text match is not asked again for each part of the page.
    matched = session.scalars(
        matching(session, SEARCH, SEARCH.c.case_id, query.phrases, newest=newest + 1)
    ).all()
    capped = len(matched) > newest
    walks = [[one_of(session, Case.id, matched[:newest]), *_checked_on_the_row(actor)]]
    ids = page_ids(session, walks, cursor, page_size + 1)
    rows = load_page(session, ids)
    last = rows[page_size - 1] if len(rows) > page_size else None
    return SearchPage(rows[:page_size], Cursor.of(last) if last is not None else None, capped)
