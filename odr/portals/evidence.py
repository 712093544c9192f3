"""Evidence downloads, for whoever may see the case (its consumer, enterprise or office)."""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File
from sqlalchemy.orm import Session

from odr.auth.access import may_view
from odr.auth.actor import Actor, consumer_actor
from odr.auth.service import actor_for
from odr.auth.web import session_user
from odr.cases.evidence import evidence_path
from odr.cases.models import Attachment, Case
from odr.portals.consumer.controller import tracked_cases
from odr.settings import Settings
from odr.text import N_

NO_SUCH_FILE = N_("文件不存在")


def viewers(request: Request, db_session: NamedDependency[Session], case: Case) -> list[Actor]:
    actors = []
    if case.id in tracked_cases(request):
        actors.append(consumer_actor(case.id, case.complainant_name))
    if (user := session_user(request, db_session)) is not None:
        actors.append(actor_for(db_session, user))
    return actors


@get("/evidence/{attachment_id:int}", sync_to_thread=True)
def download_evidence(
    request: Request,
    db_session: NamedDependency[Session],
    settings: NamedDependency[Settings],
    attachment_id: FromPath[int],
) -> File:
    attachment = db_session.get(Attachment, attachment_id)
    if attachment is None or not any(
        may_view(actor, attachment.case) for actor in viewers(request, db_session, attachment.case)
    ):
        raise NotFoundException(NO_SUCH_FILE)
    path = evidence_path(settings.evidence_dir, attachment.sha256)
    if not path.exists():
        raise NotFoundException(NO_SUCH_FILE)
    return File(
        path=path,
        filename=attachment.filename,
        media_type=attachment.content_type,
        content_disposition_type="attachment",
        # Checked by content on upload; the browser must not guess another type on download.
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
