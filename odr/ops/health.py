"""Liveness and readiness for the load balancer: JSON, never an HTML error page."""

from __future__ import annotations

import logging

from litestar import Request, Response, get
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from odr.db.migrate import is_current

log = logging.getLogger("odr.health")


@get("/health/live", sync_to_thread=False, include_in_schema=False)
def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@get("/health/ready", sync_to_thread=True, include_in_schema=False)
def ready(request: Request) -> Response[dict[str, str]]:
    """200 when the database answers and is at the newest migration, else 503 saying which."""
    factory = request.app.state["session_factory"]
    try:
        with factory() as session:
            session.execute(text("SELECT 1"))
            current = is_current(session.connection())
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return Response(
            {
                "status": "unavailable",
                "database": "unreachable",
                "detail": "the database does not answer",
            },
            status_code=503,
        )
    if not current:
        return Response(
            {
                "status": "unavailable",
                "database": "ok",
                "migrations": "not current",
                "detail": "database migrations are not current: run `odr db upgrade`",
            },
            status_code=503,
        )
    return Response({"status": "ready", "database": "ok", "migrations": "current"})
