"""/metrics in the Prometheus text format: HTTP requests, case and outbox gauges, background passes.

One registry per process, scraped per process. `odr serve` is one uvicorn process and
`odr worker` another (it serves its own /metrics on --metrics-port): Prometheus scrapes each as
its own target and sums over `instance`. We do not use prometheus_client's multiprocess mode: it
needs a shared directory wiped at every restart, and its gauges and histograms cost a file per
process and metric; it is only needed when one port fronts several forked workers, which odr does
not do. (If PROMETHEUS_MULTIPROC_DIR is set anyway, the endpoint reads that directory.)

The case and outbox gauges are counted from the database when scraped (cached for a few
seconds), so every process reports the same numbers: aggregate them with max(), not sum().
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Request, Response, get
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.models import Case
from odr.clock import utcnow
from odr.db.engine import reading
from odr.db.replica import replay_lag_seconds
from odr.engine.rules import Rules
from odr.notify.models import Notification

# A sweep or dispatch pass: usually well under a second, minutes when far behind.
PASS_SECONDS = Histogram(
    "odr_background_pass_seconds",
    "Duration of one pass of a background job (sweeper, dispatcher)",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
RATE_LIMITED = Counter("odr_rate_limited", "Attempts refused by a rate limit (429)", ["limit"])
GAUGE_CACHE_SECONDS = 10.0


def http_metrics() -> PrometheusConfig:
    """Requests by route template (never the raw path: no case numbers as labels) and status."""
    return PrometheusConfig(
        app_name="odr",
        prefix="odr_http",
        group_path=True,
        exclude=["^/metrics", "^/static/"],
    )


@contextmanager
def timed_pass(job: str) -> Iterator[None]:
    """Observe how long one pass of `job` takes, also when it fails."""
    start = time.perf_counter()
    try:
        yield
    finally:
        PASS_SECONDS.labels(job).observe(time.perf_counter() - start)


def open_states(rules: Rules) -> dict[str, frozenset[str]]:
    """Workflow name -> its states that are not terminal, in every version cases may run."""
    found: dict[str, set[str]] = {}
    for workflow in [*rules.workflows.values(), *rules.versions.values()]:
        found.setdefault(workflow.name, set()).update(
            name for name, state in workflow.states.items() if not state.terminal
        )
    return {name: frozenset(states) for name, states in found.items()}


class DatabaseCollector(Collector):
    """Open cases by state, overdue cases and the outbox, counted from the database when scraped.

    Only open states: a count over the state index grows with the open cases, not with every
    case ever closed (a GROUP BY over all cases grows with every year of national volume; the
    figures: benchmarks/README.md).
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        states: dict[str, frozenset[str]],
        replica: sessionmaker[Session] | None = None,
    ):
        self.factory = factory
        self.states = states
        self.replica = replica  # the read replica's sessions (ODR_DATABASE_REPLICA_URL), if any
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > GAUGE_CACHE_SECONDS:
            self._cached = (now, self._count())
        yield from self._cached[1]

    def _count(self) -> list[Metric]:
        with reading(self.factory) as session:
            names = sorted(set().union(*self.states.values()))
            by_state = session.execute(
                select(Case.workflow, Case.state, func.count())
                .where(Case.state.in_(names))
                .group_by(Case.workflow, Case.state)
            ).all()
            overdue = session.scalar(
                select(func.count())
                .select_from(Case)
                .where(Case.closed_at.is_(None), Case.due_at < utcnow())
            )
            outbox = dict(
                session.execute(
                    select(Notification.status, func.count())
                    .where(Notification.status.in_(("pending", "sending", "dead")))
                    .group_by(Notification.status)
                ).all()
            )
        cases = GaugeMetricFamily(
            "odr_cases_open", "Open cases by workflow and state", labels=["workflow", "state"]
        )
        for workflow, state, count in by_state:
            if state in self.states.get(workflow, ()):
                cases.add_metric([workflow, state], count)
        late = GaugeMetricFamily(
            "odr_cases_overdue",
            "Open cases whose deadline has passed and not yet fired (grows when the sweeper lags)",
            value=overdue or 0,
        )
        backlog = GaugeMetricFamily(
            "odr_outbox_backlog", "Notifications waiting to be delivered", labels=["status"]
        )
        for status in ("pending", "sending"):
            backlog.add_metric([status], outbox.get(status, 0))
        dead = GaugeMetricFamily(
            "odr_outbox_dead",
            "Notifications that failed every attempt (dead letters)",
            value=outbox.get("dead", 0),
        )
        return [cases, late, backlog, dead, *self._replica()]

    def _replica(self) -> list[Metric]:
        """Whether the read replica answers, and its lag (one query of the replica)."""
        if self.replica is None:
            return []
        try:
            with reading(self.replica) as session:
                lag = replay_lag_seconds(session)
        except SQLAlchemyError:
            lag, up = None, 0
        else:
            up = 1
        found: list[Metric] = [
            GaugeMetricFamily("odr_db_replica_up", "The read replica answers", value=up)
        ]
        if lag is not None:
            found.append(
                GaugeMetricFamily(
                    "odr_db_replica_lag_seconds",
                    "Seconds the read replica's reads are behind the primary (0: all replayed)",
                    value=lag,
                )
            )
        return found


class _ProcessMetrics(Collector):
    """This process's own metrics (or, in multiprocess mode, every process's)."""

    def collect(self) -> Iterator[Metric]:
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()


def registry_for(
    factory: sessionmaker[Session] | None = None,
    rules: Rules | None = None,
    replica: sessionmaker[Session] | None = None,
) -> CollectorRegistry:
    """The process's metrics, plus the database gauges when there is a database to count (and
    the read replica's, when there is one)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    if factory is not None and rules is not None:
        registry.register(DatabaseCollector(factory, open_states(rules), replica))
    return registry


@get(
    "/metrics",
    sync_to_thread=True,
    include_in_schema=False,
    exclude_from_csrf=True,
    skip_session=True,
)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Everything above in the Prometheus text format."""
    registry = request.app.state.get("metrics_registry")
    if registry is None:
        state = request.app.state
        registry = state["metrics_registry"] = registry_for(
            state["session_factory"], state["rules"], state.get("replica_session_factory")
        )
    # litestar adds "; charset=utf-8" to text types itself: give the type without it.
    media_type = CONTENT_TYPE_LATEST.split("; charset=")[0]
    return Response(generate_latest(registry), media_type=media_type)
