"""A person who logs in: an enterprise agent or a regulator handler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.db.base import Base, Id, UtcDateTime
from odr.enterprises.models import Enterprise
from odr.offices.models import Office

ROLES = ("enterprise", "regulator")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    # An enterprise manager or a regulator admin: settings, webhooks, dead letters, users.
    # The one source of an enterprise user's role: a manager has it, an agent does not.
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())

    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")
    office: Mapped[Office | None] = relationship(lazy="joined")

    @property
    def enterprise_role(self) -> str:
        """An enterprise user's role: "manager" (is_admin) or "agent"."""
        return "manager" if self.is_admin else "agent"
