"""An enterprise that consumers complain about: a platform, its merchants and group leaders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.db.base import Base, Id, Json, UtcDateTime

KINDS = ("platform", "merchant", "group_leader", "shop")
ODR_STATUSES = ("none", "active", "suspended", "removed")
# A business odr knows from its own registration (verified), one a complaint named that odr did
# not know (unverified: a respondent record, no login, no ODR role), or a record the regulator
# merged into another because both were one business (merged).
RECORD_STATUSES = ("verified", "unverified", "merged")


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

    record_status: Mapped[str] = mapped_column(
        String(20), default="verified", server_default="verified"
    )
    # A merged record points to the business it turned out to be.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))

    platform: Mapped[Enterprise | None] = relationship(
        remote_side="Enterprise.id", foreign_keys=[platform_id]
    )

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


# Supervision of ODR enterprises by the regulator offices (监管): enrolment, 动态退出, lists.
APPLICATION_STATUSES = ("pending", "approved", "refused")
APPLICATION_SOURCES = ("enterprise", "office")  # applied from the portal, or entered by an office
# 放心消费示范单位 (trusted-consumption demonstration unit), 经营异常名录 (abnormal operations).
MARK_KINDS = ("demonstration", "abnormal")
# What a platform removed at an office's request.
TAKEDOWN_KINDS = ("deleted_post", "delisted_product", "merchant_offline")


class EnrolmentApplication(Base):
    """An application to enrol as an ODR enterprise, with the commitment (承诺书) as signed."""

    __tablename__ = "enrolment_applications"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # The office that decides: the competent office of the enterprise's region.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime)
    applied_by: Mapped[str] = mapped_column(String(200))  # the user's label
    # Who signed for the enterprise (name and title), and the exact text signed.
    signatory: Mapped[str] = mapped_column(String(100))
    commitment_text: Mapped[str] = mapped_column(Text)
    commitment_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship()


class EnterpriseMark(Base):
    """A listing with dates and reason: demonstration unit or abnormal operations list."""

    __tablename__ = "enterprise_marks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    kind: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)  # None: until lifted
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lift_reason: Mapped[str | None] = mapped_column(Text)

    def in_force(self, today: date) -> bool:
        return (
            self.lifted_at is None
            and self.starts_on <= today
            and (self.ends_on is None or today <= self.ends_on)
        )


class Takedown(Base):
    """What a platform took down at an office's request, and the cases that led to it."""

    __tablename__ = "takedowns"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # The platform that took it down.
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))  # requested by
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))  # the post, product or merchant
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    requested_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    case_numbers: Mapped[list[str]] = mapped_column(Json, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))


class SupervisionRecord(Base):
    """One supervision decision, append-only: who, when, what, why, and the evidence."""

    __tablename__ = "supervision_records"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    odr_status_before: Mapped[str] = mapped_column(String(20))
    odr_status_after: Mapped[str] = mapped_column(String(20))
    # The application, mark or takedown the decision is about.
    subject_id: Mapped[int | None]
    # The scorecard figures at that moment (suspension, removal), or the decision's details.
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


@event.listens_for(SupervisionRecord, "before_update")
@event.listens_for(SupervisionRecord, "before_delete")
def _append_only(mapper: object, connection: object, target: object) -> None:
    raise ValueError("supervision records are append-only")


class ScorecardSnapshot(Base):
    """An enterprise's scorecard over a window (`weeks` whole weeks up to the day it was
    computed), as last computed: what the pages show, refreshed by the worker
    (odr.enterprises.stored_scorecards)."""

    __tablename__ = "scorecard_snapshots"
    __table_args__ = (UniqueConstraint("enterprise_id", "weeks"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    weeks: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    figures: Mapped[dict[str, Any]] = mapped_column(Json)
