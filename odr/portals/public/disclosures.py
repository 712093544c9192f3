"""The public disclosure of closed complaints (消费投诉信息公示), no login: search by business
name, a business's page with its scorecard, and the open-data export (CSV, and JSON with its
JSON Schema). Every record comes from odr.cases.disclosed, which selects no personal data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from odr.cases import disclosed
from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.enterprises.labels import ALL_LABELS
from odr.enterprises.models import Enterprise
from odr.enterprises.scorecard import WINDOWS, window_weeks
from odr.portals.csv_files import csv_bytes, csv_response
from odr.portals.public.controller import is_public
from odr.portals.scorecards import REASON_LABELS, shown_card

SCHEMA_FILE = Path(__file__).resolve().parent / "disclosures.schema.json"
SCHEMA_PATH = "/disclosures/open-data.schema.json"
JSON_MEDIA_TYPE = "application/json"


def _url(path: str, **query: Any) -> str:
    given = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urlencode(given)}" if given else path


def _next_link(request: Request[Any, Any, Any], after: int | None) -> dict[str, str]:
    """The Link header of an export page that has a next one."""
    if after is None:
        return {}
    return {"Link": f'<{request.url.path}?after={after}>; rel="next"'}


class PublicDisclosureController(Controller):
    path = "/disclosures"

    @get("/", sync_to_thread=True)
    def search_page(
        self,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        q: FromQuery[str | None] = None,
        after: FromQuery[int | None] = None,
    ) -> Template:
        """Published complaints, newest first, or those against the businesses a name finds."""
        typed = (q or "").strip()
        errors = {}
        if len(typed) > disclosed.SEARCH_MAX_LENGTH:
            errors["q"] = "too_long"
        name = disclosed.clean_query(typed)
        page = disclosed.search(lagging_session, rules, name, after=after)
        return Template(
            "public/disclosures.html",
            context={
                "q": typed,
                "errors": errors,
                "max_length": disclosed.SEARCH_MAX_LENGTH,
                "page": page,
                "next_url": _url("/disclosures", q=name, after=page.next_after)
                if page.next_after
                else None,
                "first_url": _url("/disclosures", q=name) if after else None,
            },
            status_code=400 if errors else 200,
        )

    @get("/businesses/{business_id:int}", sync_to_thread=True)
    def business_page(
        self,
        request: Request[Any, Any, Any],
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        business_id: FromPath[int],
        weeks: FromQuery[int | None] = None,
        after: FromQuery[int | None] = None,
    ) -> Template:
        """A business's published complaints with its scorecard."""
        business = lagging_session.get(Enterprise, business_id)
        if not is_public(business):
            raise NotFoundException("no such business")
        weeks = window_weeks(weeks)
        page = disclosed.of_business(lagging_session, rules, business.id, after=after)
        base = f"/disclosures/businesses/{business.id}"
        return Template(
            "public/disclosure_business.html",
            context={
                "business": business,
                "card": shown_card(request, lagging_session, business.id, weeks, rules),
                "weeks": weeks,
                "windows": WINDOWS,
                "reasons": REASON_LABELS,
                "page": page,
                "published": disclosed.count_of_business(lagging_session, business.id),
                "next_url": _url(base, weeks=weeks, after=page.next_after)
                if page.next_after
                else None,
                "first_url": _url(base, weeks=weeks) if after else None,
                **ALL_LABELS,
            },
        )

    @get("/open-data.csv", sync_to_thread=True)
    def export_csv(
        self,
        request: Request[Any, Any, Any],
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        after: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        """The published records as CSV, 10,000 a file; the Link header names the next."""
        page = disclosed.export_page(lagging_session, rules, after)
        body = csv_bytes(disclosed.CSV_HEADER, (disclosed.csv_row(r) for r in page.records))
        day = utcnow().astimezone(SHANGHAI).date().isoformat()
        return csv_response(body, f"disclosures-{day}.csv", **_next_link(request, page.next_after))

    @get("/open-data.json", sync_to_thread=True)
    def export_json(
        self,
        request: Request[Any, Any, Any],
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        after: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        """The published records as JSON (the schema at SCHEMA_PATH), 10,000 a page."""
        page = disclosed.export_page(lagging_session, rules, after)
        document = {
            "$schema": SCHEMA_PATH,
            "generated_at": utcnow().isoformat(),
            "next": f"{request.url.path}?after={page.next_after}" if page.next_after else None,
            "records": [disclosed.json_record(r) for r in page.records],
        }
        return Response(
            json.dumps(document, ensure_ascii=False).encode("utf-8"),
            media_type=JSON_MEDIA_TYPE,
            headers=_next_link(request, page.next_after),
        )

    @get("/open-data.schema.json", sync_to_thread=True)
    def export_schema(self) -> Response[bytes]:
        """The JSON Schema of the JSON export."""
        return Response(SCHEMA_FILE.read_bytes(), media_type="application/schema+json")
