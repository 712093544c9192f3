"""Which database errors are an outage (503, retry later) and which a fault (500), and how the
background loops take them: one warning and a longer wait, not a traceback every round."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from odr.background import every
from odr.db.engine import database_unavailable
from odr.portals.errors import EXCEPTION_HANDLERS


class Refused(Exception):
    pass


def _operational() -> OperationalError:
    return OperationalError("SELECT 1", {}, Refused("connection refused"))


def test_outages_are_told_from_faults() -> None:
    assert database_unavailable(_operational())
    assert database_unavailable(PoolTimeout("QueuePool limit reached"))
    assert not database_unavailable(IntegrityError("INSERT", {}, Refused("unique")))
    assert not database_unavailable(ValueError("no database here"))


def test_an_outage_is_503_and_a_fault_500() -> None:
    @get("/api/v1/away", sync_to_thread=False)
    def api_away() -> None:
        raise _operational()

    @get("/api/v1/broken", sync_to_thread=False)
    def api_broken() -> None:
        raise IntegrityError("INSERT", {}, Refused("unique"))

    app = Litestar([api_away, api_broken], exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    with TestClient(app) as client:
        away = client.get("/api/v1/away")
        assert away.status_code == 503
        assert away.headers["content-type"].startswith("application/problem+json")
        assert away.headers["retry-after"] == "30"
        assert "database" in away.json()["detail"]
        broken = client.get("/api/v1/broken")
        assert broken.status_code == 500 and broken.json()["detail"] == "internal error"
    # The portals' 503 page, in both languages: tests/faults/test_database_outage.py.


def test_a_loop_waits_longer_while_the_database_is_away(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def job() -> int:
        calls.append(1)
        if len(calls) <= 3:
            raise _operational()
        return 1

    async def run() -> None:
        task = asyncio.create_task(every(0.01, job, "test-outage"))
        while len(calls) < 5:
            await asyncio.sleep(0.01)
        task.cancel()

    # A loop of its own, in a thread: the browser tests keep one running in this one.
    with caplog.at_level(logging.INFO, logger="odr.background"), ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage().split(";")[0] for r in warnings] == [
        "test-outage: the database is unreachable (OperationalError)",
        "test-outage: the database answers again",
    ]
    assert not any(r.exc_info for r in caplog.records)  # no traceback for an outage
