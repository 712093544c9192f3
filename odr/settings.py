"""Every setting of odr, read from ODR_* environment variables in one place."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent
DEV_SECRET = "odr-development-secret-change-me"


def _data_dir(env_name: str, folder: str) -> Path:
    """A data folder (workflows/, notifications/): the env override, the source tree, or the wheel."""
    if value := os.environ.get(env_name):
        return Path(value)
    in_tree = SOURCE_ROOT / folder
    if in_tree.is_dir():
        return in_tree
    return Path(sys.prefix) / "share" / "odr" / folder


def sqlite_url(var_dir: Path) -> str:
    """The embedded default: a SQLite file in the var folder."""
    return f"sqlite:///{var_dir / 'odr.sqlite3'}"


def _optional(value: str) -> str | None:
    return value or None  # set but empty: unset


def _word(value: str) -> str:
    return value.strip().lower()


def _flag(value: str) -> bool:
    return _word(value) in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = sqlite_url(Path("var"))
    # A streaming replica of the PostgreSQL primary (unset: the primary). Reads that may lag a
    # few seconds go there (odr/db/web.py's lagging_session): dashboards, reports, public pages,
    # search. Writes, and every page showing someone what they just did, read the primary.
    database_replica_url: str | None = None
    # "transaction": a pooler such as PgBouncer in transaction mode stands between odr and
    # PostgreSQL (no prepared statements; timeouts set in each transaction, not at connect).
    database_pooler: str | None = None
    secret_key: str = DEV_SECRET
    var_dir: Path = Path("var")
    workflows_dir: Path = field(default_factory=lambda: _data_dir("ODR_WORKFLOWS_DIR", "workflows"))
    notifications_dir: Path = field(
        default_factory=lambda: _data_dir("ODR_NOTIFICATIONS_DIR", "notifications")
    )
    # The papers' templates (documents/: documents.yaml, document.css, <locale>/<kind>.html.j2).
    documents_dir: Path = field(default_factory=lambda: _data_dir("ODR_DOCUMENTS_DIR", "documents"))
    # The CJK font embedded in the papers' PDFs (unset: fontconfig's WenQuanYi Micro Hei).
    document_font: str | None = None
    # The office that receives complaints whose respondent is unknown (triage), and demo city.
    intake_office_code: str = "450100"
    background_jobs: bool = True
    sweep_interval_seconds: float = 30.0
    dispatch_interval_seconds: float = 5.0
    dispatch_max_attempts: int = 8
    # Seconds after which the worker computes the stored dashboards and scorecards again
    # (odr.cases.stats, odr.enterprises.stored_scorecards): how old the figures a page shows get.
    rollup_interval_seconds: float = 300.0
    # Seconds between anchors of the hash chains (odr/cases/anchors.py); 0: only `odr audit anchor`.
    anchor_interval_seconds: float = 86400.0
    # Working days after a complaint closes before it is published (消费投诉信息公示), in which
    # the business may object to a factual error (odr/cases/disclosure.py).
    disclosure_notice_days: int = 10
    # PostgreSQL: how long to wait for the server (odr/db/engine.py's Timeouts) before 503.
    db_connect_timeout_seconds: float = 5.0
    db_statement_timeout_seconds: float = 10.0
    db_pool_timeout_seconds: float = 10.0
    db_keepalive_seconds: float = 30.0
    # PostgreSQL: connections a process keeps open to a database (the primary, and the replica
    # apart), and how many more it may open at busy moments (README: "More than one machine").
    db_pool_size: int = 5
    db_pool_overflow: int = 10
    # An Idempotency-Key claimed this long without an answer belongs to a dead process.
    idempotency_lease_seconds: float = 60.0
    # Transactions the API's group commit runs at once on PostgreSQL (SQLite: always one).
    group_commit_writers: int = 1
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False  # implicit TLS (port 465) instead of STARTTLS
    smtp_ca_file: str | None = None  # trust this CA for the SMTP server (else the system's)
    mail_from: str = "odr@localhost"
    # SMS: "console" writes to the log (development); "http" posts to a gateway.
    sms_provider: str = "console"
    sms_url: str | None = None
    sms_template_id: str | None = None
    sms_signature: str = "odr"
    sms_token: str | None = None
    http_timeout_seconds: float = 10.0
    # The bearer token the 12315 platform sends to /api/v1/intake/12315 (unset: intake closed).
    transfer_token: str | None = None
    evidence_max_files: int = 10
    evidence_max_bytes: int = 10 * 1024 * 1024
    public_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    # Seconds added to the clock of the sweeper and dispatcher (drills and tests: "30 days on").
    clock_offset_seconds: float = 0.0
    # Operations (odr/ops/): logs, Redis for sessions and rate limits, the limits themselves.
    log_format: str = "text"  # "json": one JSON object a line, without personal data
    redis_url: str | None = None  # unset: cookie sessions and counters in this process
    redis_prefix: str = "odr"  # key prefix, so several deployments can share one Redis
    # Failed logins and tracking lookups allowed per window, per address and per account/case.
    rate_limit_window_seconds: int = 600
    rate_limit_per_address: int = 30
    rate_limit_per_subject: int = 10
    # Keys the hash of stored access codes (unset: derived from secret_key). Set it on its own
    # before changing secret_key, to the old secret_key: else every code stops working.
    access_code_key: str | None = None
    # "production": refuse the development secret, Secure cookies, HSTS (odr/security/).
    environment: str = "development"
    # Web evidence capture (odr/captures/): Debian's Chromium, the limits of one capture, how
    # many run at once in a process, how often the worker looks for queued ones. Loopback
    # addresses may be captured only in tests (production refuses the setting).
    capture_browser: Path = Path("/usr/bin/chromium")
    capture_time_limit_seconds: float = 30.0
    capture_max_bytes: int = 20 * 1024 * 1024
    capture_concurrency: int = 2
    capture_interval_seconds: float = 5.0
    capture_allow_loopback: bool = False

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def evidence_dir(self) -> Path:
        return self.var_dir / "evidence"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the environment; keyword arguments win (tests use them). A variable
        that is not set leaves the field's default above: each default is written once."""
        env = os.environ
        values: dict[str, Any] = {
            name: read(env[variable])
            for name, (variable, read) in ENVIRONMENT.items()
            if variable in env
        }
        if "database_url" not in values and "var_dir" in values:
            values["database_url"] = sqlite_url(values["var_dir"])
        values.update(overrides)
        return cls(**values)


