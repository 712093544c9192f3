"""The public disclosure pages (消费投诉信息公示) in Chromium: search by business name on a phone,
a business's page with its published complaints and scorecard, in Chinese and English, and the
business objecting from its portal. Takes the README's picture of a business's public page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from disclosure_cases import CLOSED, PUBLISH, SHOP, mediated, settled
from pages import assert_cjk_rendered, assert_fits_phone, log_in
from playwright.sync_api import expect

from odr.cases.disclosure import publish_due

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


def published(factory, rules) -> None:  # type: ignore[no-untyped-def]
    with factory.begin() as session:
        for i in range(3):
            settled(session, rules, CLOSED + timedelta(hours=i))
        mediated(session, rules, CLOSED + timedelta(hours=4), problem_nature="price")
    assert publish_due(factory, rules, 10, now=PUBLISH) == 4


def test_search_and_business_page_on_a_phone(new_context, factory, rules, screenshot):
    published(factory, rules)
    page = new_context(phone=True).new_page()
    page.goto("/")
    page.get_by_role("link", name="投诉公示").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("消费投诉信息公示")
    page.get_by_role("searchbox", name="经营者名称").fill("美团")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table.disclosures tbody tr")).to_have_count(3)
    expect(page.locator("table.disclosures")).not_to_contain_text(SHOP)
    assert_fits_phone(page)
    assert_cjk_rendered(page, "h1")

    page.get_by_role("link", name="美团优选（南宁）").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("美团优选（南宁）")
    expect(page.locator("table.disclosures tbody tr")).to_have_count(3)
    expect(page.locator("table.disclosures").first).to_contain_text("食品类")
    expect(page.locator("table.disclosures").first).to_contain_text("已和解办结")
    expect(page.get_by_text("按时办结率").first).to_be_visible()
    assert_fits_phone(page)
    screenshot(page, "disclosure-business-phone")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Published complaints")).to_be_visible()
    expect(page.locator("table.disclosures").first).to_contain_text("Closed, settled")
    assert_fits_phone(page)


def test_business_page_on_a_desktop_in_both_languages(new_context, factory, rules, screenshot):
    published(factory, rules)
    page = new_context().new_page()
    page.goto("/disclosures")
    page.get_by_role("link", name=SHOP).click()
    expect(page.locator("table.disclosures tbody tr")).to_have_count(1)
    expect(page.locator("table.disclosures")).to_contain_text("价格")
    page.goto("/disclosures")
    page.get_by_role("link", name="美团优选（南宁）").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("美团优选（南宁）")
    screenshot(page, "disclosure-business")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Complaint handling")).to_be_visible()
    expect(page.locator("table.disclosures")).to_contain_text("Food")


def test_business_objects_from_its_portal(new_context, factory, rules, demo_logins):
    with factory.begin() as session:
        number = settled(session, rules, datetime.now(UTC) - timedelta(hours=1)).number
    page = log_in(new_context(phone=True), "enterprise", "meituan", demo_logins["meituan"])
    page.get_by_role("link", name="投诉公示").click()
    row = page.locator("tr", has_text=number)
    row.get_by_text("对公示提出异议").first.click()
    row.get_by_label("事实错误说明").fill("该订单已全额退款，记录的处理结果有误")
    row.get_by_role("button", name="对公示提出异议").click()
    expect(page.get_by_role("status")).to_contain_text(number)
    expect(page.locator("table.cases").last).to_contain_text("待决定")
    assert_fits_phone(page)
