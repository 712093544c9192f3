"""Case, CaseEvent (hash-chained) and Attachment."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.db.base import Base, Id, Json, UtcDateTime
from odr.enterprises.models import Enterprise
from odr.offices.models import Office

# The claim type of a report (举报) case: never shown to the enterprise it concerns.
REPORT_CLAIM = "report"
# A clerk of an office files a complaint or report for a consumer who called the hotline, came
# to the counter or wrote (代为登记, odr/intake/calls.py).
CALL_CHANNELS = ("phone", "visit", "letter")
CHANNELS = ("web", "api", "12315", *CALL_CHANNELS)
# Received here, not transferred from another system: no arrival time besides the receipt.
DIRECT_CHANNELS = ("web", *CALL_CHANNELS)
# The outcomes whose recovered_amount counts as economic loss recovered (挽回经济损失): a
# settlement, a mediation agreement, a seven-day return refunded.
RECOVERY_OUTCOMES = ("settled", "mediated", "returned")


class Case(Base):
    """A consumer complaint. Only cases.service (submit, act) changes its state."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_cases_enterprise_queue", "enterprise_id", "state", "due_at"),
        Index("ix_cases_office_queue", "office_id", "state", "due_at"),
        # The regulator dashboard's weekly trends and top respondents, by office and period.
        Index("ix_cases_office_received", "office_id", "received_at"),
        # Closed cases only: SQLite's statistics (an average per value) take `closed_at IS NULL`
        # for 3 rows, not the open 60%, and would read the open cases along this index.
        Index(
            "ix_cases_office_closed",
            "office_id",
            "closed_at",
            sqlite_where=text("closed_at IS NOT NULL"),
            postgresql_where=text("closed_at IS NOT NULL"),
        ),
        # The regulator queues, read in deadline order one office at a time, the state and the
        # escalation reason checked in the index itself (odr/cases/queues.py).
        Index(
            "ix_cases_office_deadline", "office_id", "due_at", "id", "state", "escalation_reason"
        ),
        # The escalated / direct acceptance queues counted without reading the rows.
        Index("ix_cases_office_escalation", "office_id", "state", "escalation_reason"),
        # The enterprise inbox, a walk per branch in deadline order (odr/cases/paging.py), the
        # claim type (reports are left out) checked in the index.
        Index(
            "ix_cases_enterprise_open",
            "enterprise_id",
            "due_at",
            "id",
            "claim_type",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        # The repeat check (duplicate_key: same phone, business and order) among open cases.
        Index(
            "ix_cases_repeat",
            "complainant_phone",
            "respondent_id",
            "order_number",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        # The search (odr/search/service.py): each match looked up with what its scope and
        # its deadline order need, without reading the case's row.
        Index(
            "ix_cases_search_scope",
            "id",
            "due_at",
            "office_id",
            "enterprise_id",
            "respondent_id",
            "claim_type",
        ),
        Index(
            "ix_cases_respondent_open",
            "respondent_id",
            "due_at",
            "id",
            "claim_type",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    access_code_hash: Mapped[str] = mapped_column(String(120))
    workflow: Mapped[str] = mapped_column(String(50))
    workflow_version: Mapped[int]
    state: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(default=1)
    channel: Mapped[str] = mapped_column(String(10), default="web")
    external_id: Mapped[str | None] = mapped_column(String(64))
    # Cases transferred from 12315 come with the complainant's identity checked there.
    identity_verified: Mapped[bool] = mapped_column(default=False, server_default=false())

    # When the complaint was received: on the web form its submission, for a transfer the
    # moment the transferring platform registered it (12315's 登记时间). Clocks run from it.
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A transfer's arrival here (转入时间); None for the web form.
    transferred_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The transfer gave no received moment: its arrival stands for it.
    received_at_assumed: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The running clock of the current state (None when the state has none); the sweeper's key.
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # The next reminder before due_at (None when none is left); the sweeper's second key.
    next_reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # How the running clock was set, so a deadline counted across a year whose holiday notice
    # was missing (provisional) can be counted again once the notice is entered.
    clock_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clock_days: Mapped[int | None]
    deadline_provisional: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A clock paused while the case waits elsewhere (e.g. for the consumer's information).
    paused_state: Mapped[str | None] = mapped_column(String(40))
    paused_days_left: Mapped[int | None]

    complainant_name: Mapped[str] = mapped_column(String(100))
    complainant_phone: Mapped[str] = mapped_column(String(20))
    complainant_address: Mapped[str] = mapped_column(String(300))
    complainant_email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    # The consumer's choice of channels (e-mail only when an address is given).
    notify_sms: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_email: Mapped[bool] = mapped_column(default=True, server_default=true())

    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    respondent_name: Mapped[str] = mapped_column(String(200))
    respondent_uscc: Mapped[str | None] = mapped_column(String(18))
    respondent_address: Mapped[str] = mapped_column(String(300), default="")
    # The enrolled ODR enterprise that negotiates (the respondent, or its platform).
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    # The competent regulator office: acceptance, escalations, mediation.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))

    product: Mapped[str] = mapped_column(String(200))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    order_number: Mapped[str | None] = mapped_column(String(64))
    claim_type: Mapped[str] = mapped_column(String(20))
    facts: Mapped[str] = mapped_column(Text)

    # The rules in force on the day the case was received (workflows/rulebooks.yaml): for life.
    rulebook: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # The consumer knew of the harm more than 3 years before: a ground for not accepting.
    time_barred_flag: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A report (举报) filed with a complaint, or the complaint a report came with.
    linked_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # Filed without an order number by the same phone against the same business for the same
    # product as this open case, within 7 days: shown to the regulator as a probable repeat
    # (可能重复投诉), not joined to it (odr/cases/service.py, probable_repeat_of).
    # A plain id, no foreign key: SQLite adds the column in place (a key rebuilds the table).
    probable_repeat_of: Mapped[int | None] = mapped_column(Id)
    # A reporter who gave no name is not told the decision.
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The follow-up (回访): the consumer's rating of the outcome, once, after closure.
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # Why the case reached the regulator (overdue / declined / offer rejected): for scorecards.
    escalation_reason: Mapped[str | None] = mapped_column(String(40))
    # Why routing found no competent office and sent the case to triage (shown to regulators).
    routing_note: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str | None] = mapped_column(String(40))
    # How the complaint is counted (workflows/classification.yaml codes): the category of goods
    # or services and the nature of the problem. Given at intake (the consumer's pick, the API,
    # a 12315 transfer, or else suggested from the product and facts); the regulator confirms or
    # corrects them through act() (classify), which sets classification_confirmed.
    goods_category: Mapped[str | None] = mapped_column(String(40))
    problem_nature: Mapped[str | None] = mapped_column(String(40))
    classification_confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The economic loss recovered for the consumer (挽回经济损失, yuan): refund, compensation,
    # replacement value, entered or confirmed by the party that closes a settlement, a mediation
    # agreement or a seven-day return. Counted only for cases closed with those outcomes.
    recovered_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    # Head of the hash chain, so appending an event needs no read of the previous one.
    event_count: Mapped[int] = mapped_column(default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")

    # The regulator's desk (odr/cases/campaigns.py, odr/cases/handlers.py): written only right
    # after act() chained the tag_campaign / untag_campaign / assign_handler event that says so.
    # Special campaigns (专项行动) the case belongs to, as ",code,code," (workflows/campaigns.yaml).
    campaign_tags: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The regulator user of the handling office who handles it (承办人).
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    respondent: Mapped[Enterprise | None] = relationship(foreign_keys=[respondent_id])
    enterprise: Mapped[Enterprise | None] = relationship(foreign_keys=[enterprise_id])
    office: Mapped[Office | None] = relationship()
    probable_repeat: Mapped[Case | None] = relationship(
        primaryjoin="foreign(Case.probable_repeat_of) == remote(Case.id)", viewonly=True
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.seq", viewonly=True
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", order_by="Attachment.id", viewonly=True
    )
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", order_by="CaseParty.id", viewonly=True
    )

    __mapper_args__ = {"version_id_col": version}


class CaseEvent(Base):
    """One change of a case; its hash covers its content and the previous event's hash."""

    __tablename__ = "case_events"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        # The monthly report's acceptances (受理) in a period (odr/cases/report.py): the
        # regulator's accept events only, by moment.
        Index(
            "ix_case_events_accept",
            "occurred_at",
            sqlite_where=text("trigger = 'accept'"),
            postgresql_where=text("trigger = 'accept'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int]
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(50))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The 12315 updates feed's order on PostgreSQL: numbered after commit, in commit order, by
    # the feed itself (odr.intake.feed12315); NULL until then, and always on SQLite, whose
    # serialised writes make id order the commit order. Not part of the hash.
    feed_position: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)

    case: Mapped[Case] = relationship(back_populates="events")


class Attachment(Base):
    """An evidence file; the bytes live under var/evidence, named by their SHA-256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    uploaded_by: Mapped[str] = mapped_column(String(20))  # role
    # The event that added the file (None: the evidence filed with the complaint).
    event_seq: Mapped[int | None]

    case: Mapped[Case] = relationship(back_populates="attachments")


class CaseParty(Base):
    """A co-complainant of a joint complaint (共同投诉); at most 2 represent the others."""

    __tablename__ = "case_parties"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))
    representative: Mapped[bool] = mapped_column(default=False)
    # Each co-complainant's consent to the joint complaint (and its representatives).
    consented_at: Mapped[datetime] = mapped_column(UtcDateTime)

    case: Mapped[Case] = relationship(back_populates="parties")


class WorkflowVersion(Base):
    """A workflow definition as it was: a case keeps the version it started with for life."""

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("name", "version"), UniqueConstraint("name", "sha256"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DashboardSnapshot(Base):
    """The regulator dashboard's figures of an office (and those below it) over a window, as
    last computed: a rollup read by every process until it is older than its maximum age."""

    __tablename__ = "dashboard_snapshots"
    __table_args__ = (UniqueConstraint("office_id", "weeks"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    weeks: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    figures: Mapped[dict[str, Any]] = mapped_column(Json)


class CaseSearch(Base):
    """A case's words for the search box (odr/cases/search_index.py), written in the
    transaction that writes the case; the database's full-text index over them is built by
    odr/db/fulltext.py (FTS5 on SQLite, a tsvector and GIN on PostgreSQL)."""

    __tablename__ = "case_search"

    case_id: Mapped[int] = mapped_column(
        Id, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    terms: Mapped[str] = mapped_column(Text, default="")
