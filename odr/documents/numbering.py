"""The papers' numbers (文书字号): per office, year and kind, never skipped nor given twice."""

from __future__ import annotations

import re

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from odr.documents.models import DocumentCounter
from odr.offices.models import Office

OFFICE_SUFFIX = "市场监督管理局"


PLACE = re.compile(r".+?(?:自治区|自治州|省|市|区|县|旗|盟|州)")


def office_prefix(office: Office) -> str:
    """The office's configured prefix, else the first character of its own place's name and
    市监 (青岛市市场监督管理局: 青市监; 南宁市兴宁区市场监督管理局: 兴市监)."""
    if office.document_prefix:
        return office.document_prefix
    places = PLACE.findall(office.name.removesuffix(OFFICE_SUFFIX)) or [office.name]
    return f"{places[-1][:1]}市监"


def next_seq(session: Session, office_id: int, year: int, kind: str) -> int:
    """The next number of an office's kind of paper in a year, counted in the caller's
    transaction: the UPDATE locks the counter row until commit (a second clerk waits, then
    counts on from the first's number), and a rollback gives the number back."""
    table = DocumentCounter.__table__
    where = (table.c.office_id == office_id, table.c.year == year, table.c.kind == kind)
    bump = update(table).where(*where).values(last=table.c.last + 1).returning(table.c.last)
    seq = session.execute(bump).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        with session.begin_nested():  # the first of the year; another clerk may insert it too
            session.execute(insert(table).values(office_id=office_id, year=year, kind=kind, last=1))
        return 1
    except IntegrityError:
        return int(session.execute(bump).scalar_one())


def document_number(office: Office, word: str, year: int, seq: int) -> str:
    """青市监受字〔2026〕第0012号."""
    return f"{office_prefix(office)}{word}字〔{year}〕第{seq:04d}号"
