"""The search box's page (案件查询), the same on the regulator desk and in the enterprise portal:
the query read, the search scoped to the user (odr/search), rows masked as every list is."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar.response import Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.cases.deadlines import deadline_of
from odr.cases.paging import Cursor
from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.masking import mask_name, mask_phone
from odr.notify.service import unread_count
from odr.search.query import SearchQuery, parse
from odr.search.service import NEWEST, search


def search_page(
    session: Session, rules: Rules, actor: Actor, portal: str, q: str, after: str
) -> Template:
    """The page: the box (keeping what was typed) and a page of results, or what is wrong
    with the query (400, naming the field)."""
    problem = None
    rows: list[tuple[Any, ...]] = []
    next_url = None
    capped = False
    try:
        query = parse(q)
    except InvalidData as exc:
        query, problem = SearchQuery(" ".join(q.split())[:200], ()), exc.errors["q"]
    if not query.empty:
        now = utcnow()
        page = search(session, actor, query, cursor=Cursor.decode(after), newest=NEWEST)
        capped = page.capped
        rows = [
            (
                case,
                rules.workflow(case.workflow, case.workflow_version).states[case.state],
                deadline_of(case, rules, now),
                mask_name(case.complainant_name),
                mask_phone(case.complainant_phone),
            )
            for case in page.cases
        ]
        if page.next_cursor is not None:
            next_url = f"/{portal}/search?" + urlencode(
                {"q": query.text, "after": page.next_cursor.encode()}
            )
    return Template(
        "search.html",
        context={
            "base_template": f"{portal}/base.html",
            "portal": portal,
            "q": query.text,
            "problem": problem,
            "searched": not query.empty,
            "rows": rows,
            "capped": capped,
            "newest": NEWEST,
            "next_url": next_url,
            "first_url": f"/{portal}/search?" + urlencode({"q": query.text}) if after else None,
            "actor": actor,
            "unread": unread_count(session, actor),
        },
        status_code=400 if problem else 200,
    )
