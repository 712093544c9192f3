"""A queued notification (outbox row), delivered by the dispatcher."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base, Id, Json, UtcDateTime

CHANNELS = ("sms", "email", "in_app")
STATUSES = ("pending", "sent", "dead")


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
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
