"""A queued notification (outbox row), delivered by the dispatcher."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base, Id, Json, UtcDateTime

CHANNELS = ("sms", "email", "in_app", "webhook")
# pending -> sending (claimed by one dispatcher for a while) -> sent, or back to pending with a
# later next_attempt_at, or dead after the last attempt.
STATUSES = ("pending", "sending", "sent", "dead")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # Sent at most once per (event, channel, recipient).
        UniqueConstraint("event_id", "channel", "recipient"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_inbox", "audience", "audience_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("case_events.id"))
    kind: Mapped[str] = mapped_column(String(50))  # e.g. offer_received: names the template
    audience: Mapped[str] = mapped_column(String(20))  # consumer / enterprise / office
    audience_id: Mapped[int | None]  # enterprise or office id
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10))
    context: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The dispatcher that claimed the row, and until when: a crashed one's claim runs out.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NotificationRecipient(Base):
    """Who at an enterprise hears of an event kind ('*' for all) on a channel."""

    __tablename__ = "notification_recipients"
    __table_args__ = (UniqueConstraint("enterprise_id", "kind", "channel", "address"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(10))  # email / sms
    address: Mapped[str] = mapped_column(String(200))
