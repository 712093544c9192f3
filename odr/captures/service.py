"""Web captures: queued by a consumer or staff, run by the worker, fixed into the case's chain.

A capture is asked for (`request_capture`) in the asker's transaction; the worker claims
queued rows for a lease in one short transaction (`claim`, behind odr/db/dialects.py like the
outbox), captures outside any transaction (a page may take its whole time limit), then writes
the files and, in one transaction, the row and the case event that puts every file's SHA-256
on the case's hash chain (through odr/cases/service.py's record_event). A capture made from
the regulator's desk without a case gets that event when it is linked to one.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from odr.auth.access import may_act, may_view
from odr.auth.actor import Actor
from odr.captures.addresses import Resolver, form_url, system_resolver
from odr.captures.models import FILE_KINDS, WebCapture
from odr.cases.access import CaseNotFound
from odr.cases.chain import of_cases
from odr.cases.evidence import EvidenceFile, evidence_path, write_file
from odr.cases.models import Case
from odr.cases.service import record_event
from odr.clock import utcnow
from odr.db.dialects import claim as claimed
from odr.errors import CaseForbidden, InvalidData
from odr.settings import Settings

if TYPE_CHECKING:  # the browser (Playwright) and the report (WeasyPrint) load when used
    from odr.captures.browser import Captured, Limits

log = logging.getLogger("odr.captures")

CAPTURED_TRIGGER = "web_captured"
MAX_ATTEMPTS = 3
# A case's captures waiting at once, and in all: whoever holds a case's access code can
# neither fill the queue nor the disk.
MAX_QUEUED_PER_CASE = 5
MAX_PER_CASE = 50
FILE_TYPES = {
    "screenshot": ("image/png", "png"),
    "warc": ("application/warc", "warc.gz"),
    "report": ("application/pdf", "pdf"),
}


def lease(settings: Settings) -> timedelta:
    """How long a claim holds: the time limit, the report, and a margin."""
    return timedelta(seconds=settings.capture_time_limit_seconds * 2 + 60)


def request_capture(
    session: Session,
    url: str,
    actor: Actor,
    settings: Settings,
    *,
    case: Case | None = None,
    now: datetime | None = None,
) -> WebCapture:
    """Queue a capture of a URL for a case (the actor must be able to act on it) or, for a
    regulator without a case, for the actor's office; InvalidData names the field `url`."""
    if case is not None and not may_act(actor, case):
        raise CaseForbidden(case.number)
    if case is None and (actor.role != "regulator" or actor.office_id is None):
        raise CaseForbidden("a capture without a case is for a regulator's office")
    checked = form_url(url, settings.capture_allow_loopback)
    if case is not None:
        statuses = session.scalars(
            select(WebCapture.status).where(WebCapture.case_id == case.id)
        ).all()
        if len(statuses) >= MAX_PER_CASE:
            raise InvalidData({"url": f"at most {MAX_PER_CASE} captures for a case"})
        if sum(s in ("queued", "capturing") for s in statuses) >= MAX_QUEUED_PER_CASE:
            raise InvalidData({"url": f"at most {MAX_QUEUED_PER_CASE} captures wait at once"})
    row = WebCapture(
        case_id=case.id if case is not None else None,
        office_id=case.office_id if case is not None else actor.office_id,
        url=checked,
        requested_by=actor.label,
        requested_role=actor.role,
        requested_user_id=actor.user_id,
        requested_at=now or utcnow(),
        status="queued",
        attempts=0,
        facts={},
    )
    session.add(row)
    session.flush()
    return row


def may_see(session: Session, actor: Actor, row: WebCapture) -> bool:
    """A capture is seen by whoever may see its case; one without a case by its office."""
    if row.case_id is not None:
        case = session.get(Case, row.case_id)
        return case is not None and may_view(actor, case)
    return actor.role == "regulator" and row.office_id in actor.office_ids


def captures_of_case(session: Session, case: Case) -> list[WebCapture]:
    return list(
        session.scalars(
            select(WebCapture).where(WebCapture.case_id == case.id).order_by(WebCapture.id)
        )
    )


def desk_captures(session: Session, actor: Actor, limit: int = 50) -> list[WebCapture]:
    """The newest captures of the regulator's offices (with or without a case)."""
    return list(
        session.scalars(
            select(WebCapture)
            .where(WebCapture.office_id.in_(actor.office_ids))
            .order_by(WebCapture.id.desc())
            .limit(limit)
        )
    )


