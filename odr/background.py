"""The sweeper and dispatcher loops that `odr serve` runs in-process and `odr worker` runs alone."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TypeVar

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from odr.captures.service import run_captures
from odr.cases.anchors import anchor_if_due
from odr.cases.disclosure import publish_due
from odr.cases.stats import refresh_stale_snapshots
from odr.cases.sweeper import clock, sweep
from odr.db.engine import database_unavailable
from odr.engine.rules import Rules
from odr.enterprises import stored_scorecards
from odr.intake.form_tokens import forget_expired
from odr.notify.dispatcher import dispatch
from odr.ops.metrics import timed_pass
from odr.settings import Settings

log = logging.getLogger("odr.background")
T = TypeVar("T")


MAX_BACKOFF = 10.0  # seconds between tries while the database is away
FORM_TOKENS_INTERVAL = 600.0
# Seconds between passes that publish closed complaints (a notice period ends at a day's end).
DISCLOSURE_INTERVAL = 300.0  # seconds between clean-ups of a day-old form's receipt and files


async def every(interval: float, job: Callable[[], int], name: str) -> None:
    """Run a blocking job in a thread every `interval` seconds; log and go on after failures.
    While the database is away, wait longer between tries (up to MAX_BACKOFF), say so once, and
    say when it answers again."""
    away = 0  # passes failed in a row because the database did not answer
    while True:
        wait = interval
        try:
            with timed_pass(name):  # odr_background_pass_seconds{job=name}
                done = await to_thread.run_sync(job)
            if away:
                log.warning("%s: the database answers again; resuming", name)
                away = 0
            if done:
                log.info("%s: %s done", name, done)
        except Exception as exc:  # the database may be away for a while: try again later
            if not database_unavailable(exc):
                log.exception("%s failed; retrying in %.1fs", name, interval)
            else:
                away += 1
                wait = min(interval * 2**away, max(interval, MAX_BACKOFF))
                if away == 1:
                    log.warning(
                        "%s: the database is unreachable (%s); retrying every %.0fs at most",
                        name,
                        type(exc).__name__,
                        max(interval, MAX_BACKOFF),
                    )
        await asyncio.sleep(wait)


def when_database_answers(job: Callable[[], T], name: str) -> T:
    """Run a blocking start-up step, waiting (and saying so) while the database is away."""
    delay = 0.5
    while True:
        try:
            return job()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("%s: the database is unreachable (%s); waiting", name, type(exc).__name__)
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)


# How often the loop looks whether an anchor is due (the anchor itself comes once an interval).
ANCHOR_CHECK_SECONDS = 300.0


# How often the loop looks for stale rollups (each is computed again once it is older than
# ODR_ROLLUP_INTERVAL).
ROLLUP_CHECK_SECONDS = 60.0


def refresh_rollups(factory: sessionmaker[Session], rules: Rules, settings: Settings) -> int:
    """Compute again the stored dashboards and scorecards older than the rollup interval."""
    now, max_age = clock(settings), timedelta(seconds=settings.rollup_interval_seconds)
    dashboards = refresh_stale_snapshots(factory, now, rules.calendar, max_age)
    return dashboards + stored_scorecards.refresh_stale(factory, rules.calendar, now, max_age)


def loops(factory: sessionmaker[Session], rules: Rules, settings: Settings) -> list:
    anchoring = []
    if settings.anchor_interval_seconds > 0:
        interval = timedelta(seconds=settings.anchor_interval_seconds)
        anchoring.append(
            every(
                min(ANCHOR_CHECK_SECONDS, settings.anchor_interval_seconds),
                lambda: anchor_if_due(factory, clock(settings), interval),
                "anchor",
            )
        )
    return [
        *anchoring,
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
        # Closed complaints whose notice period is over are published (消费投诉信息公示).
        every(
            DISCLOSURE_INTERVAL,
            lambda: publish_due(
                factory, rules, settings.disclosure_notice_days, now=clock(settings)
            ),
            "disclosure",
        ),
        # The stored dashboards and scorecards the pages show, computed again once stale.
        every(
            ROLLUP_CHECK_SECONDS,
            lambda: refresh_rollups(factory, rules, settings),
            "rollups",
        ),
        # Web captures (odr/captures/): a few at once in this process, each with its browser.
        every(
            settings.capture_interval_seconds,
            lambda: run_captures(factory, settings, now=clock(settings)),
            "captures",
        ),
        # Receipts and held files of complaint forms live a day (odr/intake/form_tokens.py).
        every(
            FORM_TOKENS_INTERVAL,
            lambda: forget_expired(factory, settings.evidence_dir, now=clock(settings)),
            "form tokens",
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
