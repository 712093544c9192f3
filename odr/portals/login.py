"""Login and logout pages of the enterprise and regulator portals (odr/auth/web.py keeps the
session and the logged-in Actor dependency the portals share)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.service import authenticate
from odr.auth.web import start_session
from odr.clock import utcnow
from odr.errors import LoginFailed
from odr.ops.ratelimit import login_limit
from odr.portals.forms import UrlForm
from odr.text import N_

PORTAL_TITLES = {
    "enterprise": N_("企业处理平台"),
    "regulator": N_("监管工作台"),
}


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
