"""The answers of odr/ops that people read: the 429 page (or problem JSON under /api)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader
from litestar import MediaType, Request, Response
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.types import ASGIApp

from odr.text import N_, both

TEMPLATES = Path(__file__).resolve().parent / "templates"
TOO_MANY = N_("尝试次数过多，请稍后再试")


@cache
def _environment(portals: Environment) -> Environment:
    """The portals' Jinja environment (base.html, filters, gettext) that also finds our templates."""
    loaders: list[BaseLoader] = [FileSystemLoader(TEMPLATES)]
    if portals.loader is not None:
        loaders.append(portals.loader)
    return portals.overlay(loader=ChoiceLoader(loaders))


def too_many_requests(request: Request[Any, Any, Any], retry_after: int) -> ASGIApp:
    """429 with Retry-After: problem+json for the API, a page in the reader's language elsewhere."""
    headers = {"Retry-After": str(retry_after)}
    if request.url.path.startswith("/api/"):
        body = {
            "type": "about:blank",
            "title": "Too many requests",
            "status": 429,
            "detail": both(TOO_MANY),
            "retry_after": retry_after,
        }
        response: Response = Response(
            body, status_code=429, media_type="application/problem+json", headers=headers
        )
    else:
        templates = request.app.template_engine
        if not isinstance(templates, JinjaTemplateEngine):
            raise RuntimeError("odr's pages need the Jinja template engine (odr/app.py)")
        template = _environment(templates.engine).get_template("too_many_requests.html")
        html = template.render(request=request, minutes=max(1, -(-retry_after // 60)))
        response = Response(html, status_code=429, media_type=MediaType.HTML, headers=headers)
    return response.to_asgi_response(app=None, request=request)
