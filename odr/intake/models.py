"""What intake remembers: the first answer to each Idempotency-Key, and the receipt of each
complaint form sent with a one-time token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base, Id, UtcDateTime


class IdempotencyKey(Base):
    """A POST made with an Idempotency-Key: a retry with the same key gets this answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("client", "key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # Whose key it is: a hash of the credentials sent (keys of different clients never meet).
    client: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_sha256: Mapped[str] = mapped_column(String(64))
    # None while the first request is still being answered.
    status: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FormReceipt(Base):
    """The receipt of a complaint form filed with a one-time token (odr/intake/form_tokens.py):
    the same form sent again (a second click, a retry on a slow link) is answered with it.
    Kept a day; sealed with the token, so the access code in it is of no use without one."""

    __tablename__ = "form_receipts"

    # A hash of the token, never the token itself.
    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
