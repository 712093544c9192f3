"""Captures queued on a case, run by the worker pass, fixed into the case's hash chain, and
checked by `odr audit verify` against the files kept."""

from __future__ import annotations

import hashlib
import io

from capture_net import Pages, StubResolver
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from warcio.archiveiterator import ArchiveIterator

from odr.auth.actor import Actor
from odr.captures.models import WebCapture
from odr.captures.service import (
    CAPTURED_TRIGGER,
    file_path,
    link_capture,
    request_capture,
    run_captures,
    verify_captures,
)
from odr.cases.chain import verify_all
from odr.cases.models import Case, CaseEvent
from odr.cli import main
from odr.db.engine import transaction
from odr.errors import CaseForbidden
from odr.offices.models import Office
from odr.settings import Settings


def _case(factory: sessionmaker[Session], number: str) -> Case:
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case


def _capture(factory: sessionmaker[Session], capture_id: int) -> WebCapture:
    with factory() as session:
        row = session.get(WebCapture, capture_id)
        assert row is not None
        return row


def test_a_capture_asked_with_the_complaint_is_fixed_into_the_chain(
    file_complaint,  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session],
    capture_settings: Settings,
    pages: Pages,
    resolver: StubResolver,
) -> None:
    url = f"http://shop.test:{pages.port}/listing"
    number, _ = file_complaint(capture_url=url)
    case = _case(factory, number)
    with factory() as session:
        (queued,) = session.scalars(select(WebCapture).where(WebCapture.case_id == case.id))
        assert queued.status == "queued" and queued.requested_role == "consumer"
    assert run_captures(factory, capture_settings, resolver) == 1
    pages.price = "159.00"  # changed after the capture: the evidence keeps the first
    row = _capture(factory, queued.id)
    assert row.status == "done", row.error
    with factory() as session:
        event = session.scalar(
            select(CaseEvent).where(
                CaseEvent.case_id == case.id, CaseEvent.trigger == CAPTURED_TRIGGER
            )
        )
        assert event is not None and event.seq == row.event_seq
        assert event.payload["files"] == {
            "screenshot": row.screenshot_sha256,
            "warc": row.warc_sha256,
            "report": row.report_sha256,
        }
        assert event.payload["final_url"] == url and event.payload["http_status"] == 200
        assert list(verify_all(session)) == []
        assert list(verify_captures(session, capture_settings.evidence_dir)) == []
    for kind in ("screenshot", "warc", "report"):
        path = file_path(capture_settings, row, kind)
        assert path is not None
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256_of(kind)
    warc = file_path(capture_settings, row, "warc")
    assert warc is not None
    bodies = [
        r.content_stream().read()
        for r in ArchiveIterator(io.BytesIO(warc.read_bytes()))
        if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI") == url
    ]
    assert len(bodies) == 1 and "¥99.00".encode() in bodies[0]
    report = file_path(capture_settings, row, "report")
    assert report is not None
    reader = PdfReader(io.BytesIO(report.read_bytes()))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "网页取证报告" in text and number in text
    assert str(row.screenshot_sha256) in text.replace("\n", "")
    assert any("odr-cjk" in name for name in embedded_fonts(reader))  # WenQuanYi, embedded


def embedded_fonts(reader: PdfReader) -> list[str]:
    """The base names of the fonts whose program the PDF carries."""
    names = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for part in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                descriptor = part.get("/FontDescriptor")
                if descriptor is not None and any(
                    key in descriptor.get_object()
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    names.append(str(font["/BaseFont"]))
    return names


def test_audit_verify_names_a_capture_file_altered_on_disk(
    file_complaint,  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session],
    capture_settings: Settings,
    pages: Pages,
    resolver: StubResolver,
) -> None:
    number, _ = file_complaint(capture_url=f"http://shop.test:{pages.port}/listing")
    run_captures(factory, capture_settings, resolver)
    with factory() as session:
        row = session.scalars(select(WebCapture)).one()
    env = {
        "ODR_DATABASE_URL": capture_settings.database_url,
        "ODR_VAR_DIR": str(capture_settings.var_dir),
    }
    intact = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert intact.exit_code == 0, intact.output
    screenshot = file_path(capture_settings, row, "screenshot")
    assert screenshot is not None
    original = screenshot.read_bytes()
    try:
        screenshot.write_bytes(original + b"tampered")
        tampered = CliRunner().invoke(main, ["audit", "verify"], env=env)
        assert tampered.exit_code == 1
        assert f"capture #{row.id}: screenshot file altered (hash mismatch)" in tampered.output
        screenshot.unlink()
        missing = CliRunner().invoke(main, ["audit", "verify"], env=env)
        assert f"capture #{row.id}: screenshot file missing" in missing.output
    finally:
        screenshot.write_bytes(original)
    # The row's hashes rewritten to match a forged file: the chain event still disagrees.
    with transaction(factory) as session:
        forged = session.get(WebCapture, row.id)
        assert forged is not None
        forged.warc_sha256 = forged.screenshot_sha256
    with factory() as session:
        problems = [str(p) for p in verify_captures(session, capture_settings.evidence_dir)]
    assert f"capture #{row.id}: hashes differ from the case's chain" in problems


