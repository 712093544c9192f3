"""An enterprise that consumers complain about: a platform, its merchants and group leaders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.db.base import Base, Id, UtcDateTime

KINDS = ("platform", "merchant", "group_leader", "shop")
ODR_STATUSES = ("none", "active", "suspended", "removed")


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # 统一社会信用代码 (GB 32100-2015); group leaders (团长) are often individuals without one.
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300), default="")
    # Where it actually operates: decides the competent regulator office.
    region_code: Mapped[str] = mapped_column(String(6))
    # A merchant or group leader selling under a platform.
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # 在线消费纠纷解决 (ODR) enrolment: only "active" enterprises receive complaints directly.
    odr_status: Mapped[str] = mapped_column(String(20), default="none")
    odr_enrolled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # Signed webhooks to the enterprise's own system (secret shown once, rotated in the portal).
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(64))

    platform: Mapped[Enterprise | None] = relationship(remote_side="Enterprise.id")

    @property
    def is_odr_enterprise(self) -> bool:
        return self.odr_status == "active"

    def __repr__(self) -> str:
        return f"<Enterprise {self.id} {self.name}>"


class ApiToken(Base):
    """A token an enterprise's own system uses for the partner API (shown once, kept hashed)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in the portal to tell tokens apart
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
