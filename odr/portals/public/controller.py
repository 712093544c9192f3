"""The public page of an enterprise: its ODR status, lists and scorecard, no personal data."""

from __future__ import annotations

from typing import TypeGuard

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from odr.clock import SHANGHAI, utcnow
from odr.engine.rules import Rules
from odr.enterprises.labels import ALL_LABELS
from odr.enterprises.models import Enterprise
from odr.enterprises.scorecard import default_window, scorecard, scorecards
from odr.enterprises.supervision import marks, public_enterprises
from odr.offices.regions import regions
from odr.portals.enterprise.scorecard import REASON_LABELS, WINDOWS, window_weeks
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
        self, db_session: NamedDependency[Session], rules: NamedDependency[Rules]
    ) -> Template:
        """The ODR enterprises with their two published rates over the last 12 weeks."""
        since, until = default_window(utcnow(), 12)
        listed = [e for e in public_enterprises(db_session) if is_public(e)]
        cards = scorecards(
            db_session, [e.id for e in listed], since, until, rules.calendar, trend=False
        )
        return Template(
            "public/enterprises.html",
            context={"rows": [(e, cards[e.id]) for e in listed], **ALL_LABELS},
        )

    @get("/{enterprise_id:int}", sync_to_thread=True)
    def enterprise_page(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        enterprise_id: FromPath[int],
        weeks: FromQuery[int | None] = None,
    ) -> Template:
        enterprise = db_session.get(Enterprise, enterprise_id)
        if not is_public(enterprise):
            raise NotFoundException(N_("没有该企业"))
        weeks = window_weeks(weeks)
        now = utcnow()
        since, until = default_window(now, weeks)
        today = now.astimezone(SHANGHAI).date()
        region = regions().get(enterprise.region_code)
        return Template(
            "public/enterprise.html",
            context={
                "enterprise": enterprise,
                "region": region.name if region else "",
                "marks": [m for m in marks(db_session, enterprise.id) if m.in_force(today)],
                "card": scorecard(db_session, enterprise.id, since, until, rules.calendar),
                "weeks": weeks,
                "windows": WINDOWS,
                "reasons": REASON_LABELS,
                **ALL_LABELS,
            },
        )
