"""A web capture: queued, claimed by one worker, then done (its files and facts), failed or
refused. Its files are kept by SHA-256 under var/evidence, like uploaded evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base, Id, Json, UtcDateTime

# queued -> capturing (claimed by one worker for a lease) -> done / failed / refused; a claim
# that runs out (its worker died) is taken again, up to MAX_ATTEMPTS.
STATUSES = ("queued", "capturing", "done", "failed", "refused")
# The files of a capture, in the order the chain event and the report name them.
FILE_KINDS = ("screenshot", "warc", "report")


class WebCapture(Base):
    __tablename__ = "web_captures"
    __table_args__ = (
        Index("ix_web_captures_due", "status", "claimed_until"),
        Index("ix_web_captures_office", "office_id", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # The case it is evidence for; a regulator may capture first (office_id) and link later.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    url: Mapped[str] = mapped_column(String(2000))
    requested_by: Mapped[str] = mapped_column(String(200))  # the actor's label
    requested_role: Mapped[str] = mapped_column(String(20))
    requested_user_id: Mapped[int | None]
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # What the capture found (done): see odr/captures/browser.py's Captured.
    final_url: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None]
    facts: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    browser_version: Mapped[str | None] = mapped_column(String(100))
    odr_version: Mapped[str | None] = mapped_column(String(50))
    screenshot_sha256: Mapped[str | None] = mapped_column(String(64))
    warc_sha256: Mapped[str | None] = mapped_column(String(64))
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    # The seq of the case event that put the hashes on the case's chain.
    event_seq: Mapped[int | None]

    def sha256_of(self, kind: str) -> str | None:
        return {
            "screenshot": self.screenshot_sha256,
            "warc": self.warc_sha256,
            "report": self.report_sha256,
        }[kind]
