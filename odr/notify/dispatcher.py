"""The dispatcher: deliver due outbox rows, retry with backoff, give up into a dead letter."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.service import utcnow
from odr.db.engine import is_sqlite
from odr.notify.channels import DeliveryError, send_email, send_sms
from odr.notify.models import Notification
from odr.settings import Settings

log = logging.getLogger("odr.notify")
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)


@cache
def _templates(directory: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def render(directory: Path, notification: Notification) -> tuple[str, str]:
    """(subject, body) from notifications/<locale>/<kind>.<channel>.j2; the subject is line 1."""
    env = _templates(directory)
    name = f"{notification.locale}/{notification.kind}.{notification.channel}.j2"
    text = env.get_template(name).render(**notification.context).strip()
    subject, _, body = text.partition("\n")
    return subject.strip(), (body.strip() or subject.strip())


def backoff(attempts: int) -> timedelta:
    """1 minute, doubling, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LAST_RETRY)


def deliver(settings: Settings, notification: Notification) -> None:
    subject, body = render(settings.notifications_dir, notification)
    notification.subject, notification.body = subject, body
    if notification.channel == "email":
        send_email(settings, notification, subject, body)
    elif notification.channel == "sms":
        send_sms(settings, notification, body)
    # in_app: the row itself is the message; the portals' bell lists it.


def dispatch(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    batch: int = 100,
) -> int:
    """Deliver every due notification; return how many were sent."""
    now = now or utcnow()
    sent = 0
    while True:
        with factory() as session, session.begin():
            statement = (
                select(Notification)
                .where(Notification.status == "pending", Notification.next_attempt_at <= now)
                .order_by(Notification.id)
                .limit(batch)
            )
            if not is_sqlite(session.get_bind()):
                statement = statement.with_for_update(skip_locked=True)
            rows = list(session.scalars(statement))
            for row in rows:
                row.attempts += 1
                try:
                    deliver(settings, row)
                except Exception as exc:  # any failure of one message must not stop the rest
                    row.last_error = str(exc)[:2000]
                    if row.attempts >= settings.dispatch_max_attempts:
                        row.status = "dead"
                        log.error("notification %s dead after %s tries", row.id, row.attempts)
                    else:
                        row.next_attempt_at = now + backoff(row.attempts)
                        if not isinstance(exc, DeliveryError):
                            log.exception("notification %s failed", row.id)
                    continue
                row.status, row.sent_at = "sent", now
                sent += 1
        if len(rows) < batch:
            return sent
