"""The enterprise's own scorecard: on-time and settlement rates, response time, ratings, trend."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_enterprise_actor
from odr.engine.rules import Rules
from odr.enterprises.models import Enterprise
from odr.enterprises.scorecard import WINDOWS, window_weeks
from odr.notify.service import unread_count
from odr.portals.scorecards import REASON_LABELS, shown_card


class EnterpriseScorecardController(Controller):
    path = "/enterprise/scorecard"
    dependencies = {"actor": Provide(provide_enterprise_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def scorecard_page(
        self,
        request: Request,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        weeks: FromQuery[int | None] = None,
    ) -> Template:
        weeks = window_weeks(weeks)
        enterprise = lagging_session.get_one(Enterprise, actor.enterprise_id)
        return Template(
            "enterprise/scorecard.html",
            context={
                "actor": actor,
                "enterprise": enterprise,
                "card": shown_card(request, lagging_session, enterprise.id, weeks, rules),
                "weeks": weeks,
                "windows": WINDOWS,
                "reasons": REASON_LABELS,
                "unread": unread_count(lagging_session, actor),
            },
        )
