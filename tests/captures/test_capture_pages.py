"""Captures on the pages: asked for by the consumer (form, tracked case) and staff (case page,
regulator's desk), shown on the case, files served as an image or as downloads, scoped."""

from __future__ import annotations

import re

from capture_net import Pages, StubResolver
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web_client import Browser

from odr.captures.models import WebCapture
from odr.captures.service import CAPTURED_TRIGGER, run_captures
from odr.cases.models import CaseEvent
from odr.settings import Settings


def _only_capture(factory: sessionmaker[Session]) -> WebCapture:
    with factory() as session:
        return session.scalars(select(WebCapture)).one()


def test_the_consumer_captures_on_their_case_and_gets_the_files(
    client: Browser,
    other_client: Browser,
    file_complaint,  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session],
    capture_settings: Settings,
    pages: Pages,
    resolver: StubResolver,
) -> None:
    number, _ = file_complaint()
    refused = client.post(f"/track/{number}/captures", {"url": "file:///etc/passwd"})
    assert refused.status_code == 400
    assert "该网址不能取证" in refused.text and "only http and https" in refused.text
    assert 'value="file:///etc/passwd"' in refused.text  # what was typed is kept
    inside = client.post(f"/track/{number}/captures", {"url": "http://192.168.1.1/"})
    assert inside.status_code == 400 and "private" in inside.text
    url = f"http://shop.test:{pages.port}/listing"
    asked = client.post(f"/track/{number}/captures", {"url": url}, follow_redirects=False)
    assert asked.status_code == 303
    assert "排队中" in client.get(f"/track/{number}").text
    run_captures(factory, capture_settings, resolver)
    row = _only_capture(factory)
    page = client.get(f"/track/{number}").text
    assert "已取证" in page and f"/captures/{row.id}/report.pdf" in page
    assert "网页取证" in page  # the timeline's event
    shot = client.get(f"/captures/{row.id}/screenshot.png")
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
    assert shot.headers["x-content-type-options"] == "nosniff"
    assert shot.content.startswith(b"\x89PNG")
    warc = client.get(f"/captures/{row.id}/capture.warc.gz")
    assert warc.status_code == 200
    assert warc.headers["content-disposition"].startswith("attachment")
    assert warc.headers["content-type"].startswith("application/warc")
    assert warc.headers["x-content-type-options"] == "nosniff"
    report = client.get(f"/captures/{row.id}/report.pdf")
    assert report.headers["content-disposition"].startswith("attachment")
    assert report.content.startswith(b"%PDF")
    for path in ("screenshot.png", "capture.warc.gz", "report.pdf"):
        assert other_client.get(f"/captures/{row.id}/{path}").status_code == 404


def test_the_complaint_form_queues_a_capture_and_refuses_a_bad_url(
    client: Browser,
    file_complaint,
    factory: sessionmaker[Session],  # type: ignore[no-untyped-def]
) -> None:
    from complaints import complaint_form

    bad = client.post("/", complaint_form(capture_url="http://169.254.169.254/latest/"))
    assert bad.status_code == 400 and "link-local" in bad.text
    assert 'value="http://169.254.169.254/latest/"' in bad.text
    number, _ = file_complaint(capture_url="shop.example/item/7")
    row = _only_capture(factory)
    assert row.url == "https://shop.example/item/7" and row.status == "queued"


def test_staff_capture_on_the_case_page_within_their_scope(
    client: Browser,
    other_client: Browser,
    file_complaint,  # type: ignore[no-untyped-def]
    demo_logins: dict[str, str],
    factory: sessionmaker[Session],
) -> None:
    number, _ = file_complaint()
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    page = other_client.get(f"/enterprise/cases/{number}").text
    assert 'action="/enterprise/cases/' + number + '/captures"' in page
    asked = other_client.post(
        f"/enterprise/cases/{number}/captures",
        {"url": "https://shop.example/item/1"},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    row = _only_capture(factory)
    assert row.requested_role == "enterprise"
    outsider = Browser(other_client.client)
    outsider.client.cookies.clear()
    outsider.login("enterprise", "duoduo", demo_logins["duoduo"])
    assert (
        outsider.post(
            f"/enterprise/cases/{number}/captures", {"url": "https://a.example/"}
        ).status_code
        == 404
    )


def test_the_regulator_captures_from_the_desk_and_links_it_to_a_case(
    app: Litestar,
    file_complaint,  # type: ignore[no-untyped-def]
    demo_logins: dict[str, str],
    factory: sessionmaker[Session],
    capture_settings: Settings,
    pages: Pages,
    resolver: StubResolver,
) -> None:
    number, _ = file_complaint()
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        staff = Browser(test_client)
        staff.login("regulator", "reg450103", demo_logins["reg450103"])
        assert "网页取证" in staff.get("/regulator").text  # in the menu
        refused = staff.post("/regulator/captures", {"url": "http://10.0.0.8/"})
        assert refused.status_code == 400 and "private" in refused.text
        url = f"http://shop.test:{pages.port}/listing"
        asked = staff.post("/regulator/captures", {"url": url}, follow_redirects=False)
        assert asked.status_code == 303
        run_captures(factory, capture_settings, resolver)
        row = _only_capture(factory)
        assert row.case_id is None and row.status == "done"
        desk = staff.get("/regulator/captures").text
        assert f"/regulator/captures/{row.id}/link" in desk
        assert staff.get(f"/captures/{row.id}/screenshot.png").status_code == 200
        wrong = staff.post(f"/regulator/captures/{row.id}/link", {"case_number": "NOPE"})
        assert wrong.status_code == 400
        linked = staff.post(
            f"/regulator/captures/{row.id}/link", {"case_number": number}, follow_redirects=False
        )
        assert linked.status_code == 303, re.findall(r"<code>(.*?)</code>", linked.text)
        assert re.search(rf"/regulator/cases/{number}", linked.headers["location"])
        case_page = staff.get(f"/regulator/cases/{number}").text
        assert f"/captures/{row.id}/report.pdf" in case_page
        # In English, the captures show no Chinese but the people's names (user data).
        staff.get("/lang/en", follow_redirects=False)
        for path in ("/regulator/captures", f"/regulator/cases/{number}"):
            english = staff.get(path).text
            section = english[english.index("capture-list") :]
            section = section[: section.index("</ul>")]
            section = re.sub(r"<bdi[^>]*>.*?</bdi>", "", section)  # names and addresses
            assert not re.search(r"[\u4e00-\u9fff]", section), section
    with factory() as session:
        event = session.scalar(select(CaseEvent).where(CaseEvent.trigger == CAPTURED_TRIGGER))
        assert event is not None and event.payload["capture_id"] == row.id
