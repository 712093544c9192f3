"""The sweeper and dispatcher loops that `odr serve` runs in-process and `odr worker` runs alone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.sweeper import clock, sweep
from odr.engine.rules import Rules
from odr.notify.dispatcher import dispatch
from odr.ops.metrics import timed_pass
from odr.settings import Settings

log = logging.getLogger("odr.background")


async def every(interval: float, job: Callable[[], int], name: str) -> None:
    """Run a blocking job in a thread every `interval` seconds; log and go on after failures."""
    while True:
        try:
            with timed_pass(name):  # odr_background_pass_seconds{job=name}
                done = await to_thread.run_sync(job)
            if done:
                log.info("%s: %s done", name, done)
        except Exception:  # the database may be away for a while: try again next round
            log.exception("%s failed; retrying in %.0fs", name, interval)
        await asyncio.sleep(interval)


def loops(factory: sessionmaker[Session], rules: Rules, settings: Settings) -> list:
    return [
        every(
            settings.sweep_interval_seconds,
            lambda: sum(sweep(factory, rules, now=clock(settings))),
            "sweeper",
        ),
        every(
            settings.dispatch_interval_seconds,
            lambda: dispatch(factory, settings, now=clock(settings)),
            "dispatcher",
        ),
    ]


@asynccontextmanager
async def running(
    factory: sessionmaker[Session], rules: Rules, settings: Settings
) -> AsyncIterator[None]:
    """Start both loops, keep references, cancel them on shutdown."""
    tasks = [asyncio.create_task(coroutine) for coroutine in loops(factory, rules, settings)]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
