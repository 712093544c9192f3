"""The regulator workbench: office-scoped queues, the case page and every regulator action."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from odr.auth.actor import Actor
from odr.auth.web import provide_regulator_actor
from odr.cases.clusters import CLAIMANT_WINDOW, CLUSTER_WINDOW, clusters, frequent_claimants
from odr.cases.models import Case
from odr.cases.service import utcnow
from odr.engine.rules import Rules
from odr.notify.service import unread_count
from odr.portals.case_page import (
    ESCALATION_REASONS,
    deadline_of,
)
from odr.portals.staff_controller import StaffController

QUEUE_LIMIT = 200
ACCEPTANCE_STATES = ("acceptance", "acceptance_overdue", "acceptance_escalated")

# Each queue: its label and which cases it holds.
QUEUES: dict[str, tuple[dict[str, str], ColumnElement[bool]]] = {
    "escalated": (
        {"zh": "企业协商未果升级", "en": "Escalated"},
        Case.state.in_(ACCEPTANCE_STATES) & Case.escalation_reason.is_not(None),
    ),
    "acceptance": (
        {"zh": "待受理（直接投诉）", "en": "Awaiting acceptance"},
        Case.state.in_(ACCEPTANCE_STATES) & Case.escalation_reason.is_(None),
    ),
    "triage": ({"zh": "待分派", "en": "Triage"}, Case.state == "triage"),
    "mediation": (
        {"zh": "调解中", "en": "In mediation"},
        Case.state.in_(("mediation", "testing", "recusal_pending", "mediation_ending")),
    ),
    "reports": (
        {"zh": "举报线索", "en": "Reports"},
        Case.state.in_(("review", "review_extended", "review_overdue", "reporter_notice")),
    ),
}


class RegulatorController(StaffController):
    path = "/regulator"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def queue_page(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        queue: FromQuery[str] = "escalated",
    ) -> Template:
        queue = queue if queue in QUEUES else "escalated"
        in_scope = Case.office_id.in_(actor.office_ids)
        counts = {
            name: db_session.scalar(select(func.count()).where(in_scope, condition))
            for name, (_, condition) in QUEUES.items()
        }
        cases = db_session.scalars(
            select(Case)
            .where(in_scope, QUEUES[queue][1])
            .order_by(Case.due_at.is_(None), Case.due_at, Case.id)
            .limit(QUEUE_LIMIT)
        ).all()
        now = utcnow()
        rows = [
            (
                c,
                rules.workflow(c.workflow, c.workflow_version).states[c.state],
                deadline_of(c, rules, now),
                ESCALATION_REASONS.get(c.escalation_reason or ""),
            )
            for c in cases
        ]
        return Template(
            "regulator/queue.html",
            context={
                "rows": rows,
                "queues": QUEUES,
                "queue": queue,
                "counts": counts,
                "actor": actor,
                "unread": unread_count(db_session, actor),
            },
        )

    @get("/clusters", sync_to_thread=True)
    def cluster_page(
        self, db_session: NamedDependency[Session], actor: NamedDependency[Actor]
    ) -> Template:
        """Bulk complaints against one business and product; possible professional claimants."""
        now = utcnow()
        return Template(
            "regulator/clusters.html",
            context={
                "clusters": clusters(db_session, actor.office_ids, now),
                "claimants": frequent_claimants(db_session, actor.office_ids, now),
                "actor": actor,
                "unread": unread_count(db_session, actor),
                "cluster_days": CLUSTER_WINDOW.days,
                "claimant_days": CLAIMANT_WINDOW.days,
            },
        )
