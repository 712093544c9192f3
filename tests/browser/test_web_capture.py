"""Staff capture a web page from a case page in a real browser and download the report; the
capture itself runs in the worker's pass, under the loopback guard (tests/capture_net.py)."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from capture_net import Guard, Pages, StubResolver, loopback_only, serving_pages
from pages import assert_fits_phone, file_complaint, log_in
from playwright.sync_api import expect
from pypdf import PdfReader

from odr.captures.service import run_captures
from odr.settings import Settings

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    with loopback_only(monkeypatch) as watching:
        yield watching


@pytest.fixture
def site() -> Iterator[Pages]:
    with serving_pages() as served:
        yield served


def test_staff_capture_a_page_from_the_case_and_download_the_report(
    guard: Guard,
    site: Pages,
    new_context,  # type: ignore[no-untyped-def]
    factory,  # type: ignore[no-untyped-def]
    settings: Settings,
    demo_logins: dict[str, str],
    chromium_path: Path,
    screenshot,  # type: ignore[no-untyped-def]
) -> None:
    number, _ = file_complaint(new_context())
    staff = new_context(phone=True, accept_downloads=True)
    page = log_in(staff, "regulator", "reg450103", demo_logins["reg450103"])
    page.goto(f"/regulator/cases/{number}")
    form = page.locator("form.capture-form")
    form.locator("#capture-url").fill("http://10.0.0.7/admin")
    form.get_by_role("button", name="网页取证").click()
    expect(page.locator("#capture-url-error")).to_contain_text("private")
    expect(page.locator("#capture-url")).to_have_value("http://10.0.0.7/admin")

    url = f"http://shop.test:{site.port}/listing"
    page.locator("#capture-url").fill(url)
    page.locator("form.capture-form").get_by_role("button", name="网页取证").click()
    expect(page).to_have_url(re.compile(r"#captures$"))
    expect(page.locator(".capture-list")).to_contain_text("排队中")

    # The worker's pass (in `odr serve` or `odr worker`), with loopback allowed for the test.
    allowed = dataclasses.replace(
        settings, capture_allow_loopback=True, capture_browser=chromium_path
    )
    assert run_captures(factory, allowed, StubResolver()) == 1
    site.price = "129.00"  # the listing changes after the capture

    page.reload()
    captured = page.locator(".capture-list li").first
    expect(captured).to_contain_text("已取证")
    expect(captured).to_contain_text(url)
    assert_fits_phone(page)
    page.locator("#captures").scroll_into_view_if_needed()
    screenshot(page, "web-capture")
    with page.expect_download() as download:
        captured.locator("a.capture-report").click()
    data = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith("-report.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "网页取证报告" in text and number in text and url in text.replace("\n", "")

    # The screenshot is an image in a page of its own, not the captured page run by odr.
    image = staff.new_page()
    response = image.goto(captured.locator("a", has_text="截图").get_attribute("href") or "")
    assert response is not None and response.headers["content-type"] == "image/png"
