"""The papers of a purged case: they name the complainant, so their files go with the personal
data (odr/cases/privacy.py); each paper's number and SHA-256 stay on the hash chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.evidence import evidence_path
from odr.cases.models import Case
from odr.db.engine import reading
from odr.documents.models import Document
from odr.masking import REDACTED


def purged_papers(session: Session, after_id: int = 0, limit: int | None = None) -> list[Row[Any]]:
    """(id, SHA-256) of the papers of cases whose personal data was purged, in id order."""
    return list(
        session.execute(
            select(Document.id, Document.sha256)
            .join(Case, Case.id == Document.case_id)
            .where(Case.complainant_name == REDACTED, Document.id > after_id)
            .order_by(Document.id)
            .limit(limit)
        )
    )


def purge_papers(
    factory: sessionmaker[Session], store_dir: Path, *, dry_run: bool = False, page: int = 5000
) -> int:
    """Delete the files of purged cases' papers; how many there were (or would be). Read a
    page at a time, without the write lock (SQLite)."""
    found, after = 0, 0
    while True:
        with reading(factory) as session:
            rows = purged_papers(session, after, page)
        if not rows:
            return found
        after = rows[-1].id
        for row in rows:
            path = evidence_path(store_dir, row.sha256)
            if path.exists():
                found += 1
                if not dry_run:
                    path.unlink(missing_ok=True)
