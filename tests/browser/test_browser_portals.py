"""The three portals in a real browser: Debian's Chromium driven by Playwright against uvicorn.

These repeat the main paths of tests/test_end_to_end.py, but through what a person does in a
browser (typing, suggestions, file pickers, <details> forms, separate cookie jars) and take the
README's screenshots on the way.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pages import (
    COMPLAINT,
    RECEIPT_PNG,
    RESPONDENT,
    action_form,
    assert_cjk_rendered,
    assert_fits_phone,
    field,
    file_complaint,
    fill_complaint,
    load_case,
    log_in,
    state_badge,
    submit_complaint,
    track,
)
from playwright.sync_api import expect
from sqlalchemy import func, select

from odr.cases.models import Case
from odr.cases.sweeper import sweep

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


def test_consumer_files_on_a_phone_and_tracks_elsewhere(new_context, factory, screenshot):
    phone = new_context(phone=True)
    page = phone.new_page()
    fill_complaint(page, respondent_name="")
    assert_cjk_rendered(page, "h1")
    assert_cjk_rendered(page, "fieldset.step:not([hidden]) > legend")
    assert_fits_phone(page)
    field(page, "complainant_name")  # back to the first step for the picture
    expect(page.locator("nav.steps a[aria-current=step]")).to_have_attribute("href", "#step-1")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "complaint-form-phone")

    # Type part of the name; pick the registered business from the suggestions.
    name = field(page, "respondent_name")
    name.press_sequentially("美团", delay=30)
    suggestion = page.locator("#respondent-suggestions button", has_text=RESPONDENT)
    expect(suggestion).to_be_visible()
    page.locator("fieldset:has(#respondent_name)").evaluate(
        "e => { e.scrollIntoView({block: 'start'}); window.scrollBy(0, -12); }"
    )
    screenshot(page, "respondent-suggestions-phone")
    suggestion.tap()
    expect(name).to_have_value(RESPONDENT)
    expect(page.locator("#respondent_id")).to_have_value(re.compile(r"^\d+$"))
    respondent_id = int(page.locator("#respondent_id").input_value())
    expect(page.locator("#respondent-suggestions")).to_be_hidden()

    field(page, "evidence").set_input_files(RECEIPT_PNG)
    number, code = submit_complaint(page)
    assert_cjk_rendered(page, "h1")
    assert_fits_phone(page)
    expect(page.locator(".receipt")).to_contain_text(RESPONDENT)
    screenshot(page, "receipt-phone")

    case = load_case(factory, number)
    assert (case.state, case.respondent_id) == ("negotiation", respondent_id)

    # Another browser (another person's phone) needs the number and the code.
    other = new_context(phone=True)
    page = other.new_page()
    page.goto(f"/track/{number}")
    expect(page).to_have_url(re.compile(r"/track$"))
    page.close()
    page = track(other, number, code.lower())  # codes are not case-sensitive
    expect(page.locator("h1")).to_contain_text(number)
    expect(state_badge(page)).to_have_text(re.compile("企业协商中"))
    expect(page.locator("ol.timeline")).to_contain_text("提交投诉")
    assert_cjk_rendered(page, ".case-head .state .badge")
    assert_fits_phone(page)

    evidence = page.locator("ul.files a", has_text="receipt.png")
    expect(evidence).to_be_visible()
    download = other.request.get(evidence.get_attribute("href"))
    assert download.ok and download.body() == RECEIPT_PNG.read_bytes()


def test_form_errors_are_shown_beside_the_fields(new_context, factory):
    page = new_context(phone=True).new_page()
    fill_complaint(
        page,
        complainant_name="李四",
        complainant_phone="123",
        respondent_uscc="91110000600037341X",  # the check character should be L
    )
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        field(page, "submit-complaint").click()
    assert posted.value.status == 400
    # The form opens at the first step with a mistake.
    expect(page.locator("nav.steps a[aria-current=step]")).to_have_attribute("href", "#step-1")
    expect(page.locator("#complainant_phone")).to_be_visible()

    for name, message in (
        ("complainant_phone", "电话号码"),
        ("respondent_uscc", "统一社会信用代码"),
    ):
        field(page, name)
        beside = page.locator(f".field.invalid:has(#{name}) > #{name}-error")
        expect(beside).to_be_visible()
        expect(beside).to_contain_text(message)
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{name}")).to_have_attribute("aria-describedby", f"{name}-error")
    expect(page.locator(".notice.error")).to_contain_text("标出的 2 处")
    expect(page.locator(".field.invalid")).to_have_count(2)
    # What was typed is still there to correct.
    expect(page.locator("#complainant_name")).to_have_value("李四")
    expect(page.locator("#complainant_phone")).to_have_value("123")
    expect(page.locator("#facts")).to_have_value(COMPLAINT["facts"])
    assert_fits_phone(page)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_enterprise_offers_and_consumer_accepts(new_context, factory, demo_logins, screenshot):
    consumer = new_context(phone=True)
    number, code = file_complaint(consumer)
    file_complaint(
        consumer,
        product="草莓 500g",
        amount="25.80",
        order_number="MT20261121-0042",
        facts="11月21日收到的草莓有大片霉斑，无法食用。",
    )

    enterprise = new_context()
    inbox = log_in(enterprise, "enterprise", "meituan", demo_logins["meituan"])
    row = inbox.locator("table.cases tbody tr", has_text=number)
    expect(row).to_contain_text("企业协商中")
    expect(row).to_contain_text("剩余 10 个工作日")
    expect(inbox.locator("table.cases tbody tr")).to_have_count(2)
    assert_cjk_rendered(inbox, "h1")
    screenshot(inbox, "enterprise-inbox")

    row.get_by_role("link", name=number).click()
    expect(inbox).to_have_url(re.compile(rf"/enterprise/cases/{re.escape(number)}$"))
    form = action_form(inbox, "propose_settlement")
    form.locator("select[name=remedy]").select_option("refund")
    form.locator("input[name=amount]").fill("39.90")
    form.locator("textarea[name=message]").fill("全额退款并致歉")
    form.get_by_role("button").click()
    expect(state_badge(inbox)).to_have_text(re.compile("待消费者确认和解方案"))

    # The consumer, on a phone that never filed anything, tracks the case and accepts.
    page = track(new_context(phone=True), number, code)
    offer = page.locator("section.offer")
    expect(offer).to_contain_text("全额退款并致歉")
    expect(offer).to_contain_text("¥39.90")
    action_form(page, "accept_offer").get_by_role("button").click()
    expect(state_badge(page)).to_have_text(re.compile("已和解办结"))
    expect(page.locator("details.action")).to_have_count(0)  # no workflow action is left
    expect(page.locator("input[name=rating]")).to_have_count(5)  # only the follow-up rating
    page.locator("section.rating label", has_text="4").click()
    page.locator("#comment").fill("退款很快")
    page.locator("section.rating").get_by_role("button").click()
    expect(page.locator("input[name=rating]")).to_have_count(0)
    expect(page.get_by_text("★★★★☆")).to_be_visible()

    case = load_case(factory, number)
    assert (case.state, case.outcome, case.due_at) == ("settled", "settled", None)
    assert (case.rating, case.rating_comment) == (4, "退款很快")


def test_regulator_rejects_an_escalated_case(new_context, factory, rules, demo_logins, screenshot):
    consumer = new_context()
    number, code = file_complaint(consumer)
    file_complaint(consumer, product="车厘子 1kg", amount="89.00", order_number="MT20261121-0077")
    due = load_case(factory, number).due_at
    sweep(factory, rules, now=due + timedelta(seconds=1))  # the enterprise let 10 days pass
    escalated = load_case(factory, number)
    assert (escalated.state, escalated.escalation_reason) == ("acceptance", "enterprise_overdue")

    regulator = new_context()
    page = log_in(regulator, "regulator", "reg450103", demo_logins["reg450103"])
    page.goto("/regulator?queue=escalated")
    row = page.locator("table.cases tbody tr", has_text=number)
    expect(row.locator(".badge.overdue")).to_have_text(re.compile("企业逾期未处理"))
    expect(page.locator("table.cases tbody tr")).to_have_count(2)
    assert_cjk_rendered(page, "h1")
    screenshot(page, "regulator-escalated-queue")

    row.get_by_role("link", name=number).click()
    expect(state_badge(page)).to_have_text(re.compile("待监管部门受理"))
    form = action_form(page, "reject")
    form.locator("select[name=ground]").select_option("handled_elsewhere")
    form.locator("textarea[name=note]").fill("已由消费者协会调解")
    form.get_by_role("button").click()
    expect(state_badge(page)).to_have_text(re.compile("不予受理"))
    expect(state_badge(page)).to_have_class(re.compile(r"\bstate-not_accepted\b"))

    case = load_case(factory, number)
    assert (case.state, case.outcome) == ("not_accepted", "not_accepted")
    # The consumer sees the ground in words.
    consumer_page = track(new_context(), number, code)
    expect(state_badge(consumer_page)).to_have_text(re.compile("不予受理"))
    expect(consumer_page.locator("ol.timeline")).to_contain_text("法院、仲裁机构")
