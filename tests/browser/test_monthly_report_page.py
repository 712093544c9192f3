"""The monthly report in a real browser: a regulator picks a period, reads the figures on a
desktop and a phone (no sideways scrolling of the page), in Chinese and English, downloads the
workbook; and the regulator confirms a complaint's classification on the case page."""

from __future__ import annotations

import re

import pytest
from pages import assert_cjk_rendered, assert_fits_phone, file_complaint, load_case, log_in
from playwright.sync_api import expect

from odr.cases.report import current_period
from odr.clock import utcnow

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


def test_the_report_page_and_its_workbook(new_context, factory, rules, demo_logins, screenshot):  # type: ignore[no-untyped-def]
    from odr.demo.loading import generate_cases

    now = utcnow()
    generate_cases(factory, rules, 600, now, overdue=5, seed=11, processes=1)
    period = current_period(now).code

    desktop = new_context()
    page = log_in(desktop, "regulator", "reg450100", demo_logins["reg450100"])
    page.get_by_role("link", name="月报").click()
    expect(page).to_have_url(re.compile(r"/regulator/reports"))
    expect(page.locator("p.lead")).to_contain_text(period)
    expect(page.locator("#headline-figures")).to_contain_text("挽回经济损失")
    expect(page.locator("section#category table tbody tr").first).to_be_visible()
    assert_cjk_rendered(page, "h1")
    screenshot(page, "monthly-report")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel 报表").click()
    assert download.value.suggested_filename == f"odr-report-450100-{period}.xlsx"

    page.locator("#f-period").fill("2026-13")
    page.get_by_role("button", name="查看").click()
    expect(page.locator("#period-error")).to_be_visible()
    expect(page.locator("#f-period")).to_have_value("2026-13")

    page.goto("/lang/en?next=/regulator/reports")
    expect(page.locator("h1")).to_have_text("Monthly report")
    expect(page.locator("section#nature h2")).to_have_text("By nature of the problem")

    phone = new_context(phone=True)
    small = log_in(phone, "regulator", "reg450100", demo_logins["reg450100"])
    small.goto(f"/regulator/reports?period={period}")
    expect(small.locator("#headline-figures")).to_be_visible()
    assert_fits_phone(small)
    screenshot(small, "monthly-report-phone")


def test_the_regulator_confirms_the_suggested_classification(new_context, factory, demo_logins):  # type: ignore[no-untyped-def]
    consumer = new_context()
    number, _ = file_complaint(
        consumer,
        respondent_name="南宁市兴宁区好又多便利店",
        respondent_address="南宁市兴宁区朝阳路1号",
        product="团购鸡蛋30枚",
        facts="收到的鸡蛋缺斤短两，比页面上少了6枚，商家不处理，要求退款。",
    )
    regulator = new_context()
    page = log_in(regulator, "regulator", "reg450102", demo_logins["reg450102"])
    page.goto(f"/regulator/cases/{number}")
    section = page.locator("section#classification")
    expect(section).to_contain_text("待确认")
    expect(section.locator("select[name=goods_category]")).to_have_value("food")
    expect(section.locator("select[name=problem_nature]")).to_have_value("measurement")
    section.locator("select[name=problem_nature]").select_option("false_advertising")
    section.get_by_role("button", name="确认分类").click()
    expect(page.locator("section#classification")).to_contain_text("已确认")
    case = load_case(factory, number)
    assert (case.goods_category, case.problem_nature) == ("food", "false_advertising")
    assert case.classification_confirmed
