"""create_app(settings) -> Litestar: the three portals, the JSON API, background loops."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin, SyncSessionConfig
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from odr.background import running
from odr.cases.workflow_versions import pin_versions
from odr.clock import utcnow
from odr.db.engine import make_session_factory, primary_engine, replica_engine, transaction
from odr.db.group_commit import GroupCommit
from odr.db.web import LAGGING_SESSION, RequestSessions
from odr.engine.rules import Rules, load_rules
from odr.enterprises.api import EnterpriseApi
from odr.intake.api import IntakeApi
from odr.intake.api12315 import TransferApi
from odr.intake.idempotency import IdempotencyMiddleware
from odr.ops.health import live, ready
from odr.ops.logging import AccessLogMiddleware
from odr.ops.metrics import http_metrics, metrics
from odr.ops.stores import make_stores
from odr.portals.captures import (
    CaptureDeskController,
    capture_report,
    capture_screenshot,
    capture_warc,
    consumer_capture,
)
from odr.portals.consumer.controller import ConsumerController
from odr.portals.disclosure_desk import (
    EnterpriseDisclosureController,
    RegulatorDisclosureController,
)
from odr.portals.documents import download_document
from odr.portals.enterprise.controller import EnterpriseController
from odr.portals.enterprise.enrolment import EnterpriseEnrolmentController
from odr.portals.enterprise.scorecard import EnterpriseScorecardController
from odr.portals.enterprise.settings import EnterpriseSettingsController
from odr.portals.enterprise.users import EnterpriseUsersController, OwnPasswordController
from odr.portals.errors import EXCEPTION_HANDLERS, answer_errors_within
from odr.portals.evidence import download_evidence
from odr.portals.i18n import switch_language
from odr.portals.login import login_handlers
from odr.portals.public.controller import PublicEnterpriseController
from odr.portals.public.disclosures import PublicDisclosureController
from odr.portals.regulator.calls import CallsController
from odr.portals.regulator.controller import RegulatorController
from odr.portals.regulator.dashboard import RegulatorDashboardController
from odr.portals.regulator.dead_letters import DeadLetterController
from odr.portals.regulator.enterprises import RegulatorEnterprisesController
from odr.portals.regulator.reports import RegulatorReportsController
from odr.portals.templating import PORTALS_DIR, make_environment
from odr.security import access_codes
from odr.security.headers import security_headers
from odr.security.nul_bytes import refuse_nul_bytes
from odr.security.production import check_production
from odr.settings import Settings

MAX_BODY_BYTES = 1024 * 1024


def create_app(settings: NamedDependency[Settings] | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    check_production(settings)  # before anything opens: a clear error, not a weak secret
    access_codes.use_key(settings)
    engine = primary_engine(settings)
    factory = make_session_factory(engine)
    replica = replica_engine(settings)  # reads that may lag a few seconds (odr/db/web.py)
    replica_factory = None if replica is None else make_session_factory(replica)
    rules = load_rules(settings.workflows_dir.resolve(), settings.intake_office_code)
    with transaction(factory) as session:
        pin_versions(session, rules, utcnow())
    secret = hashlib.sha256(settings.secret_key.encode()).digest()
    ops = make_stores(settings, secret)  # sessions and rate limits: Redis or here
    # The API's writes, many requests to a transaction.
    group_commit = GroupCommit(factory, writers=settings.group_commit_writers)

    @asynccontextmanager
    async def background(_app: Litestar) -> AsyncIterator[None]:
        if not settings.background_jobs:
            yield
            return
        async with running(factory, rules, settings):
            yield

    @asynccontextmanager
    async def closing_group_commit(_app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            group_commit.close()
            if replica is not None:
                replica.dispose()

    db = RequestSessions(
        engine_instance=engine,
        session_maker=factory,
        session_config=SyncSessionConfig(expire_on_commit=False),
        lagging_reads=replica_factory,
    )
    return Litestar(
        route_handlers=[
            ConsumerController,
            EnterpriseController,
            EnterpriseSettingsController,
            EnterpriseUsersController,
            OwnPasswordController,
            RegulatorController,
            CallsController,
            RegulatorDashboardController,
            RegulatorReportsController,
            DeadLetterController,
            EnterpriseScorecardController,
            EnterpriseEnrolmentController,
            RegulatorEnterprisesController,
            PublicEnterpriseController,
            PublicDisclosureController,
            EnterpriseDisclosureController,
            RegulatorDisclosureController,
            IntakeApi,
            TransferApi,
            EnterpriseApi,
            download_evidence,
            download_document,
            CaptureDeskController,
            capture_screenshot,
            capture_warc,
            capture_report,
            consumer_capture,
            switch_language,
            *login_handlers,
            live,
            ready,
            metrics,
            create_static_files_router("/static", directories=[PORTALS_DIR / "static"]),
        ],
        plugins=[SQLAlchemyPlugin(config=db)],
        dependencies={
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
            "rules": Provide(lambda: rules, use_cache=True, sync_to_thread=False),
            LAGGING_SESSION: Provide(db.provide_lagging_session, sync_to_thread=False),
        },
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(make_environment(rules))
        ),
        csrf_config=CSRFConfig(
            secret=secret.hex(),
            cookie_name="odr_csrf",
            cookie_httponly=True,  # no script reads it: forms carry the token
            cookie_secure=settings.production,
            exclude=["/api/", "/health/", "/schema", "/metrics"],
        ),
        middleware=[
            AccessLogMiddleware,
            http_metrics().middleware,
            IdempotencyMiddleware,
            ops.session_middleware,
            answer_errors_within,  # last: the middleware above see the status the client gets
        ],
        stores=ops.stores,
        before_request=refuse_nul_bytes,  # "%00" in a path, query or form: a 400, not a 500
        before_send=[security_headers(settings.production)],  # every response
        exception_handlers=EXCEPTION_HANDLERS,
        # /schema documents the JSON API (its controllers opt in); the HTML portals are not an API.
        openapi_config=OpenAPIConfig(title="odr", version="0.1.0", path="/schema"),
        include_in_schema=False,
        # A body larger than this is refused with 413 before it is read; the complaint form
        # (evidence files) and the 12315 transfer raise their own caps on their handlers.
        request_max_body_size=MAX_BODY_BYTES,
        lifespan=[ops.lifespan, background, closing_group_commit],
        state=State(
            {
                "settings": settings,
                "rules": rules,
                "session_factory": factory,
                "replica_session_factory": replica_factory,  # None: no replica
                "group_commit": group_commit,
                "rate_limit_counters": ops.counters,
            }
        ),
        debug=settings.debug,
        logging_config=None,  # odr/ops/logging.py sets up logging (text or JSON lines)
    )


def rules_of(app: Litestar) -> Rules:
    return app.state["rules"]
