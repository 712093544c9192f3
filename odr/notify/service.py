"""What the portals do with notifications: the in-app bell and enterprise recipients (dead
letters are scoped by their cases' offices: odr/cases/dead_letters.py)."""

from __future__ import annotations

import re
from datetime import datetime

import phonenumbers
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from odr.auth.actor import Actor
from odr.errors import InvalidData
from odr.notify.models import Notification, NotificationRecipient
from odr.text import N_

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RECIPIENT_CHANNELS = ("email", "sms")


UNREAD_CAP = 99


def audience_of(actor: Actor) -> tuple[str, int]:
    """Whose in-app notifications a portal user reads: the enterprise's or the office's."""
    if actor.role == "enterprise" and actor.enterprise_id is not None:
        return "enterprise", actor.enterprise_id
    if actor.role == "regulator" and actor.office_id is not None:
        return "office", actor.office_id
    raise ValueError(f"{actor.role} has no in-app notifications")


def _in_app(actor: Actor) -> tuple[ColumnElement[bool], ...]:
    audience, audience_id = audience_of(actor)
    # Rows to the supervising office are addressed to it as an office too.
    audiences = ("office", "supervisor") if audience == "office" else (audience,)
    return (
        Notification.channel == "in_app",
        Notification.audience.in_(audiences),
        Notification.audience_id == audience_id,
    )


def unread_count(session: Session, actor: Actor) -> int:
    """Unread in-app notifications, counted up to UNREAD_CAP + 1 (the bell shows "99+"): a
    platform can have tens of thousands, and every staff page shows the bell."""
    unread = (
        select(Notification.id)
        .where(*_in_app(actor), Notification.read_at.is_(None))
        .limit(UNREAD_CAP + 1)
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(unread)) or 0


def in_app_messages(session: Session, actor: Actor, limit: int = 100) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(*_in_app(actor))
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(session: Session, actor: Actor, now: datetime) -> None:
    session.execute(
        update(Notification)
        .where(*_in_app(actor), Notification.read_at.is_(None))
        .values(read_at=now)
    )


def recipients(session: Session, enterprise_id: int) -> list[NotificationRecipient]:
    return list(
        session.scalars(
            select(NotificationRecipient)
            .where(NotificationRecipient.enterprise_id == enterprise_id)
            .order_by(NotificationRecipient.kind, NotificationRecipient.channel)
        )
    )


def add_recipient(
    session: Session,
    enterprise_id: int,
    kind: str,
    channel: str,
    address: str,
    kinds: set[str],
) -> NotificationRecipient:
    """Subscribe an address to a kind ('*' for all); InvalidData names the bad field."""
    address = address.strip()
    if kind != "*" and kind not in kinds:
        raise InvalidData({"kind": N_("不是可选的通知类型")})
    if channel not in RECIPIENT_CHANNELS:
        raise InvalidData({"channel": N_("只能是 email 或 sms")})
    if channel == "email" and (len(address) > 200 or not EMAIL.match(address)):
        raise InvalidData({"address": N_("邮箱地址无效")})
    if channel == "sms":
        try:
            number = phonenumbers.parse(address, "CN")
            if not phonenumbers.is_valid_number(number):
                raise phonenumbers.NumberParseException(0, "invalid")
        except phonenumbers.NumberParseException:
            raise InvalidData({"address": N_("电话号码无效")}) from None
        address = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    existing = session.scalar(
        select(NotificationRecipient).where(
            NotificationRecipient.enterprise_id == enterprise_id,
            NotificationRecipient.kind == kind,
            NotificationRecipient.channel == channel,
            NotificationRecipient.address == address,
        )
    )
    if existing is not None:
        return existing
    recipient = NotificationRecipient(
        enterprise_id=enterprise_id, kind=kind, channel=channel, address=address
    )
    session.add(recipient)
    session.flush()
    return recipient


def remove_recipient(session: Session, enterprise_id: int, recipient_id: int) -> None:
    recipient = session.get(NotificationRecipient, recipient_id)
    if recipient is not None and recipient.enterprise_id == enterprise_id:
        session.delete(recipient)
