"""The enterprise's own scorecard: on-time and settlement rates, response time, ratings, trend."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_enterprise_actor
from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.enterprises.models import Enterprise
from odr.enterprises.scorecard import default_window, scorecard
from odr.notify.service import unread_count
from odr.portals.case_page import ESCALATION_REASONS
from odr.text import N_

# Why cases left the enterprise stage, as the scorecard pages name them.
REASON_LABELS = {
    **ESCALATION_REASONS,
    "refund_disputed": N_("消费者对退款有异议"),
}
# The windows a reader may choose, in whole ISO weeks up to today.
WINDOWS = (4, 12, 26, 52)


def window_weeks(weeks: int | None) -> int:
    """The chosen window, or 12 weeks when none (or an unknown one) is asked for."""
    return weeks if weeks in WINDOWS else 12


class EnterpriseScorecardController(Controller):
    path = "/enterprise/scorecard"
    dependencies = {"actor": Provide(provide_enterprise_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def scorecard_page(
        self,
        lagging_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        weeks: FromQuery[int | None] = None,
    ) -> Template:
        weeks = window_weeks(weeks)
        since, until = default_window(utcnow(), weeks)
        enterprise = lagging_session.get_one(Enterprise, actor.enterprise_id)
        return Template(
            "enterprise/scorecard.html",
            context={
                "actor": actor,
                "enterprise": enterprise,
                "card": scorecard(lagging_session, enterprise.id, since, until, rules.calendar),
                "weeks": weeks,
                "windows": WINDOWS,
                "reasons": REASON_LABELS,
                "unread": unread_count(lagging_session, actor),
            },
        )
