"""The consumer's side in a real browser: language, keyboard only, phones, talking, escalation.

Each test goes through the pages as a person would; the database is read only to check what
the pages did.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from pages import (
    COMPLAINT,
    RECEIPT_PNG,
    RESPONDENT,
    action_form,
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
from playwright.sync_api import Page, expect
from sqlalchemy import select

from odr.cases.models import CaseEvent
from odr.clock import SHANGHAI

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


def focused(page: Page) -> str:
    """The id (or tag and text) of the element that has the keyboard focus."""
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return e.id || (e.tagName + ':' + (e.textContent || '').trim()); })()"
    )


def tab_to(page: Page, target: str, limit: int = 30) -> int:
    """Press Tab until the focus is on `target` (an id, or 'BUTTON:text'); how many presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return presses
    raise AssertionError(f"Tab never reached {target}; the focus is on {focused(page)}")


def test_language_switch_turns_the_pages_english_and_back(new_context, factory):
    number, code = file_complaint(new_context())
    page = track(new_context(), number, code)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(state_badge(page)).to_have_text("企业协商中")

    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(rf"/track/{number}$"))  # back on the same page
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text(f"Case {number}")
    expect(state_badge(page)).to_have_text("Enterprise negotiation")
    expect(page.locator("ol.timeline")).to_contain_text("Sent to the ODR enterprise")
    expect(page.locator("p.deadline")).to_contain_text("working days left")
    expect(page.locator("main")).not_to_contain_text("企业协商中")

    page.goto("/")  # the choice stays for the next page
    expect(page.locator("h1")).to_have_text("File a consumer complaint")
    expect(page.locator("nav.steps")).to_contain_text("Evidence and submit")
    expect(page.locator(".step-nav button.next").first).to_have_text("Next")
    expect(page.locator("#locale")).to_have_value("en")  # messages in English too

    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("提交消费投诉")
    expect(page.locator(".step-nav button.next").first).to_have_text("下一步")


def test_keyboard_only_through_the_complaint_form(new_context, factory):
    page = new_context().new_page()
    page.goto("/")
    typed = {
        "complainant_name": COMPLAINT["complainant_name"],
        "complainant_phone": COMPLAINT["complainant_phone"],
        "complainant_address": COMPLAINT["complainant_address"],
    }
    # Step 1: Tab from the top of the page into the first field, type, Tab on.
    tab_to(page, "complainant_name")
    for name, value in typed.items():
        if focused(page) != name:
            assert tab_to(page, name, limit=1) == 1, "fields are in reading order"
        page.keyboard.type(value)
    page.keyboard.press("Enter")  # Enter goes to the next step, it does not send the form
    expect(page.locator("nav.steps a[aria-current=step]")).to_have_attribute("href", "#step-2")
    assert focused(page) == "respondent_name"

    # Step 2: type part of the name, Tab to the suggestion, Enter picks it.
    page.keyboard.type("美团")
    suggestion = page.locator("#respondent-suggestions button", has_text=RESPONDENT)
    expect(suggestion).to_be_visible()
    tab_to(page, f"BUTTON:{RESPONDENT} · ODR", limit=3)
    page.keyboard.press("Enter")
    expect(page.locator("#respondent_name")).to_have_value(RESPONDENT)
    expect(page.locator("#respondent_id")).to_have_value(re.compile(r"^\d+$"))
    assert focused(page) == "respondent_name"
    page.keyboard.press("Enter")

    # Step 3: product, the claim chosen with the arrow keys, the facts.
    expect(page.locator("nav.steps a[aria-current=step]")).to_have_attribute("href", "#step-3")
    assert focused(page) == "product"
    page.keyboard.type(COMPLAINT["product"])
    tab_to(page, "claim_type", limit=10)  # a date field takes three
    page.keyboard.press("ArrowDown")
    expect(page.locator("#claim_type")).to_have_value("refund")
    tab_to(page, "facts", limit=6)
    page.keyboard.type(COMPLAINT["facts"])
    tab_to(page, "BUTTON:下一步", limit=2)
    page.keyboard.press("Enter")

    # Step 4: straight on to the submit button, Enter, and the receipt.
    expect(page.locator("nav.steps a[aria-current=step]")).to_have_attribute("href", "#step-4")
    tab_to(page, "submit-complaint", limit=20)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/receipt$"))
    number = page.locator("#case-number").inner_text().strip()
    tab_to(page, "A:查看进度", limit=20)  # the receipt's link is reachable too
    case = load_case(factory, number)
    assert (case.complainant_name, case.respondent_name, case.claim_type, case.state) == (
        COMPLAINT["complainant_name"],
        RESPONDENT,
        "refund",
        "negotiation",
    )


