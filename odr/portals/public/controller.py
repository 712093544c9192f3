"""The public page of an enterprise: its ODR status, lists and scorecard, no personal data."""

from __future__ import annotations

from typing import TypeGuard

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.enterprises.labels import ALL_LABELS
from odr.enterprises.models import Enterprise
from odr.enterprises.scorecard import DEFAULT_WEEKS, WINDOWS, window_weeks
from odr.enterprises.supervision import marks, public_enterprises
from odr.offices.regions import regions
from odr.portals.scorecards import REASON_LABELS, shown_card, shown_cards
from odr.text import N_


def is_public(enterprise: Enterprise | None) -> TypeGuard[Enterprise]:
    """A business has a public page; a group leader without a USCC is a private person."""
    return enterprise is not None and not (
        enterprise.kind == "group_leader" and not enterprise.uscc
    )


class PublicEnterpriseController(Controller):
    path = "/enterprises"

    @get("/", sync_to_thread=True)
    def enterprise_list(
        self, request: Request, db_session: NamedDependency[Session], rules: NamedDependency[Rules]
    ) -> Template:
        """The ODR enterprises with their two published rates over the last 12 weeks."""
        listed = [e for e in public_enterprises(db_session) if is_public(e)]
        cards = shown_cards(request, db_session, [e.id for e in listed], DEFAULT_WEEKS, rules)
        return Template(
            "public/enterprises.html",
            context={"rows": [(e, cards[e.id]) for e in listed], **ALL_LABELS},
        )

    @get("/{enterprise_id:int}", sync_to_thread=True)
    def enterprise_page(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        enterprise_id: FromPath[int],
        weeks: FromQuery[int | None] = None,
    ) -> Template:
        enterprise = db_session.get(Enterprise, enterprise_id)
        if not is_public(enterprise):
            raise NotFoundException(N_("没有该企业"))
        weeks = window_weeks(weeks)
        today = utcnow().astimezone(SHANGHAI).date()
        region = regions().get(enterprise.region_code)
        return Template(
            "public/enterprise.html",
            context={
                "enterprise": enterprise,
                "region": region.name if region else "",
                "marks": [m for m in marks(db_session, enterprise.id) if m.in_force(today)],
                "card": shown_card(request, db_session, enterprise.id, weeks, rules),
                "weeks": weeks,
                "windows": WINDOWS,
                "reasons": REASON_LABELS,
                **ALL_LABELS,
            },
        )
