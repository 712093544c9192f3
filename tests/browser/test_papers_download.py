"""A clerk accepts an escalated case in Chromium and downloads the acceptance notice (受理通知书)
from the case page: a PDF whose text names the case, the office and the rulebook."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pages import (
    action_form,
    assert_fits_phone,
    file_complaint,
    load_case,
    log_in,
    state_badge,
)
from playwright.sync_api import expect
from pypdf import PdfReader

from odr.cases.sweeper import sweep

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


def test_a_clerk_downloads_the_acceptance_notice(
    new_context, factory, rules, demo_logins, screenshot
):
    number, _ = file_complaint(new_context())
    due = load_case(factory, number).due_at
    sweep(factory, rules, now=due + timedelta(seconds=1))  # the enterprise let 10 days pass

    clerk = new_context(accept_downloads=True)
    page = log_in(clerk, "regulator", "reg450103", demo_logins["reg450103"])
    page.goto(f"/regulator/cases/{number}")
    form = action_form(page, "accept")
    form.get_by_role("button").click()
    expect(state_badge(page)).to_have_text(re.compile("调解中"))
    link = page.locator("ul.documents a", has_text="受理通知书")
    expect(link).to_have_text(re.compile(r"受理通知书 青市监受字〔\d{4}〕第\d{4}号"))
    screenshot(page, "regulator-case-documents")

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"受理通知书-{number}.pdf"
    path = download.path()
    assert path is not None
    text = re.sub(
        r"\s+",
        "",
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages),
    )
    assert number in text and "南宁市青秀区市场监督管理局" in text and "受理通知书" in text

    # The city office above, on a phone, in English: the paper's title in English, the number as issued.
    phone = new_context(phone=True)
    tracked = log_in(phone, "regulator", "reg450100", demo_logins["reg450100"])
    tracked.goto(f"/regulator/cases/{number}")
    tracked.get_by_role("link", name="English").click()
    expect(tracked.locator("ul.documents a")).to_have_text(re.compile(r"^Notice of acceptance "))
    assert_fits_phone(tracked)
    screenshot(tracked, "regulator-case-documents-phone-en")
