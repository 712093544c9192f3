"""The papers' downloads (文书), for the parties a case's papers concern: its consumer (by the
tracked case), its enterprise (a report's never) and its offices; 404 for anyone else."""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File
from sqlalchemy.orm import Session

from odr.auth.access import may_view
from odr.documents.models import Document
from odr.documents.service import stored_path
from odr.portals.evidence import NO_SUCH_FILE, viewers
from odr.settings import Settings


@get("/documents/{document_id:int}", sync_to_thread=True)
def download_document(
    request: Request,
    db_session: NamedDependency[Session],
    settings: NamedDependency[Settings],
    document_id: FromPath[int],
) -> File:
    document = db_session.get(Document, document_id)
    if document is None or not any(
        may_view(actor, document.case) for actor in viewers(request, db_session, document.case)
    ):
        raise NotFoundException(NO_SUCH_FILE)
    path = stored_path(settings.evidence_dir, document)
    if not path.exists():
        raise NotFoundException(NO_SUCH_FILE)
    return File(
        path=path,
        filename=document.filename,
        media_type="application/pdf",
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