def _claim(
    factory: sessionmaker[Session], settings: Settings, now: datetime
) -> tuple[str, list[tuple[int, str, int | None]]]:
    """Claim up to capture_concurrency due captures for a lease: (token, [(id, url, case)])."""
    token = secrets.token_hex(8)
    table = WebCapture.__table__
    due = claimed(
        select(table.c.id)
        .where(
            or_(
                table.c.status == "queued",
                and_(table.c.status == "capturing", table.c.claimed_until < now),
            ),
            table.c.attempts < MAX_ATTEMPTS,
        )
        .order_by(table.c.id)
        .limit(max(1, settings.capture_concurrency))
    )
    with factory() as session, session.begin():
        rows = session.execute(
            update(table)
            .where(table.c.id.in_(due.scalar_subquery()))
            .values(
                status="capturing",
                claim_token=token,
                claimed_until=now + lease(settings),
                attempts=table.c.attempts + 1,
            )
            .returning(table.c.id, table.c.url, table.c.case_id)
        ).all()
        # Claims that ran out MAX_ATTEMPTS times: their browser died each time.
        session.execute(
            update(table)
            .where(
                table.c.status == "capturing",
                table.c.claimed_until < now,
                table.c.attempts >= MAX_ATTEMPTS,
            )
            .values(status="failed", error="the capture stopped without an answer, 3 times")
        )
    return token, [(r.id, r.url, r.case_id) for r in sorted(rows, key=lambda r: r.id)]


def limits(settings: Settings) -> Limits:
    from odr.captures.browser import Limits

    return Limits(
        seconds=settings.capture_time_limit_seconds,
        bytes=settings.capture_max_bytes,
        chromium=settings.capture_browser,
        allow_loopback=settings.capture_allow_loopback,
    )


def run_captures(
    factory: sessionmaker[Session],
    settings: Settings,
    resolver: Resolver = system_resolver,
    now: datetime | None = None,
) -> int:
    """One pass of the worker: claim due captures, run them at once (at most
    capture_concurrency), record each; how many were finished."""
    token, rows = _claim(factory, settings, now or utcnow())
    if not rows:
        return 0
    from odr.captures.browser import capture

    def one(row: tuple[int, str, int | None]) -> int:
        capture_id, url, _ = row
        result = capture(url, limits(settings), resolver)
        return finish(factory, settings, capture_id, token, result)

    with ThreadPoolExecutor(max_workers=len(rows), thread_name_prefix="odr-capture") as pool:
        return sum(pool.map(one, rows))


def _store(evidence_dir: Path, kind: str, data: bytes) -> str:
    media_type, extension = FILE_TYPES[kind]
    f = EvidenceFile(f"capture.{extension}", media_type, data)
    write_file(evidence_dir, f)
    return f.sha256


def _facts(result: Captured) -> dict[str, Any]:
    return {
        "headers": result.headers,
        "redirects": result.redirects,
        "blocked": result.blocked,
        "tls": result.tls,
        "server_address": result.server_address,
        "screenshot_cut": result.screenshot_cut,
        "received_bytes": result.received_bytes,
    }


def _files(
    factory: sessionmaker[Session], settings: Settings, capture_id: int, result: Captured
) -> dict[str, str]:
    """Write a finished capture's files (screenshot, WARC, report) before its transaction (a
    report takes a moment to render): their SHA-256 by kind."""
    assert result.screenshot is not None and result.warc is not None
    with factory() as session:
        asked = session.get(WebCapture, capture_id)
        assert asked is not None
        case = session.get(Case, asked.case_id) if asked.case_id else None
        draft = WebCapture(
            id=asked.id,
            url=asked.url,
            requested_by=asked.requested_by,
            final_url=result.final_url,
            http_status=result.http_status,
            facts=_facts(result),
            started_at=result.started_at,
            finished_at=result.finished_at,
            browser_version=result.browser_version,
            odr_version=result.odr_version,
            screenshot_sha256=_store(settings.evidence_dir, "screenshot", result.screenshot),
            warc_sha256=_store(settings.evidence_dir, "warc", result.warc),
        )
        case_number = case.number if case is not None else None
    from odr.captures.report import render_report

    report = render_report(draft, result.screenshot, case_number)
    return {
        "screenshot": draft.screenshot_sha256 or "",
        "warc": draft.warc_sha256 or "",
        "report": _store(settings.evidence_dir, "report", report),
    }