def test_without_javascript_the_form_is_one_long_page(new_context, factory):
    page = new_context(phone=True, java_script_enabled=False).new_page()
    page.goto("/")
    for step in range(1, 5):
        expect(page.locator(f"#step-{step}")).to_be_visible()
    expect(page.locator(".step-nav")).to_have_count(0)
    for name, value in COMPLAINT.items():
        page.locator(f"#{name}").fill(value)
    page.locator("#claim_type").select_option("refund")
    assert_fits_phone(page)
    page.locator("#submit-complaint").click()
    expect(page).to_have_url(re.compile(r"/receipt$"))
    expect(page.locator("button[data-print]")).to_be_hidden()  # printing needs the script
    number = page.locator("#case-number").inner_text().strip()
    assert load_case(factory, number).respondent_name == RESPONDENT  # typed, no suggestion


def test_the_receipt_prints_the_codes_without_the_buttons(new_context):
    page = new_context().new_page()
    number, _ = file_complaint(page.context)
    page.goto("/receipt")
    page.emulate_media(media="print")
    expect(page.locator("#case-number")).to_have_text(number)
    expect(page.locator("#access-code")).to_be_visible()
    for hidden in ("header.top nav", "p.languages", "footer", ".receipt .no-print"):
        expect(page.locator(hidden)).to_be_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_consumer_and_enterprise_talk_and_answer_on_phones(
    new_context, factory, demo_logins, screenshot
):
    consumer = new_context(phone=True)
    number, code = file_complaint(consumer)
    page = track(consumer, number, code)
    expect(page.locator("p.deadline")).to_contain_text(
        re.compile(r"\d{4}-\d\d-\d\d · 剩余 10 个工作日")
    )

    # The consumer writes first, with a photo.
    form = page.locator("form.message-form")
    form.locator("textarea[name=message]").fill("请问<b>什么时候</b>能退款？")
    form.locator("input[name=attachment]").set_input_files(RECEIPT_PNG)
    form.locator("button[type=submit]").click()
    messages = page.locator(".conversation ol.messages li")
    expect(messages).to_have_count(1)
    expect(messages.first).to_contain_text("请问<b>什么时候</b>能退款？")  # as text, escaped
    expect(messages.first.locator("a", has_text="receipt.png")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("给企业留言")
    assert_fits_phone(page)

    # The enterprise, on a phone too: its bell rings, it answers and asks for information.
    staff = log_in(new_context(phone=True), "enterprise", "meituan", demo_logins["meituan"])
    assert_fits_phone(staff)
    expect(staff.locator(".bell .count")).not_to_have_text("0")
    staff.goto(f"/enterprise/cases/{number}")
    expect(staff.locator(".conversation")).to_contain_text("什么时候")
    reply = staff.locator("form.message-form")
    reply.locator("textarea[name=message]").fill("已联系团长，请提供自提点照片。")
    reply.locator("button[type=submit]").click()
    expect(staff.locator(".conversation ol.messages li")).to_have_count(2)
    request_form = action_form(staff, "request_information")
    request_form.locator("textarea[name=question]").fill("请上传自提点照片")
    request_form.get_by_role("button").click()
    expect(state_badge(staff)).to_have_text("待消费者补充材料")
    assert_fits_phone(staff)

    # The consumer reads the reply and answers the request; the enterprise's clock goes on.
    page.reload()
    expect(page.locator(".conversation ol.messages li").nth(1)).to_contain_text("已联系团长")
    page.locator("section.conversation").scroll_into_view_if_needed()
    screenshot(page, "case-conversation-phone")
    expect(state_badge(page)).to_have_text("待消费者补充材料")
    expect(page.locator("p.deadline")).to_contain_text("剩余 5 个工作日")
    expect(page.locator("section.your-turn")).to_contain_text("请上传自提点照片")
    answer = action_form(page, "answer")
    answer.locator("textarea[name=answer]").fill("照片已在留言中上传")
    answer.get_by_role("button").click()
    expect(state_badge(page)).to_have_text("企业协商中")

    # And withdraws, with a reason: the conversation closes.
    withdraw = action_form(page, "withdraw")
    withdraw.locator("textarea[name=reason]").fill("已与商家协商解决")
    withdraw.get_by_role("button").click()
    expect(state_badge(page)).to_have_text("已撤回")
    expect(page.locator("form.message-form")).to_have_count(0)
    expect(page.locator(".conversation ol.messages li")).to_have_count(2)
    assert_fits_phone(page)

    case = load_case(factory, number)
    with factory() as session:
        triggers = session.scalars(
            select(CaseEvent.trigger).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        ).all()
    assert triggers == [
        "submit",
        "route",
        "send_message",
        "message_consumer",
        "request_information",
        "answer",
        "withdraw",
    ]


def test_a_rejected_offer_goes_to_the_regulator_who_accepts_it(new_context, factory, demo_logins):
    consumer = new_context(phone=True)
    number, code = file_complaint(consumer)
    staff = log_in(new_context(), "enterprise", "meituan", demo_logins["meituan"])
    staff.goto(f"/enterprise/cases/{number}")
    offer = action_form(staff, "propose_settlement")
    offer.locator("select[name=remedy]").select_option("compensation")
    offer.locator("input[name=amount]").fill("10")
    offer.locator("textarea[name=message]").fill("补偿10元优惠券")
    offer.get_by_role("button").click()
    expect(state_badge(staff)).to_have_text("待消费者确认和解方案")

    page = track(consumer, number, code)
    expect(page.locator("section.offer")).to_contain_text("¥10.00")
    reject = action_form(page, "reject_offer")
    reject.locator("textarea[name=reason]").fill("只接受全额退款")
    reject.get_by_role("button").click()
    expect(state_badge(page)).to_have_text("待监管部门受理")
    expect(page.locator(".case-head .badge.overdue")).to_have_text("消费者拒绝和解方案")
    expect(page.locator("p.deadline")).to_contain_text("剩余 7 个工作日")

    # The district office, on a phone in the field: the queue fits, the case is accepted.
    office = log_in(new_context(phone=True), "regulator", "reg450103", demo_logins["reg450103"])
    office.goto("/regulator?queue=escalated")
    row = office.locator("table.cases tbody tr", has_text=number)
    expect(row).to_contain_text("消费者拒绝和解方案")
    assert_fits_phone(office)
    row.get_by_role("link", name=number).click()
    expect(office.locator(".case-head")).to_contain_text(number)  # the case page, loaded
    assert_fits_phone(office)
    accept = action_form(office, "accept")
    for choice in accept.locator("select").all():
        choice.select_option(index=1)
    for text in accept.locator("textarea[required]").all():
        text.fill("同意受理并组织调解")
    accept.get_by_role("button").click()
    expect(state_badge(office)).to_have_text("调解中")

    page.reload()
    expect(state_badge(page)).to_have_text("调解中")
    expect(page.locator("ol.timeline")).to_contain_text("拒绝和解方案")
    assert load_case(factory, number).state == "mediation"


def test_a_seven_day_return_with_a_report_on_the_stepped_form(new_context, factory):
    page = new_context(phone=True).new_page()
    fill_complaint(page, claim_type="seven_day_return", product="蓝牙耳机", order_number="MT-77")
    seven_day = page.locator("details#seven-day-return")
    expect(seven_day).to_have_attribute("open", "")  # choosing the claim opens its questions
    today = datetime.now(SHANGHAI).date().isoformat()
    page.locator("#delivery_date").fill(today)
    page.locator("#goods_category").select_option("general")
    page.locator("input[name=goods_intact]").check()

    field(page, "evidence").set_input_files(RECEIPT_PNG)
    report = page.locator("details#also-report")
    report.locator("summary").click()
    report.locator("input[name=also_report]").check()
    report.locator("#violation_type").select_option("false_advertising")
    report.locator("#report_facts").fill("商品页面宣称“降噪40分贝”，实物没有降噪功能。")
    assert_fits_phone(page)
    number, _ = submit_complaint(page)
    expect(page.locator("#report-number")).to_be_visible()
    expect(page.locator("#report-access-code")).to_be_visible()

    case = load_case(factory, number)
    assert (case.workflow, case.state) == ("seven_day_return", "return_address_pending")
    report_case = load_case(factory, page.locator("#report-number").inner_text().strip())
    assert report_case.workflow == "report"
