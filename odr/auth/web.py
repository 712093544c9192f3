"""Login and logout for the enterprise and regulator portals; the logged-in Actor dependency."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.auth.models import User
from odr.auth.service import LoginFailed, actor_for, authenticate, session_stamp
from odr.cases.service import utcnow
from odr.ops.ratelimit import login_limit
from odr.portals.forms import UrlForm

PORTAL_TITLES = {
    "enterprise": {"zh": "企业处理平台", "en": "Enterprise portal"},
    "regulator": {"zh": "监管工作台", "en": "Regulator workbench"},
}


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
        raise PermissionDeniedException("只有管理员可以使用 / for administrators only")
    return actor


def _safe_next(portal: str, next_url: str | None) -> str:
    """Only a path inside the same portal: never an open redirect."""
    if next_url and next_url.startswith(f"/{portal}") and "//" not in next_url:
        return next_url
    return f"/{portal}"


def _login_page(
    portal: str,
    next_url: str | None,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Template:
    return Template(
        "login.html",
        context={
            "portal": portal,
            "title": PORTAL_TITLES[portal],
            "next": next_url or "",
            "error": error,
            "username": username,
        },
        status_code=status_code,
    )


def _login(
    request: Request, db_session: NamedDependency[Session], portal: str, data: dict[str, Any]
) -> Template | Redirect:
    username = str(data.get("username", ""))[:80]
    password = str(data.get("password", ""))[:200]
    next_url = str(data.get("next", "")) or None
    try:
        user = authenticate(db_session, username, password, portal, utcnow())
    except LoginFailed as exc:
        db_session.commit()  # keep the failure count although the answer is an error
        return _login_page(portal, next_url, str(exc), username, status_code=400)
    start_session(request, user)
    return Redirect(_safe_next(portal, next_url), status_code=303)


@get("/enterprise/login", sync_to_thread=False)
def enterprise_login_page(next: FromQuery[str | None] = None) -> Template:
    return _login_page("enterprise", next)


@post("/enterprise/login", sync_to_thread=True, middleware=[login_limit])
def enterprise_login(
    request: Request, db_session: NamedDependency[Session], data: UrlForm
) -> Template | Redirect:
    return _login(request, db_session, "enterprise", data)


@get("/regulator/login", sync_to_thread=False)
def regulator_login_page(next: FromQuery[str | None] = None) -> Template:
    return _login_page("regulator", next)


@post("/regulator/login", sync_to_thread=True, middleware=[login_limit])
def regulator_login(
    request: Request, db_session: NamedDependency[Session], data: UrlForm
) -> Template | Redirect:
    return _login(request, db_session, "regulator", data)


@post("/logout", sync_to_thread=False)
def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/", status_code=303)


login_handlers = [
    enterprise_login_page,
    enterprise_login,
    regulator_login_page,
    regulator_login,
    logout,
]
