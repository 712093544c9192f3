"""案件查询 in a real browser: a clerk on the hotline finds the caller's case by the last four
digits of the phone and the caller's name, from the box on the desk, and opens it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pages import assert_cjk_rendered, assert_fits_phone, log_in
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "portals"))
from regulator_cases import file  # noqa: E402

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_clerk_finds_a_callers_case_by_phone_tail_and_name(
    new_context, factory, rules, demo_logins, screenshot, phone
):
    with factory.begin() as session:
        wanted = file(
            session,
            rules,
            complainant_name="王小明",
            complainant_phone="13877778000",
            product="广式月饼礼盒",
            facts="在便利店买的月饼已经过期发霉，店家拒绝退款。",
        ).number
        file(session, rules, complainant_name="李娜", complainant_phone="13911118000")
    page = log_in(new_context(phone=phone), "regulator", "reg450102", demo_logins["reg450102"])
    box = page.get_by_role("searchbox", name="案件查询").first
    box.fill("8000 王小明")
    box.press("Enter")
    page.wait_for_url("**/regulator/search?q=*")
    rows = page.locator("table.search-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("王**")
    expect(rows.first).to_contain_text("138****8000")
    assert_cjk_rendered(page, "h1")
    if phone:
        assert_fits_phone(page)
    screenshot(page, f"case-search-{'phone' if phone else 'desktop'}")
    rows.first.get_by_role("link", name=wanted).click()
    page.wait_for_url(f"**/regulator/cases/{wanted}")
    expect(page.locator("main")).to_contain_text("广式月饼礼盒")