def finish(
    factory: sessionmaker[Session],
    settings: Settings,
    capture_id: int,
    token: str,
    result: Captured,
) -> int:
    """Record a capture's outcome if the claim still holds: its files written first, then the
    row and (with a case) the chain event in one transaction; 1 if recorded."""
    files: dict[str, str] = {}
    if result.status == "done":
        if result.screenshot and result.warc:
            files = _files(factory, settings, capture_id, result)
        else:
            result.status, result.error = "failed", "nothing captured"
    with factory() as session, session.begin():
        row = session.scalar(
            claimed(
                select(WebCapture).where(
                    WebCapture.id == capture_id, WebCapture.claim_token == token
                )
            )
        )
        if row is None or row.status != "capturing":
            return 0  # the lease ran out and another worker took it
        row.claim_token = None
        row.claimed_until = None
        row.status = result.status
        row.error = result.error
        row.started_at = result.started_at
        row.finished_at = result.finished_at
        row.browser_version = result.browser_version
        row.odr_version = result.odr_version
        row.facts = _facts(result)
        if files:
            row.final_url = result.final_url
            row.http_status = result.http_status
            row.screenshot_sha256 = files["screenshot"]
            row.warc_sha256 = files["warc"]
            row.report_sha256 = files["report"]
            case = session.get(Case, row.case_id) if row.case_id else None
            if case is not None:
                _chain(session, case, row, result.finished_at or utcnow())
    return 1


def event_payload(row: WebCapture) -> dict[str, Any]:
    """What the chain holds of a capture: where, when, with what, and every file's hash."""
    return {
        "capture_id": row.id,
        "url": row.url,
        "final_url": row.final_url,
        "http_status": row.http_status,
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "browser": row.browser_version,
        "odr_version": row.odr_version,
        "tls_sha256": (row.facts.get("tls") or {}).get("sha256"),
        "files": {kind: row.sha256_of(kind) for kind in FILE_KINDS},
    }


def _chain(session: Session, case: Case, row: WebCapture, now: datetime) -> None:
    actor = Actor(role=row.requested_role, label=row.requested_by, user_id=row.requested_user_id)
    if row.requested_role == "consumer":
        actor = Actor(role="consumer", label=row.requested_by, case_id=case.id)
    event = record_event(session, case, CAPTURED_TRIGGER, actor, event_payload(row), now=now)
    row.event_seq = event.seq


def link_capture(
    session: Session, row: WebCapture, case_number: str, actor: Actor, now: datetime | None = None
) -> Case:
    """Link a desk capture (done, without a case) to a case the actor may act on: its hashes
    go onto that case's chain now. InvalidData names the field `case_number`."""
    if row.case_id is not None:
        raise InvalidData({"case_number": "already linked"})
    if row.status != "done":
        raise InvalidData({"case_number": "only a finished capture can be linked"})
    case = session.scalar(select(Case).where(Case.number == case_number.strip()))
    if case is None or not may_act(actor, case):
        raise CaseNotFound(case_number)
    row.case_id = case.id
    _chain(session, case, row, now or utcnow())
    return case


def file_path(settings: Settings, row: WebCapture, kind: str) -> Path | None:
    sha = row.sha256_of(kind)
    return evidence_path(settings.evidence_dir, sha) if sha else None


@dataclass(frozen=True)
class CaptureProblem:
    capture_id: int
    problem: str

    def __str__(self) -> str:
        return f"capture #{self.capture_id}: {self.problem}"


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_captures(
    session: Session,
    evidence_dir: Path,
    batch: int = 500,
    case_ids: Sequence[int] | None = None,
) -> Iterator[CaptureProblem]:
    """Every finished capture's files (of these cases, else every capture's) against their
    hashes, and (when it is on a case) its row against the chain event that recorded them (the
    event's own hash is the chain's)."""
    for scope in of_cases(WebCapture.case_id, case_ids, batch):
        yield from _verify_captures(session, evidence_dir, batch, scope)


def _verify_captures(
    session: Session, evidence_dir: Path, batch: int, scope: ColumnElement[bool]
) -> Iterator[CaptureProblem]:
    from odr.cases.models import CaseEvent

    last = 0
    while True:
        rows = session.scalars(
            select(WebCapture)
            .where(WebCapture.id > last, WebCapture.status == "done", scope)
            .order_by(WebCapture.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            for kind in FILE_KINDS:
                sha = row.sha256_of(kind)
                if not sha:
                    yield CaptureProblem(row.id, f"no {kind} hash")
                    continue
                path = evidence_path(evidence_dir, sha)
                if not path.is_file():
                    yield CaptureProblem(row.id, f"{kind} file missing")
                elif _sha256_of_file(path) != sha:
                    yield CaptureProblem(row.id, f"{kind} file altered (hash mismatch)")
            if row.case_id is not None:
                event = session.scalar(
                    select(CaseEvent).where(
                        CaseEvent.case_id == row.case_id, CaseEvent.seq == row.event_seq
                    )
                )
                if event is None or event.trigger != CAPTURED_TRIGGER:
                    yield CaptureProblem(row.id, "no event on the case's chain")
                elif event.payload.get("files") != {k: row.sha256_of(k) for k in FILE_KINDS}:
                    yield CaptureProblem(row.id, "hashes differ from the case's chain")
        last = rows[-1].id
        session.expunge_all()