# Each setting's environment variable and how its text is read (ODR_WORKFLOWS_DIR,
# ODR_NOTIFICATIONS_DIR and ODR_DOCUMENTS_DIR are read by the fields' own defaults: they have a
# fallback chain).
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "database_url": ("ODR_DATABASE_URL", str),
    "database_replica_url": ("ODR_DATABASE_REPLICA_URL", _optional),
    "database_pooler": ("ODR_DATABASE_POOLER", lambda value: _optional(_word(value))),
    "secret_key": ("ODR_SECRET_KEY", str),
    "var_dir": ("ODR_VAR_DIR", Path),
    "intake_office_code": ("ODR_INTAKE_OFFICE", str),
    "background_jobs": ("ODR_BACKGROUND_JOBS", _flag),
    "sweep_interval_seconds": ("ODR_SWEEP_INTERVAL", float),
    "dispatch_interval_seconds": ("ODR_DISPATCH_INTERVAL", float),
    "dispatch_max_attempts": ("ODR_DISPATCH_MAX_ATTEMPTS", int),
    "rollup_interval_seconds": ("ODR_ROLLUP_INTERVAL", float),
    "idempotency_lease_seconds": ("ODR_IDEMPOTENCY_LEASE", float),
    "group_commit_writers": ("ODR_GROUP_COMMIT_WRITERS", int),
    "anchor_interval_seconds": ("ODR_ANCHOR_INTERVAL", float),
    "disclosure_notice_days": ("ODR_DISCLOSURE_NOTICE_DAYS", int),
    "db_connect_timeout_seconds": ("ODR_DB_CONNECT_TIMEOUT", float),
    "db_statement_timeout_seconds": ("ODR_DB_STATEMENT_TIMEOUT", float),
    "db_pool_timeout_seconds": ("ODR_DB_POOL_TIMEOUT", float),
    "db_keepalive_seconds": ("ODR_DB_KEEPALIVE", float),
    "db_pool_size": ("ODR_DB_POOL_SIZE", int),
    "db_pool_overflow": ("ODR_DB_POOL_OVERFLOW", int),
    "smtp_host": ("ODR_SMTP_HOST", _optional),
    "smtp_port": ("ODR_SMTP_PORT", int),
    "smtp_user": ("ODR_SMTP_USER", _optional),
    "smtp_password": ("ODR_SMTP_PASSWORD", _optional),
    "smtp_starttls": ("ODR_SMTP_STARTTLS", _flag),
    "smtp_tls": ("ODR_SMTP_TLS", _flag),
    "smtp_ca_file": ("ODR_SMTP_CA_FILE", _optional),
    "mail_from": ("ODR_MAIL_FROM", str),
    "sms_provider": ("ODR_SMS_PROVIDER", str),
    "sms_url": ("ODR_SMS_URL", _optional),
    "sms_template_id": ("ODR_SMS_TEMPLATE_ID", _optional),
    "sms_signature": ("ODR_SMS_SIGNATURE", str),
    "sms_token": ("ODR_SMS_TOKEN", _optional),
    "transfer_token": ("ODR_12315_TOKEN", _optional),
    "public_url": ("ODR_PUBLIC_URL", str),
    "debug": ("ODR_DEBUG", _flag),
    "clock_offset_seconds": ("ODR_CLOCK_OFFSET", float),
    "log_format": ("ODR_LOG_FORMAT", _word),
    "redis_url": ("ODR_REDIS_URL", _optional),
    "redis_prefix": ("ODR_REDIS_PREFIX", str),
    "rate_limit_window_seconds": ("ODR_RATE_LIMIT_WINDOW", int),
    "rate_limit_per_address": ("ODR_RATE_LIMIT_PER_ADDRESS", int),
    "rate_limit_per_subject": ("ODR_RATE_LIMIT_PER_SUBJECT", int),
    "access_code_key": ("ODR_ACCESS_CODE_KEY", _optional),
    "environment": ("ODR_ENV", _word),
    "document_font": ("ODR_DOCUMENT_FONT", _optional),
    "capture_browser": ("ODR_CAPTURE_BROWSER", Path),
    "capture_time_limit_seconds": ("ODR_CAPTURE_TIME_LIMIT", float),
    "capture_max_bytes": ("ODR_CAPTURE_MAX_BYTES", int),
    "capture_concurrency": ("ODR_CAPTURE_CONCURRENCY", int),
    "capture_interval_seconds": ("ODR_CAPTURE_INTERVAL", float),
    "capture_allow_loopback": ("ODR_CAPTURE_ALLOW_LOOPBACK", _flag),
}
