"""Liveness and readiness for the load balancer: JSON, never an HTML error page."""

from __future__ import annotations

import logging
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from odr.db.engine import reading
from odr.db.migrate import is_current
from odr.db.replica import replay_lag_seconds

log = logging.getLogger("odr.health")


@get("/health/live", sync_to_thread=False, include_in_schema=False, skip_session=True)
def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@get("/health/ready", include_in_schema=False, skip_session=True)
async def ready(request: Request) -> Response[dict[str, Any]]:
    """200 when the database answers and is at the newest migration (and Redis answers, when
    configured), else 503 saying which. With a read replica, also how it is and its lag: a
    replica that does not answer fails only the pages that read it, so it is reported, not
    made a reason to take this server out of the load balancer."""
    factory = request.app.state["session_factory"]
    try:
        current = await to_thread.run_sync(_migrations_current, factory)
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return _unavailable(database="unreachable", detail="the database does not answer")
    if not current:
        return _unavailable(
            database="ok",
            migrations="not current",
            detail="database migrations are not current: run `odr db upgrade`",
        )
    if not await request.app.state["rate_limit_counters"].reachable():
        return _unavailable(
            database="ok",
            migrations="current",
            redis="unreachable",
            detail="Redis (ODR_REDIS_URL) does not answer",
        )
    answer: dict[str, Any] = {"status": "ready", "database": "ok", "migrations": "current"}
    replica = request.app.state.get("replica_session_factory")
    if replica is not None:
        answer |= await to_thread.run_sync(_replica_state, replica)
    return Response(answer)


def _migrations_current(factory: sessionmaker[Session]) -> bool:
    with reading(factory) as session:  # the load balancer's probe never waits for a writer
        session.execute(text("SELECT 1"))
        return is_current(session.connection())


def _replica_state(factory: sessionmaker[Session]) -> dict[str, Any]:
    """The replica's state for the probe: ok with its lag, unreachable, or not a replica."""
    try:
        with reading(factory) as session:
            lag = replay_lag_seconds(session)
    except SQLAlchemyError as exc:
        log.warning("readiness: read replica unreachable (%s)", type(exc).__name__)
        return {"replica": "unreachable"}
    if lag is None:
        return {"replica": "not a replica (not in recovery)"}
    return {"replica": "ok", "replica_lag_seconds": round(lag, 3)}


def _unavailable(**fields: str) -> Response[dict[str, Any]]:
    return Response({"status": "unavailable", **fields}, status_code=503)
