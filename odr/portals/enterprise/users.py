"""An enterprise's users: the manager's page (create agents and managers, deactivate, reset a
password, unlock) and every user's own password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.models import User
from odr.auth.service import (
    ENTERPRISE_ROLES,
    MIN_PASSWORD_LENGTH,
    change_password,
    create_enterprise_user,
    enterprise_user,
    enterprise_users,
    is_locked,
    reset_password,
    unlock,
)
from odr.auth.web import provide_admin, provide_enterprise_actor, start_session
from odr.clock import utcnow
from odr.enterprises.models import Enterprise
from odr.errors import InvalidData
from odr.notify.service import unread_count
from odr.portals.forms import UrlForm
from odr.text import N_

USERS_URL = "/enterprise/users"


class EnterpriseUsersController(Controller):
    path = USERS_URL
    dependencies = {
        "actor": Provide(provide_enterprise_actor, sync_to_thread=True),
        "manager": Provide(provide_admin, sync_to_thread=False),
    }

    def _page(
        self,
        session: Session,
        manager: Actor,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        shown_password: tuple[User, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        now = utcnow()
        users = enterprise_users(session, manager.enterprise_id or 0)
        return Template(
            "enterprise/users.html",
            context={
                "actor": manager,
                "enterprise": session.get(Enterprise, manager.enterprise_id),
                "users": [(u, is_locked(u, now)) for u in users],
                "roles": ENTERPRISE_ROLES,
                "errors": errors or {},
                "values": values or {},
                "shown_password": shown_password,
                "unread": unread_count(session, manager),
            },
            status_code=status_code,
        )

    def _user(self, session: Session, manager: Actor, user_id: int) -> User:
        """A user of the manager's enterprise; 404 for anyone else's, revealing nothing."""
        user = enterprise_user(session, manager.enterprise_id or 0, user_id)
        if user is None:
            raise NotFoundException(N_("用户不存在"))
        return user

    @get("/", sync_to_thread=True)
    def users_page(
        self, db_session: NamedDependency[Session], manager: NamedDependency[Actor]
    ) -> Template:
        return self._page(db_session, manager)

    @post("/", sync_to_thread=True)
    def create_user(
        self, db_session: NamedDependency[Session], manager: NamedDependency[Actor], data: UrlForm
    ) -> Template:
        """A new agent or manager; the page shows the initial password this once."""
        try:
            user, password = create_enterprise_user(
                db_session,
                manager.enterprise_id or 0,
                str(data.get("username", ""))[:80],
                str(data.get("display_name", ""))[:200],
                str(data.get("role", "")),
            )
        except InvalidData as exc:
            return self._page(db_session, manager, exc.errors, data, status_code=400)
        return self._page(db_session, manager, shown_password=(user, password))

    @post("/{user_id:int}/reset-password", sync_to_thread=True)
    def reset(
        self,
        db_session: NamedDependency[Session],
        manager: NamedDependency[Actor],
        user_id: FromPath[int],
    ) -> Template:
        """A new password for the user (also unlocks), shown this once."""
        user = self._user(db_session, manager, user_id)
        return self._page(db_session, manager, shown_password=(user, reset_password(user)))

    @post("/{user_id:int}/unlock", sync_to_thread=True)
    def unlock_user(
        self,
        db_session: NamedDependency[Session],
        manager: NamedDependency[Actor],
        user_id: FromPath[int],
    ) -> Redirect:
        unlock(self._user(db_session, manager, user_id))
        return Redirect(USERS_URL, status_code=303)

    @post("/{user_id:int}/deactivate", sync_to_thread=True)
    def deactivate(
        self,
        db_session: NamedDependency[Session],
        manager: NamedDependency[Actor],
        user_id: FromPath[int],
    ) -> Template | Redirect:
        """The user can no longer log in; a session they hold ends at its next request."""
        user = self._user(db_session, manager, user_id)
        if user.id == manager.user_id:
            errors = {"users": N_("不能停用自己的账号")}
            return self._page(db_session, manager, errors, status_code=400)
        user.active = False
        return Redirect(USERS_URL, status_code=303)

    @post("/{user_id:int}/reactivate", sync_to_thread=True)
    def reactivate(
        self,
        db_session: NamedDependency[Session],
        manager: NamedDependency[Actor],
        user_id: FromPath[int],
    ) -> Redirect:
        self._user(db_session, manager, user_id).active = True
        return Redirect(USERS_URL, status_code=303)


class OwnPasswordController(Controller):
    """Any enterprise user changes their own password."""

    path = "/enterprise/password"
    dependencies = {"actor": Provide(provide_enterprise_actor, sync_to_thread=True)}

    def _page(
        self,
        session: Session,
        actor: Actor,
        errors: dict[str, str] | None = None,
        changed: bool = False,
        status_code: int = 200,
    ) -> Template:
        return Template(
            "enterprise/password.html",
            context={
                "actor": actor,
                "errors": errors or {},
                "changed": changed,
                "min_length": MIN_PASSWORD_LENGTH,
                "unread": unread_count(session, actor),
            },
            status_code=status_code,
        )

    @get("/", sync_to_thread=True)
    def password_page(
        self, db_session: NamedDependency[Session], actor: NamedDependency[Actor]
    ) -> Template:
        return self._page(db_session, actor)

    @post("/", sync_to_thread=True)
    def change(
        self,
        request: Request,
        db_session: NamedDependency[Session],
        actor: NamedDependency[Actor],
        data: UrlForm,
    ) -> Template:
        """A new password ends the user's other sessions; this one goes on."""
        user = db_session.get_one(User, actor.user_id)  # the actor dependency found this user
        try:
            change_password(
                user,
                str(data.get("current_password", ""))[:200],
                str(data.get("new_password", ""))[:200],
                str(data.get("confirm_password", ""))[:200],
            )
        except InvalidData as exc:
            return self._page(db_session, actor, exc.errors, status_code=400)
        start_session(request, user)
        return self._page(db_session, actor, changed=True)
