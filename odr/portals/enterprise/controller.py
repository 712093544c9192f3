"""The enterprise portal: an inbox sorted by deadline, the case page, and its actions."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_enterprise_actor
from odr.cases.models import Case
from odr.cases.service import utcnow
from odr.engine.rules import Rules
from odr.enterprises.models import Enterprise
from odr.notify.service import unread_count
from odr.portals.case_page import deadline_of
from odr.portals.staff_controller import StaffController

INBOX_LIMIT = 200


def inbox(session: Session, enterprise_id: int, show_closed: bool) -> list[Case]:
    """The enterprise's cases (a platform's include its merchants'), nearest deadline first."""
    merchants = select(Enterprise.id).where(Enterprise.platform_id == enterprise_id)
    statement = select(Case).where(
        or_(
            Case.enterprise_id == enterprise_id,
            Case.respondent_id == enterprise_id,
            Case.respondent_id.in_(merchants),
        )
    )
    if not show_closed:
        statement = statement.where(Case.closed_at.is_(None))
    statement = statement.order_by(Case.due_at.is_(None), Case.due_at, Case.id.desc())
    return list(session.scalars(statement.limit(INBOX_LIMIT)))


class EnterpriseController(StaffController):
    path = "/enterprise"
    dependencies = {"actor": Provide(provide_enterprise_actor, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def inbox_page(
        self,
        db_session: NamedDependency[Session],
        rules: NamedDependency[Rules],
        actor: NamedDependency[Actor],
        show: FromQuery[str] = "open",
    ) -> Template:
        cases = inbox(db_session, actor.enterprise_id or 0, show == "all")
        now = utcnow()
        rows = [
            (
                c,
                rules.workflow(c.workflow, c.workflow_version).states[c.state],
                deadline_of(c, rules, now),
            )
            for c in cases
        ]
        return Template(
            "enterprise/inbox.html",
            context={
                "rows": rows,
                "actor": actor,
                "show": show,
                "unread": unread_count(db_session, actor),
            },
        )
