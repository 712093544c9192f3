"""Web captures on the pages: asked for from a case page (consumer or staff) or the regulator's
desk, and their files served so that a captured page never runs in odr's origin: the
screenshot as an image, the WARC and the report as downloads (never rendered inline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, Redirect, Template
from sqlalchemy.orm import Session

from odr.auth.actor import Actor, consumer_actor
from odr.auth.service import actor_for
from odr.auth.web import provide_regulator_actor, session_user
from odr.captures.models import WebCapture
from odr.captures.service import (
    FILE_TYPES,
    desk_captures,
    file_path,
    link_capture,
    may_see,
    request_capture,
)
from odr.cases.access import CaseNotFound, load_case
from odr.cases.models import Case
from odr.engine.rules import Rules
from odr.errors import InvalidData
from odr.notify.service import unread_count
from odr.portals.case_page import case_context
from odr.portals.consumer.controller import consumer_of, tracked_cases
from odr.portals.forms import UrlForm
from odr.settings import Settings
from odr.text import N_

NO_SUCH_FILE = N_("文件不存在")
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}


def ask_on_case(
    session: Session,
    case: Case,
    actor: Actor,
    rules: Rules,
    settings: Settings,
    data: dict[str, Any],
    *,
    template: str,
    page_url: str,
) -> Template | Redirect:
    """Queue a capture from a case page's form; the page again with the error otherwise."""
    url = str(data.get("url", ""))
    try:
        request_capture(session, url, actor, settings, case=case)
    except InvalidData as exc:
        context = case_context(session, case, actor, rules, errors=exc.errors, values={"url": url})
        context["open_action"] = "capture"
        return Template(template, context=context, status_code=400)
    return Redirect(f"{page_url}#captures", status_code=303)


def _viewers(request: Request, session: Session, row: WebCapture) -> list[Actor]:
    actors = []
    if row.case_id is not None and row.case_id in tracked_cases(request):
        case = session.get(Case, row.case_id)
        if case is not None:
            actors.append(consumer_actor(case.id, case.complainant_name))
    if (user := session_user(request, session)) is not None:
        actors.append(actor_for(session, user))
    return actors


def _file(
    request: Request, session: Session, settings: Settings, capture_id: int, kind: str
) -> Path:
    row = session.get(WebCapture, capture_id)
    if (
        row is None
        or row.status != "done"
        or not any(may_see(session, actor, row) for actor in _viewers(request, session, row))
    ):
        raise NotFoundException(NO_SUCH_FILE)
    path = file_path(settings, row, kind)
    if path is None or not path.is_file():
        raise NotFoundException(NO_SUCH_FILE)
    return path


@get("/captures/{capture_id:int}/screenshot.png", sync_to_thread=True)
def capture_screenshot(
    request: Request,
    db_session: NamedDependency[Session],
    settings: NamedDependency[Settings],
    capture_id: FromPath[int],
) -> File:
    """The screenshot, as an image (a PNG odr made: nothing of the page runs)."""
    path = _file(request, db_session, settings, capture_id, "screenshot")
    return File(
        path=path,
        filename=f"capture-{capture_id}.png",
        media_type="image/png",
        content_disposition_type="inline",
        headers=DOWNLOAD_HEADERS,
    )


@get("/captures/{capture_id:int}/capture.warc.gz", sync_to_thread=True)
def capture_warc(
    request: Request,
    db_session: NamedDependency[Session],
    settings: NamedDependency[Settings],
    capture_id: FromPath[int],
) -> File:
    """The web archive, always as a download: the captured page is never served by odr."""
    path = _file(request, db_session, settings, capture_id, "warc")
    return File(
        path=path,
        filename=f"capture-{capture_id}.warc.gz",
        media_type=FILE_TYPES["warc"][0],
        content_disposition_type="attachment",
        headers=DOWNLOAD_HEADERS,
    )


@get("/captures/{capture_id:int}/report.pdf", sync_to_thread=True)
def capture_report(
    request: Request,
    db_session: NamedDependency[Session],
    settings: NamedDependency[Settings],
    capture_id: FromPath[int],
) -> File:
    path = _file(request, db_session, settings, capture_id, "report")
    return File(
        path=path,
        filename=f"capture-{capture_id}-report.pdf",
        media_type="application/pdf",
        content_disposition_type="attachment",
        headers=DOWNLOAD_HEADERS,
    )


@post("/track/{number:str}/captures", sync_to_thread=True)
def consumer_capture(
    request: Request,
    db_session: NamedDependency[Session],
    rules: NamedDependency[Rules],
    settings: NamedDependency[Settings],
    number: FromPath[str],
    data: UrlForm,
) -> Template | Redirect:
    """The consumer asks for a capture on their tracked case."""
    actor = consumer_of(request, db_session, number)
    if actor is None:
        return Redirect("/track", status_code=303)
    case = load_case(db_session, number, actor)
    return ask_on_case(
        db_session,
        case,
        actor,
        rules,
        settings,
        dict(data),
        template="consumer/case.html",
        page_url=f"/track/{number}",
    )


class CaptureDeskController(Controller):
    """The regulator's desk for captures: capture a URL before there is a case, see the
    office's captures, link one to a case."""

    path = "/regulator/captures"
    dependencies = {"actor": Provide(provide_regulator_actor, sync_to_thread=True)}

    def _page(
        self,
        session: Session,
        actor: Actor,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template(
            "regulator/captures.html",
            context={
                "captures": desk_captures(session, actor),
                "actor": actor,
                "unread": unread_count(session, actor),
                "errors": errors or {},
                "values": values or {},
            },
            status_code=status_code,
        )

    @get("/", sync_to_thread=True)
    def desk(self, db_session: NamedDependency[Session], actor: NamedDependency[Actor]) -> Template:
        return self._page(db_session, actor)

    @post("/", sync_to_thread=True)
    def ask(
        self,
        db_session: NamedDependency[Session],
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        data: UrlForm,
    ) -> Template | Redirect:
        url = str(data.get("url", ""))
        try:
            request_capture(db_session, url, actor, settings)
        except InvalidData as exc:
            return self._page(db_session, actor, exc.errors, {"url": url}, 400)
        return Redirect("/regulator/captures", status_code=303)

    @post("/{capture_id:int}/link", sync_to_thread=True)
    def link(
        self,
        db_session: NamedDependency[Session],
        actor: NamedDependency[Actor],
        capture_id: FromPath[int],
        data: UrlForm,
    ) -> Template | Redirect:
        """Link a finished capture to a case: its hashes go onto that case's chain."""
        row = db_session.get(WebCapture, capture_id)
        if row is None or not may_see(db_session, actor, row):
            raise NotFoundException(NO_SUCH_FILE)
        number = str(data.get("case_number", ""))
        try:
            case = link_capture(db_session, row, number, actor)
        except (InvalidData, CaseNotFound) as exc:
            errors = (
                exc.errors
                if isinstance(exc, InvalidData)
                else {"case_number": "no such case in your office"}
            )
            db_session.rollback()
            return self._page(db_session, actor, {f"{capture_id}": errors["case_number"]}, {}, 400)
        return Redirect(f"/regulator/cases/{case.number}#captures", status_code=303)
