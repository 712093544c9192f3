"""An issued document (文书) and the counters that number them, per office, year and kind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.cases.models import Case
from odr.db.base import Base, Id, UtcDateTime
from odr.offices.models import Office


class Document(Base):
    """One PDF issued on a case's decision; the file lives by its SHA-256 beside the evidence."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("office_id", "year", "kind", "seq"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # acceptance_notice, rejection_notice ...
    title: Mapped[str] = mapped_column(String(40))  # 受理通知书 ...
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    year: Mapped[int]
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(80), unique=True)  # 青市监受字〔2026〕第0012号
    filename: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    # The decision's event, and the event that chains the document's hash (issue_document).
    decision_seq: Mapped[int]
    event_seq: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)

    case: Mapped[Case] = relationship(lazy="joined")
    office: Mapped[Office] = relationship(lazy="joined")


class DocumentCounter(Base):
    """The last number given for an office, year and kind: bumped in the issuing transaction,
    so a number is never skipped (a rollback undoes the bump) nor given twice (the row's lock
    makes a second clerk wait for the first's commit)."""

    __tablename__ = "document_counters"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int]
