"""Every setting of odr, read from ODR_* environment variables in one place."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

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


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/odr.sqlite3"
    secret_key: str = DEV_SECRET
    var_dir: Path = Path("var")
    workflows_dir: Path = field(default_factory=lambda: _data_dir("ODR_WORKFLOWS_DIR", "workflows"))
    notifications_dir: Path = field(
        default_factory=lambda: _data_dir("ODR_NOTIFICATIONS_DIR", "notifications")
    )
    # The office that receives complaints whose respondent is unknown (triage), and demo city.
    intake_office_code: str = "450100"
    background_jobs: bool = True
    sweep_interval_seconds: float = 30.0
    dispatch_interval_seconds: float = 5.0
    dispatch_max_attempts: int = 8
    # An Idempotency-Key claimed this long without an answer belongs to a dead process.
    idempotency_lease_seconds: float = 60.0
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

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def evidence_dir(self) -> Path:
        return self.var_dir / "evidence"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from the environment; keyword arguments win (tests use them)."""
        env = os.environ
        var_dir = Path(env.get("ODR_VAR_DIR", "var"))
        values: dict[str, object] = {
            "database_url": env.get("ODR_DATABASE_URL", f"sqlite:///{var_dir / 'odr.sqlite3'}"),
            "secret_key": env.get("ODR_SECRET_KEY", DEV_SECRET),
            "var_dir": var_dir,
            "intake_office_code": env.get("ODR_INTAKE_OFFICE", "450100"),
            "background_jobs": _bool("ODR_BACKGROUND_JOBS", True),
            "sweep_interval_seconds": float(env.get("ODR_SWEEP_INTERVAL", "30")),
            "dispatch_interval_seconds": float(env.get("ODR_DISPATCH_INTERVAL", "5")),
            "smtp_host": env.get("ODR_SMTP_HOST") or None,
            "smtp_port": int(env.get("ODR_SMTP_PORT", "25")),
            "smtp_user": env.get("ODR_SMTP_USER") or None,
            "smtp_password": env.get("ODR_SMTP_PASSWORD") or None,
            "smtp_starttls": _bool("ODR_SMTP_STARTTLS", False),
            "smtp_tls": _bool("ODR_SMTP_TLS", False),
            "smtp_ca_file": env.get("ODR_SMTP_CA_FILE") or None,
            "mail_from": env.get("ODR_MAIL_FROM", "odr@localhost"),
            "sms_provider": env.get("ODR_SMS_PROVIDER", "console"),
            "sms_url": env.get("ODR_SMS_URL") or None,
            "sms_template_id": env.get("ODR_SMS_TEMPLATE_ID") or None,
            "sms_signature": env.get("ODR_SMS_SIGNATURE", "odr"),
            "sms_token": env.get("ODR_SMS_TOKEN") or None,
            "dispatch_max_attempts": int(env.get("ODR_DISPATCH_MAX_ATTEMPTS", "8")),
            "idempotency_lease_seconds": float(env.get("ODR_IDEMPOTENCY_LEASE", "60")),
            "transfer_token": env.get("ODR_12315_TOKEN") or None,
            "public_url": env.get("ODR_PUBLIC_URL", "http://127.0.0.1:8000"),
            "debug": _bool("ODR_DEBUG", False),
            "clock_offset_seconds": float(env.get("ODR_CLOCK_OFFSET", "0")),
            "log_format": env.get("ODR_LOG_FORMAT", "text").strip().lower(),
            "redis_url": env.get("ODR_REDIS_URL") or None,
            "redis_prefix": env.get("ODR_REDIS_PREFIX", "odr"),
            "rate_limit_window_seconds": int(env.get("ODR_RATE_LIMIT_WINDOW", "600")),
            "rate_limit_per_address": int(env.get("ODR_RATE_LIMIT_PER_ADDRESS", "30")),
            "rate_limit_per_subject": int(env.get("ODR_RATE_LIMIT_PER_SUBJECT", "10")),
            "access_code_key": env.get("ODR_ACCESS_CODE_KEY") or None,
            "environment": env.get("ODR_ENV", "development").strip().lower(),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
