"""Taking a call in Chromium: a clerk on the phone files a complaint with the keyboard alone,
sees the caller's earlier case as soon as the number is typed, and lands on the new case."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from complaints import submit_form
from pages import assert_fits_phone, load_case, log_in
from playwright.sync_api import Page, expect

from odr.clock import utcnow

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)
PHONE = "13800138000"


def tab_to(page: Page, selector: str, limit: int = 25) -> None:
    """Press Tab until `selector` has the focus (reached in the tab order, no mouse)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reached with Tab")


def test_a_clerk_files_a_call_with_the_keyboard(
    new_context, factory, rules, demo_logins, screenshot
):
    with factory.begin() as session:  # the caller's earlier case, in 青秀区
        earlier = submit_form(
            session,
            rules,
            utcnow(),
            respondent_name="青秀区鲜果坊",
            purchase_date="",
            complainant_phone=PHONE,
        ).case.number
    context = new_context()
    page = log_in(context, "regulator", "reg450103", demo_logins["reg450103"])
    page.keyboard.press("Tab")  # the nav link is reachable too; the form's own page follows
    page.goto("/regulator/calls/new")
    expect(page.locator("#complainant_phone")).to_be_focused()  # the phone first

    page.keyboard.type(PHONE)
    caller = page.locator("#caller-cases")
    expect(caller).to_be_visible()
    expect(caller.get_by_role("link", name=earlier)).to_be_visible()  # a repeat caller
    expect(caller).to_contain_text("张*")  # masked as lists are
    expect(page.locator("#caller_checked")).to_have_value("+8613800138000")

    page.keyboard.press("Tab")
    tab_to(page, "#complainant_name")
    page.keyboard.type("张三")
    tab_to(page, "#complainant_address")
    page.keyboard.type("广西南宁市青秀区民族大道88号")
    tab_to(page, "input[name=identity_verified]")
    page.keyboard.press("Space")
    tab_to(page, "#respondent_name")
    page.keyboard.type("美团")
    expect(page.locator("#call-respondent-suggestions [role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # takes the suggestion, does not send the form
    expect(page.locator("#respondent_name")).to_have_value(re.compile("^美团优选"))
    expect(page.locator("#respondent_id")).not_to_have_value("")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "regulator-take-call")
    tab_to(page, "#product")
    page.keyboard.type("阳光玫瑰葡萄 2斤装")
    tab_to(page, "#order_number")
    page.keyboard.type("MT-CALL-0001")
    tab_to(page, "#claim_type")
    page.keyboard.press("ArrowDown")  # the first claim
    expect(page.locator("#claim_type")).not_to_have_value("")
    tab_to(page, "#facts")
    page.keyboard.type("来电称：次日自提时发现葡萄大面积腐烂，团长拒绝退款。")
    page.keyboard.press("Control+Enter")

    expect(page).to_have_url(re.compile(r"/regulator/cases/ODR\d+$"))
    expect(page.locator(".taken-by")).to_contain_text("来电代为登记")
    number = page.url.rsplit("/", 1)[1]
    case = load_case(factory, number)
    assert number != earlier and case.channel == "phone" and case.identity_verified
    assert case.respondent_name.startswith("美团优选") and case.complainant_phone == "+86" + PHONE
    with factory() as session:
        first = session.merge(case).events[0]
        assert first.actor_role == "regulator" and "青秀区" in first.actor_label


def test_the_call_form_on_a_phone_and_in_english(
    new_context, factory, rules, demo_logins, screenshot
):
    with factory.begin() as session:
        submit_form(
            session, rules, utcnow(), respondent_name="青秀区鲜果坊", complainant_phone=PHONE
        )
    context = new_context(phone=True)
    page = log_in(context, "regulator", "reg450103", demo_logins["reg450103"])
    page.goto("/lang/en?next=/regulator/calls/new")
    page.locator("#complainant_phone").fill(PHONE)
    expect(page.locator("#caller-cases")).to_contain_text("open case")
    expect(page.locator("h1")).to_have_text("Take a call")
    # No Chinese outside user data (the caller's cases show the business and masked name).
    outside = page.locator("main form").evaluate(
        """f => [...f.querySelectorAll('label, legend, h1, h2, small, button, p')]
                 .filter(e => !e.closest('#caller-cases')).map(e => e.innerText).join('\\n')"""
    )
    assert not re.search(r"[\u4e00-\u9fff]", outside.replace("中文", "")), outside
    assert_fits_phone(page)
    screenshot(page, "regulator-take-call-phone-en")


def test_the_call_form_with_errors_is_accessible(new_context, demo_logins):
    page = log_in(new_context(), "regulator", "reg450103", demo_logins["reg450103"])
    page.goto("/regulator/calls/new")
    page.keyboard.type(PHONE)
    expect(page.locator("#caller_checked")).to_have_value("+8613800138000")  # looked up
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.keyboard.press("Enter")  # Enter sends: the name and the rest are missing
    assert answer.value.status == 400
    expect(page.locator("#complainant_name-error")).to_be_visible()
    expect(page.locator("#complainant_name")).to_be_focused()  # the first field to correct
    expect(page.locator("#complainant_phone")).to_have_value(PHONE)  # kept
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
