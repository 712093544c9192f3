"""Enrolment as an ODR enterprise from the enterprise portal: the commitment (承诺书), the
application a manager signs, and the office's decisions so far."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_admin, provide_enterprise_actor
from odr.clock import utcnow
from odr.enterprises import supervision
from odr.enterprises.labels import ALL_LABELS
from odr.enterprises.models import Enterprise
from odr.errors import InvalidData
from odr.notify.service import unread_count
from odr.portals.forms import UrlForm


class EnterpriseEnrolmentController(Controller):
    path = "/enterprise/enrolment"
    dependencies = {
        "actor": Provide(provide_enterprise_actor, sync_to_thread=True),
        "manager": Provide(provide_admin, sync_to_thread=False),
    }

    def _page(
        self,
        session: Session,
        actor: Actor,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Template:
        enterprise = session.get_one(Enterprise, actor.enterprise_id)
        return Template(
            "enterprise/enrolment.html",
            context={
                "actor": actor,
                "enterprise": enterprise,
                "commitment": supervision.COMMITMENT_TEXT,
                "applications": supervision.applications(session, enterprise.id),
                "pending": supervision.pending_application(session, enterprise.id),
                "errors": errors or {},
                "values": values or {},
                "unread": unread_count(session, actor),
                **ALL_LABELS,
            },
            status_code=status_code,
        )

    @get("/", sync_to_thread=True)
    def enrolment_page(
        self, db_session: NamedDependency[Session], actor: NamedDependency[Actor]
    ) -> Template:
        return self._page(db_session, actor)

    @post("/", sync_to_thread=True)
    def apply(
        self,
        db_session: NamedDependency[Session],
        manager: NamedDependency[Actor],
        data: UrlForm,
    ) -> Template | Redirect:
        """A manager signs the commitment and applies; the competent office decides."""
        enterprise = db_session.get_one(Enterprise, manager.enterprise_id)
        try:
            supervision.apply(
                db_session,
                enterprise,
                manager,
                signatory=str(data.get("signatory", "")),
                agreed=data.get("agreed") == "1",
                now=utcnow(),
            )
        except InvalidData as exc:
            return self._page(db_session, manager, exc.errors, data, status_code=400)
        return Redirect("/enterprise/enrolment", status_code=303)
