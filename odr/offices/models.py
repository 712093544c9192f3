"""A regulator office at province, city or county level, keyed by its region code."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.db.base import Base, Id


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # 6-digit administrative division code, e.g. 450100 Nanning city, 450103 青秀区.
    region_code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))  # province / city / county
    # Opens the numbers of the office's papers (文书字号), e.g. 青市监 in 青市监受字〔2026〕第0012号;
    # unset: the office name's first character and 市监 (odr/documents/numbering.py).
    document_prefix: Mapped[str | None] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)

    parent: Mapped[Office | None] = relationship(remote_side="Office.id", lazy="joined")

    def __repr__(self) -> str:
        return f"<Office {self.region_code} {self.name}>"