def test_failed_and_refused_captures_put_nothing_on_the_chain(
    file_complaint,  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session],
    capture_settings: Settings,
    pages: Pages,
    resolver: StubResolver,
) -> None:
    number, _ = file_complaint()
    case = _case(factory, number)
    actor = Actor(role="consumer", label="投诉人 张三", case_id=case.id)
    with transaction(factory) as session:
        case = session.get(Case, case.id)
        assert case is not None
        refused = request_capture(
            session, f"http://shop.test:{pages.port}/to-private", actor, capture_settings, case=case
        ).id
        huge = request_capture(
            session, f"http://shop.test:{pages.port}/huge", actor, capture_settings, case=case
        ).id
    assert run_captures(factory, capture_settings, resolver) == 2
    assert _capture(factory, refused).status == "refused"
    assert _capture(factory, huge).status == "failed"
    assert (_capture(factory, huge).error or "").startswith("size limit")
    with factory() as session:
        assert (
            session.scalar(select(CaseEvent).where(CaseEvent.trigger == CAPTURED_TRIGGER)) is None
        )
    assert run_captures(factory, capture_settings, resolver) == 0  # nothing left to claim


def test_a_desk_capture_is_linked_to_a_case_later(
    file_complaint,  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session],
    capture_settings: Settings,
    pages: Pages,
    resolver: StubResolver,
) -> None:
    number, _ = file_complaint()
    case = _case(factory, number)
    with factory() as session:
        office = session.get(Office, case.office_id)
        assert office is not None
    regulator = Actor(
        role="regulator",
        label="南宁市市场监管局 王科员",
        user_id=None,
        office_id=office.id,
        office_ids=frozenset({office.id}),
    )
    with transaction(factory) as session:
        capture_id = request_capture(
            session, f"http://shop.test:{pages.port}/listing", regulator, capture_settings
        ).id
    run_captures(factory, capture_settings, resolver)
    assert _capture(factory, capture_id).status == "done"
    with factory() as session:
        assert (
            session.scalar(select(CaseEvent).where(CaseEvent.trigger == CAPTURED_TRIGGER)) is None
        )
    with transaction(factory) as session:
        row = session.get(WebCapture, capture_id)
        assert row is not None
        link_capture(session, row, number, regulator)
    with factory() as session:
        event = session.scalar(select(CaseEvent).where(CaseEvent.trigger == CAPTURED_TRIGGER))
        assert event is not None and event.payload["capture_id"] == capture_id
        assert event.actor_role == "regulator"
        assert list(verify_all(session)) == []
        assert list(verify_captures(session, capture_settings.evidence_dir)) == []


def test_a_case_cannot_fill_the_queue(
    file_complaint,  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    import pytest

    from odr.captures.service import MAX_QUEUED_PER_CASE
    from odr.errors import InvalidData

    number, _ = file_complaint()
    with transaction(factory) as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        actor = Actor(role="consumer", label="投诉人 张三", case_id=case.id)
        for n in range(MAX_QUEUED_PER_CASE):
            request_capture(session, f"https://shop.example/item/{n}", actor, settings, case=case)
        with pytest.raises(InvalidData, match="wait at once"):
            request_capture(session, "https://shop.example/item/x", actor, settings, case=case)
        stranger = Actor(role="consumer", label="someone", case_id=case.id + 1)
        with pytest.raises(CaseForbidden):
            request_capture(session, "https://shop.example/", stranger, settings, case=case)
