"""The dispatcher: deliver due outbox rows, retry with backoff, give up into a dead letter.

Rows are claimed for a lease in one short transaction, sent outside any transaction (an SMTP
server or a webhook may be slow; on SQLite a long transaction would stop every writer), and the
outcome is recorded only by the claimer whose claim still holds. A dispatcher that dies leaves its
claim to run out, and another delivers the row: at least once, recorded as sent once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from odr.clock import utcnow
from odr.db.dialects import claim
from odr.db.engine import database_unavailable
from odr.enterprises.models import Enterprise
from odr.notify.channels import (
    DeliveryError,
    MailAttachment,
    send_email,
    send_sms,
    send_webhook,
)
from odr.notify.models import Notification
from odr.notify.templates import Message, render
from odr.settings import Settings

log = logging.getLogger("odr.notify")
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)
LEASE = timedelta(minutes=5)
# Kept out of the stored row once sent: the consumer's access code.
SECRET_CONTEXT = ("access_code",)


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    channel: str
    recipient: str
    locale: str
    context: dict[str, Any]
    attempts: int
    webhook_secret: str | None
    audience: str = "consumer"


# Where each audience reads a case: the consumer's tracking page, or the staff portal's case.
CASE_PAGES = {
    "consumer": "/track/{number}",
    "enterprise": "/enterprise/cases/{number}",
    "office": "/regulator/cases/{number}",
    "supervisor": "/regulator/cases/{number}",
}


def case_url(settings: Settings, audience: str, case_number: str | None) -> str:
    """The page of the case for this audience (the portal's front page when no case)."""
    if not case_number:
        return settings.public_url + ("/track" if audience == "consumer" else f"/{audience}")
    return settings.public_url + CASE_PAGES.get(audience, CASE_PAGES["consumer"]).format(
        number=case_number
    )


def backoff(attempts: int) -> timedelta:
    """1 minute after the first failure, doubling, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LAST_RETRY)


def _claim(factory: sessionmaker[Session], now: datetime, batch: int) -> tuple[str, list[Claimed]]:
    """Claim up to `batch` due rows for a lease, oldest first, in one UPDATE ... RETURNING
    (skipping rows another dispatcher is claiming)."""
    token = secrets.token_hex(8)
    table = Notification.__table__
    due = claim(
        select(table.c.id)
        .where(
            or_(
                and_(table.c.status == "pending", table.c.next_attempt_at <= now),
                and_(table.c.status == "sending", table.c.claimed_until < now),
            )
        )
        .order_by(table.c.id)
        .limit(batch)
    )
    with factory() as session, session.begin():
        rows = session.execute(
            update(table)
            .where(table.c.id.in_(due.scalar_subquery()))
            .values(
                status="sending",
                claim_token=token,
                claimed_until=now + LEASE,
                attempts=table.c.attempts + 1,
            )
            .returning(
                table.c.id,
                table.c.case_id,
                table.c.kind,
                table.c.audience,
                table.c.channel,
                table.c.recipient,
                table.c.locale,
                table.c.context,
                table.c.attempts,
                table.c.audience_id,
            )
        ).all()
        addresses = _addresses_now(session, rows)
    claimed = [
        Claimed(
            row.id,
            row.kind,
            row.channel,
            addresses.get(row.id, (row.recipient, None))[0],
            row.locale,
            dict(row.context),
            row.attempts,
            addresses.get(row.id, (row.recipient, None))[1],
            row.audience,
        )
        for row in sorted(rows, key=lambda row: row.id)
    ]
    return token, claimed


def _addresses_now(session: Session, rows: Sequence[Any]) -> dict[int, tuple[str, str | None]]:
    """Where each claimed webhook message goes now: (address, webhook secret) by notification id.

    A row keeps the address it was queued with, for the record; an address corrected since (an
    enterprise's webhook in its settings) must take the messages still waiting and the dead
    letters a regulator retries, not the dead address. An enterprise's subscribed e-mail and
    phone are themselves its subscription (resolved when queued), and a consumer's contact is
    fixed at filing, so only webhooks are looked up again."""
    webhooks = {r.audience_id for r in rows if r.channel == "webhook"}
    if not webhooks:
        return {}
    enterprises = {
        e.id: (e.webhook_url, e.webhook_secret)
        for e in session.execute(
            select(Enterprise.id, Enterprise.webhook_url, Enterprise.webhook_secret).where(
                Enterprise.id.in_(webhooks)
            )
        )
    }
    found: dict[int, tuple[str, str | None]] = {}
    for row in rows:
        if row.channel == "webhook":
            url, secret = enterprises.get(row.audience_id or 0, (None, None))
            found[row.id] = (url or "", secret)
    return found


# Where a paper (文书) a notice carries is stored: under the evidence folder, by its SHA-256.
STORED_PATH = re.compile(r"^[0-9a-f]{2}/([0-9a-f]{64})$")


def mail_attachments(settings: Settings, context: Mapping[str, Any]) -> list[MailAttachment]:
    """The papers a notice carries (context "documents", odr/documents/service.py), read and
    checked against their SHA-256: an altered or missing file is not sent (retried later)."""
    attached = []
    for paper in context.get("documents") or ():
        match = STORED_PATH.match(str(paper.get("path", "")))
        if match is None or match.group(1) != paper.get("sha256"):
            raise DeliveryError(f"document {paper.get('number')}: bad stored path")
        path = settings.evidence_dir / paper["path"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DeliveryError(f"document {paper.get('number')}: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != paper["sha256"]:
            raise DeliveryError(f"document {paper.get('number')}: file altered, not sent")
        attached.append(MailAttachment(str(paper.get("filename") or "document.pdf"), data))
    return attached


def webhook_payload(item: Claimed) -> dict[str, Any]:
    data = {k: v for k, v in item.context.items() if k not in SECRET_CONTEXT}
    if "documents" in data:  # their numbers and hashes, not where odr keeps them
        data["documents"] = [
            {k: v for k, v in paper.items() if k != "path"} for paper in data["documents"]
        ]
    return {"id": item.id, "event": item.kind, "case_number": data.get("case_number"), "data": data}


def deliver(settings: Settings, item: Claimed) -> Message:
    """Send one message; raise on failure. Returns what was sent."""
    if item.channel == "webhook":
        if not item.recipient:
            raise DeliveryError("webhook: the enterprise has no webhook now")
        if not item.webhook_secret:
            raise DeliveryError("webhook: the enterprise has no secret")
        body = send_webhook(
            settings,
            item.recipient,
            item.webhook_secret,
            item.kind,
            str(item.id),
            webhook_payload(item),
        )
        return Message(subject=item.kind, text=body.decode("utf-8"))
    context = item.context | {
        "public_url": settings.public_url,
        "audience": item.audience,
        "case_url": case_url(settings, item.audience, item.context.get("case_number")),
    }
    message = render(settings.notifications_dir, item.locale, item.kind, item.channel, context)
    if item.channel == "email":
        send_email(
            settings,
            item.recipient,
            message,
            f"odr-{item.id}",
            mail_attachments(settings, item.context),
        )
    elif item.channel == "sms":
        send_sms(settings, item.recipient, message.text)
    return message  # in_app: the stored row is the message


def _scrub(item: Claimed, text: str | None) -> str | None:
    for name in SECRET_CONTEXT:
        value = item.context.get(name)
        if text and value:
            text = text.replace(str(value), "******")
    return text


def _record(
    factory: sessionmaker[Session], token: str, outcomes: list[tuple[Claimed, dict[str, Any]]]
) -> int:
    """Write a batch's outcomes in one transaction, each only if our claim on it still holds
    (else another dispatcher took the row over): an executemany per kind of outcome (an ORM
    UPDATE per row held SQLite's write lock row after row: benchmarks/README.md). Returns how
    many were recorded as sent."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for item, values in outcomes:
        rows = by_columns.setdefault(tuple(sorted(values)), [])
        rows.append({"w_id": item.id, "w_token": token, **values})
    sent = 0
    table = Notification.__table__
    with factory() as session, session.begin():
        connection = session.connection()
        for columns, rows in by_columns.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("w_id"), table.c.claim_token == bindparam("w_token"))
                .values(claim_token=None, claimed_until=None, **{c: bindparam(c) for c in columns})
            )
            recorded = connection.execute(statement, rows).rowcount
            sent += recorded if rows[0]["status"] == "sent" else 0
    return sent


def _record_when_back(
    factory: sessionmaker[Session], token: str, outcomes: list[tuple[Claimed, dict[str, Any]]]
) -> int:
    """_record, waiting while the database is away (for as long as our claim lasts): the batch
    was sent, and an outcome not recorded means each message is sent again once the claim ends."""
    deadline, delay = time.monotonic() + LEASE.total_seconds(), 0.5
    while True:
        try:
            return _record(factory, token, outcomes)
        except Exception as exc:
            if not database_unavailable(exc) or time.monotonic() + delay > deadline:
                raise
            log.warning(
                "%s notification(s) sent but the database is away; recording them again in %.0fs",
                len(outcomes),
                delay,
            )
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def _outcome(settings: Settings, item: Claimed, now: datetime) -> dict[str, Any]:
    """Deliver one message and say what to write about it."""
    try:
        message = deliver(settings, item)
    except Exception as exc:  # one failing message must not stop the others
        dead = item.attempts >= settings.dispatch_max_attempts
        if not isinstance(exc, DeliveryError):
            log.exception("notification %s failed", item.id)
        if dead:
            log.error("notification %s is dead after %s attempts", item.id, item.attempts)
        return {
            "status": "dead" if dead else "pending",
            "next_attempt_at": now + backoff(item.attempts),
            "last_error": str(exc)[:2000],
        }
    return {
        "status": "sent",
        "sent_at": now,
        "context": {k: v for k, v in item.context.items() if k not in SECRET_CONTEXT},
        "subject": (_scrub(item, message.subject) or "")[:300] or None,
        "body": _scrub(item, message.text),
    }


def dispatch(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    batch: int = 100,
) -> int:
    """Deliver every due notification; return how many were recorded as sent."""
    now = now or utcnow()
    sent = 0
    while True:
        token, claimed = _claim(factory, now, batch)
        if claimed:
            outcomes = [(item, _outcome(settings, item, now)) for item in claimed]
            sent += _record_when_back(factory, token, outcomes)
        if len(claimed) < batch:
            return sent
