"""The regulator workbench: office-scoped queues with filters, the case page and every
regulator action, the bulk-complaint clusters."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.models import User
from odr.auth.web import provide_regulator_actor
from odr.cases.campaigns import load_campaigns
from odr.cases.clusters import CLAIMANT_WINDOW, CLUSTER_WINDOW, clusters, frequent_claimants
from odr.cases.deadlines import deadline_of
from odr.cases.models import CHANNELS, REPORT_CLAIM
from odr.cases.paging import Cursor
from odr.cases.queues import (
    COUNT_CAP,
    QUEUE_NAMES,
    QUEUES,
    parse_filter,
    queue_page,
)
from odr.clock import utcnow
from odr.engine.rules import Rules
from odr.enterprises.models import Enterprise
from odr.notify.service import unread_count
from odr.portals.case_page import ESCALATION_REASONS
from odr.portals.search import search_page
from odr.portals.staff_controller import StaffController
from odr.settings import Settings
from odr.text import N_

CHANNEL_LABELS = {
    "web": N_("网页"),
    "api": N_("企业接口"),
    "12315": N_("12315 转办"),
    "phone": N_("电话代为登记"),
    "visit": N_("窗口代为登记"),
    "letter": N_("信件代为登记"),
}
REPORT_LABEL = N_("举报")


class RegulatorController(StaffController):
    path = "/regulator"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def queue_page(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        queue: FromQuery[str] = "escalated",
        category: FromQuery[str] = "",
        enterprise: FromQuery[str] = "",
        platform: FromQuery[str] = "",
        channel: FromQuery[str] = "",
        campaign: FromQuery[str] = "",
        mine: FromQuery[str] = "",
        after: FromQuery[str] = "",
    ) -> Template:
        """A queue of the office's open cases by deadline, filtered, a page at a time."""
        queue = queue if queue in QUEUE_NAMES else "escalated"
        campaigns = load_campaigns(settings.workflows_dir)
        categories = {**rules.workflow().lists.get("claim_types", {}), REPORT_CLAIM: REPORT_LABEL}
        chosen = parse_filter(
            {
                "category": category,
                "enterprise": enterprise,
                "platform": platform,
                "channel": channel,
                "campaign": campaign,
                "mine": mine,
            },
            categories=categories,
            campaigns=campaigns,
        )
        now = utcnow()
        page = queue_page(
            db_session,
            actor.office_ids,
            queue,
            chosen,
            now,
            user_id=actor.user_id,
            cursor=Cursor.decode(after),
        )
        handlers = {
            u.id: u
            for u in db_session.scalars(
                select(User).where(User.role == "regulator", User.office_id.in_(actor.office_ids))
            )
        }
        rows = [
            (
                c,
                rules.workflow(c.workflow, c.workflow_version).states[c.state],
                deadline_of(c, rules, now),
                ESCALATION_REASONS.get(c.escalation_reason or ""),
                handlers.get(c.handler_id) if c.handler_id else None,
                [campaigns[t] for t in c.campaign_tags.split(",") if t in campaigns],
            )
            for c in page.cases
        ]
        query = chosen.as_query()
        next_url = (
            "/regulator?" + urlencode({"queue": queue, **query, "after": page.next_cursor.encode()})
            if page.next_cursor
            else None
        )
        return Template(
            "regulator/queue.html",
            context={
                "rows": rows,
                "queues": QUEUES,
                "queue": queue,
                "counts": page.counts,
                "count_cap": COUNT_CAP,
                "filter": chosen,
                "filter_query": urlencode(query),
                "next_url": next_url,
                "first_url": "/regulator?" + urlencode({"queue": queue, **query})
                if after
                else None,
                "categories": categories,
                "channels": {c: CHANNEL_LABELS[c] for c in CHANNELS},
                "campaigns": campaigns,
                "platforms": db_session.scalars(
                    select(Enterprise)
                    .where(Enterprise.kind == "platform")
                    .order_by(Enterprise.name)
                ).all(),
                "actor": actor,
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
        """案件查询: the cases of the office and those below it that match the query."""
        return search_page(lagging_session, rules, actor, "regulator", q, after)

    @get("/clusters", sync_to_thread=True)
    def cluster_page(
        self, lagging_session: NamedDependency[Session], actor: NamedDependency[Actor]
    ) -> Template:
        """Bulk complaints against one business and product; possible professional claimants."""
        now = utcnow()
        return Template(
            "regulator/clusters.html",
            context={
                "clusters": clusters(lagging_session, actor.office_ids, now),
                "claimants": frequent_claimants(lagging_session, actor.office_ids, now),
                "actor": actor,
                "unread": unread_count(lagging_session, actor),
                "cluster_days": CLUSTER_WINDOW.days,
                "claimant_days": CLAIMANT_WINDOW.days,
            },
        )
