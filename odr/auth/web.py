"""The browser session of a portal user and the logged-in Actor dependency (the login pages:
odr/portals/login.py)."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.response import Redirect
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.models import User
from odr.auth.service import actor_for, session_stamp
from odr.text import N_


class LoginRequired(HTTPException):
    status_code = 401

    def __init__(self, portal: str, next_url: str):
        super().__init__(detail="login required")
        self.portal = portal
        self.next_url = next_url


def redirect_to_login(request: Request, exc: LoginRequired) -> Redirect:
    return Redirect(f"/{exc.portal}/login?next={quote(exc.next_url)}", status_code=303)


def start_session(request: Request, user: User) -> None:
    """Log the user in on this browser (a new session: nothing of the one before is kept)."""
    request.set_session({"user_id": user.id, "stamp": session_stamp(user)})


def session_user(request: Request, db_session: Session) -> User | None:
    """The active user logged in on this browser, if the password has not changed since."""
    session = request.session or {}
    user = db_session.get(User, session["user_id"]) if session.get("user_id") else None
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(str(session.get("stamp", "")), session_stamp(user)):
        return None
    return user


def _actor(request: Request, db_session: NamedDependency[Session], portal: str) -> Actor:
    user = session_user(request, db_session)
    if user is None or user.role != portal:
        raise LoginRequired(portal, request.url.path)
    return actor_for(db_session, user)


def provide_enterprise_actor(request: Request, db_session: NamedDependency[Session]) -> Actor:
    return _actor(request, db_session, "enterprise")


def provide_regulator_actor(request: Request, db_session: NamedDependency[Session]) -> Actor:
    return _actor(request, db_session, "regulator")


def provide_admin(actor: NamedDependency[Actor]) -> Actor:
    """The logged-in user, if an enterprise manager or a regulator admin (else 403)."""
    if not actor.is_admin:
        raise PermissionDeniedException(N_("只有管理员可以使用"))
    return actor
