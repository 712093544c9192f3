"""The enterprise portal: the inbox (filters, deadline order, keyset pages, CSV export), the case
page and its actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Response, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_enterprise_actor
from odr.cases.deadlines import deadline_of
from odr.cases.models import REPORT_CLAIM
from odr.cases.paging import Cursor
from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.enterprises.cases import (
    CaseFilter,
    all_enterprise_case_rows,
    enterprise_cases,
    merchants_of,
)
from odr.enterprises.models import Enterprise
from odr.notify.service import unread_count
from odr.portals.csv_files import csv_response
from odr.portals.enterprise.export import EXPORT_COLUMNS, cases_csv
from odr.portals.i18n import language_of
from odr.portals.search import search_page
from odr.portals.staff_controller import StaffController

PAGE_SIZE = 50
# "Due soon": at most this many working days left (the enterprise's reminders start at 3 and 1).
DUE_SOON_WORKING_DAYS = 2
REPORT_WORKFLOW = "report"


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's filters as the form sends them (kept to show the choice and build links)."""

    show: str = "open"  # open / all
    state: str = ""
    due: str = ""  # "" / overdue / soon
    respondent: str = ""  # an enterprise id: the platform itself or one of its merchants
    category: str = ""  # a claim type

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> InboxQuery:
        """Read the query string, dropping values that are not choices."""
        respondent = params.get("respondent", "").strip()
        return cls(
            show="all" if params.get("show") == "all" else "open",
            state=params.get("state", "").strip()[:40],
            due=params.get("due", "") if params.get("due") in ("overdue", "soon") else "",
            respondent=respondent if respondent.isdigit() else "",
            category=params.get("category", "").strip()[:40],
        )

    def filters(self, rules: Rules, now: datetime) -> CaseFilter:
        """The CaseFilter these choices mean at `now`."""
        due_by = None
        if self.due == "soon":
            due_by = rules.calendar.add_working_days(now, DUE_SOON_WORKING_DAYS)
        return CaseFilter(
            open_only=self.show != "all",
            state=self.state or None,
            overdue=True if self.due == "overdue" else None,
            due_by=due_by,
            respondent_id=int(self.respondent) if self.respondent else None,
            claim_type=self.category or None,
        )

    def query_string(self, **extra: str) -> str:
        """These choices (only those made) as a query string, plus `extra`."""
        chosen = {k: v for k, v in vars(self).items() if v and not (k == "show" and v == "open")}
        return urlencode({**chosen, **extra})


def state_choices(rules: Rules) -> list[tuple[str, Mapping[str, str]]]:
    """Every state an enterprise's case can be in (the complaint workflows), in workflow order."""
    seen: dict[str, Mapping[str, str]] = {}
    for workflow in rules.workflows.values():
        if workflow.name == REPORT_WORKFLOW:
            continue
        for name, state in workflow.states.items():
            seen.setdefault(name, state.label)
    return list(seen.items())


def category_choices(rules: Rules) -> dict[str, Mapping[str, str]]:
    """The claim types the complaint workflows list (`lists.claim_types`)."""
    seen: dict[str, Mapping[str, str]] = {}
    for workflow in rules.workflows.values():
        for code, label in workflow.lists.get("claim_types", {}).items():
            if code != REPORT_CLAIM:
                seen.setdefault(code, label)
    return seen


class EnterpriseController(StaffController):
    path = "/enterprise"
    dependencies = {"actor": Provide(provide_enterprise_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def inbox_page(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        after: FromQuery[str] = "",
    ) -> Template:
        """One page of the inbox, nearest deadline first; `after` is the last row's key."""
        query = InboxQuery.parse(request.query_params)
        now = utcnow()
        enterprise_id = actor.enterprise_id or 0
        page = enterprise_cases(
            db_session,
            enterprise_id,
            query.filters(rules, now),
            now,
            after=Cursor.decode(after),
            limit=PAGE_SIZE,
        )
        rows = [
            (
                c,
                rules.workflow(c.workflow, c.workflow_version).states[c.state],
                deadline_of(c, rules, now),
            )
            for c in page.cases
        ]
        merchants = merchants_of(db_session, enterprise_id)
        next_url = None
        if isinstance(page.next_key, Cursor):
            next_url = "/enterprise?" + query.query_string(after=page.next_key.encode())
        return Template(
            "enterprise/inbox.html",
            context={
                "rows": rows,
                "actor": actor,
                "query": query,
                "states": state_choices(rules),
                "categories": category_choices(rules),
                "enterprise": db_session.get(Enterprise, enterprise_id),
                "merchants": merchants,
                "next_url": next_url,
                "first_url": "/enterprise?" + query.query_string() if after else None,
                "csv_url": "/enterprise/export.csv?" + query.query_string(),
                "due_soon_days": DUE_SOON_WORKING_DAYS,
                "unread": unread_count(db_session, actor),
            },
        )

    @get("/search", sync_to_thread=True)
    def search(
        self,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        q: FromQuery[str] = "",
        after: FromQuery[str] = "",
    ) -> Template:
        """案件查询: the enterprise's cases (a platform's with its merchants') matching the query."""
        return search_page(lagging_session, rules, actor, "enterprise", q, after)

    @get("/export.csv", sync_to_thread=True)
    def export_csv(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
    ) -> Response[bytes]:
        """Every case of the filtered inbox as CSV (UTF-8 with BOM; phones and addresses masked)."""
        query = InboxQuery.parse(request.query_params)
        now = utcnow()
        cases = all_enterprise_case_rows(
            db_session, actor.enterprise_id or 0, query.filters(rules, now), now, EXPORT_COLUMNS
        )
        body = cases_csv(cases, rules, now, language_of(request))
        stamp = now.strftime("%Y%m%d-%H%M")
        return csv_response(body, f"odr-cases-{stamp}.csv", **{"Cache-Control": "no-store"})
