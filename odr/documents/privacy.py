"""The papers of a purged case: they name the complainant, so their files go with the personal
data (odr/cases/privacy.py); each paper's number and SHA-256 stay on the hash chain."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from odr.cases.evidence import evidence_path
from odr.cases.models import Case
from odr.documents.models import Document
from odr.masking import REDACTED


def purged_papers(session: Session) -> list[str]:
    """The SHA-256 of every paper of a case whose personal data was purged."""
    return list(
        session.scalars(
            select(Document.sha256)
            .join(Case, Case.id == Document.case_id)
            .where(Case.complainant_name == REDACTED)
        )
    )


def purge_papers(factory: sessionmaker[Session], store_dir: Path, *, dry_run: bool = False) -> int:
    """Delete the files of purged cases' papers; how many there were (or would be)."""
    with factory() as session:
        doomed = [s for s in purged_papers(session) if evidence_path(store_dir, s).exists()]
    if not dry_run:
        for sha256 in doomed:
            evidence_path(store_dir, sha256).unlink(missing_ok=True)
    return len(doomed)
