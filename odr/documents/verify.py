"""`odr audit verify` for the papers: each stored PDF must still hash to the SHA-256 that its
issue_document event chained (the chain itself is checked by odr/cases/chain.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from odr.cases.chain import ChainProblem, of_cases
from odr.cases.evidence import evidence_path
from odr.cases.models import Case, CaseEvent
from odr.documents.models import Document
from odr.documents.service import ISSUE_TRIGGER
from odr.masking import REDACTED


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_documents(
    session: Session,
    store_dir: Path,
    batch: int = 1000,
    case_ids: Sequence[int] | None = None,
) -> Iterator[ChainProblem]:
    """A problem for each paper (of these cases, else of all) whose row or file no longer
    matches its chained event."""
    for scope in of_cases(Document.case_id, case_ids, batch):
        yield from _verify(session, store_dir, batch, scope)


def _verify(
    session: Session, store_dir: Path, batch: int, scope: ColumnElement[bool]
) -> Iterator[ChainProblem]:
    last_id = 0
    while True:
        rows = session.execute(
            select(Document, Case.number, Case.complainant_name, CaseEvent)
            .join(Case, Case.id == Document.case_id)
            .outerjoin(
                CaseEvent,
                and_(CaseEvent.case_id == Document.case_id, CaseEvent.seq == Document.event_seq),
            )
            .where(Document.id > last_id, scope)
            .order_by(Document.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for document, case_number, complainant, event in rows:
            yield from _problems(document, case_number, event, store_dir, complainant == REDACTED)
        last_id = rows[-1][0].id
        session.expunge_all()


def _problems(
    document: Document,
    case_number: str,
    event: CaseEvent | None,
    store_dir: Path,
    purged: bool,
) -> Iterator[ChainProblem]:
    seq, event_id = document.event_seq, event.id if event else None
    if (
        event is None
        or event.trigger != ISSUE_TRIGGER
        or event.payload.get("sha256") != document.sha256
        # The purge masks the number in the payload (free text to it); the hash stays.
        or (event.payload.get("number") != document.number and not purged)
    ):
        yield ChainProblem(
            case_number, seq, event_id, f"document {document.number}: not the one its event chained"
        )
        return
    path = evidence_path(store_dir, document.sha256)
    if not path.is_file():
        if purged:
            return  # its file went with the personal data (odr/documents/privacy.py)
        yield ChainProblem(case_number, seq, event_id, f"document {document.number}: file missing")
    elif file_sha256(path) != document.sha256:
        yield ChainProblem(
            case_number,
            seq,
            event_id,
            f"document {document.number}: file altered (SHA-256 mismatch)",
        )
