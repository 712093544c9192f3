"""Notifications given up on after every retry, for a regulator admin to look at and retry."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.web import provide_admin, provide_regulator_actor
from odr.cases import dead_letters
from odr.clock import utcnow
from odr.notify import service as notifications
from odr.text import N_


class DeadLetterController(Controller):
    path = "/regulator/dead-letters"
    dependencies = {
        "actor": Provide(provide_regulator_actor, sync_to_thread=True),
        "admin": Provide(provide_admin, sync_to_thread=False),
    }

    @get("/", sync_to_thread=True)
    def dead_letter_page(
        self, db_session: NamedDependency[Session], admin: NamedDependency[Actor]
    ) -> Template:
        return Template(
            "regulator/dead_letters.html",
            context={
                "rows": dead_letters.dead_letters(db_session, admin.office_ids),
                "actor": admin,
                "unread": notifications.unread_count(db_session, admin),
            },
        )

    @post("/{notification_id:int}/retry", sync_to_thread=True)
    def retry(
        self,
        db_session: NamedDependency[Session],
        admin: NamedDependency[Actor],
        notification_id: FromPath[int],
    ) -> Redirect:
        if not dead_letters.retry(db_session, notification_id, admin.office_ids, utcnow()):
            raise NotFoundException(N_("没有该条失败通知"))
        return Redirect("/regulator/dead-letters", status_code=303)
