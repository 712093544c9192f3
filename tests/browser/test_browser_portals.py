"""The three portals in a real browser: Debian's Chromium driven by Playwright against uvicorn.

These repeat the main paths of tests/test_end_to_end.py, but through what a person does in a
browser (typing, suggestions, file pickers, <details> forms, separate cookie jars) and take the
README's screenshots on the way.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from odr.cases.models import Case
from odr.cases.sweeper import sweep

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)

RECEIPT_PNG = Path(__file__).resolve().parents[1] / "data" / "receipt.png"
RESPONDENT = "美团优选（南宁）"
# Fonts whose glyphs mean the Chinese really is Chinese on screen (odr.css asks for these).
CJK_FONTS = {"WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei"}

COMPLAINT = {
    "complainant_name": "张三",
    "complainant_phone": "13800138000",
    "complainant_address": "广西南宁市青秀区民族大道88号",
    "respondent_name": RESPONDENT,
    "product": "阳光玫瑰葡萄 2斤装",
    "purchase_date": "2026-11-20",
    "amount": "39.90",
    "order_number": "MT20261120-0001",
    "facts": "11月20日在小程序下单，次日自提时发现葡萄大面积腐烂，团长拒绝退款。",
}


# --------------------------------------------------------------------------- helpers


def fill_complaint(page: Page, claim_type: str = "refund", **overrides: str) -> None:
    """Open the complaint form and fill every field the way a person would."""
    page.goto("/")
    for field, value in {**COMPLAINT, **overrides}.items():
        page.locator(f"#{field}").fill(value)
    page.locator("#claim_type").select_option(claim_type)


def submit_complaint(page: Page) -> tuple[str, str]:
    """Press 提交投诉 and read the case number and access code off the receipt."""
    page.get_by_role("button", name=re.compile("提交投诉")).click()
    expect(page).to_have_url(re.compile(r"/receipt$"))
    number = page.locator("#case-number").inner_text().strip()
    code = page.locator("#access-code").inner_text().strip()
    assert number and code, page.content()[:2000]
    return number, code


def file_complaint(context: BrowserContext, **overrides: str) -> tuple[str, str]:
    page = context.new_page()
    fill_complaint(page, **overrides)
    number, code = submit_complaint(page)
    page.close()
    return number, code


def track(context: BrowserContext, number: str, code: str) -> Page:
    """Follow a case from a browser that has never seen it: /track with number and code."""
    page = context.new_page()
    page.goto("/track")
    page.locator("#number").fill(number)
    page.locator("#access_code").fill(code)
    page.get_by_role("button", name=re.compile("查询")).click()
    expect(page).to_have_url(re.compile(rf"/track/{re.escape(number)}$"))
    return page


def log_in(context: BrowserContext, portal: str, username: str, password: str) -> Page:
    page = context.new_page()
    page.goto(f"/{portal}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_role("button", name=re.compile("登录")).click()
    expect(page).to_have_url(re.compile(rf"/{portal}/?$"))
    return page


def action_form(page: Page, trigger: str):  # type: ignore[no-untyped-def]
    """Expand the <details> of one action on a case page; return its form."""
    details = page.locator(f"details.action:has(form[action$='/act/{trigger}'])")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = details.locator("form")
    expect(form).to_be_visible()
    return form


def state_badge(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".case-head .state .badge").first


def load_case(factory, number: str) -> Case:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(Case).where(Case.number == number))


def assert_cjk_rendered(page: Page, selector: str) -> None:
    """The Chinese in (the first) `selector` is drawn with a CJK font, not as tofu boxes.

    `document.fonts.check('16px "WenQuanYi Micro Hei"')` is no proof: it only reports on web
    fonts in the FontFaceSet and answers true for any system font name, installed or not. Two
    checks that do fail without a CJK font (tried with fontconfig limited to DejaVu/Liberation):
    - Chromium's own account of the fonts it used for the element's text (DevTools
      CSS.getPlatformFontsForNode): a CJK family with a glyph per character, not DejaVu Sans.
    - CJK ideographs are full-width, exactly 1em each in every CJK font: "投诉" measures 2em.
      A tofu box is the fallback font's .notdef glyph (0.6em in DejaVu Sans: 38px at 32px).
    """
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    text = page.locator(selector).first.evaluate(
        "e => [...e.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join('')"
    )
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    assert han, f"no Chinese directly inside {selector}: {text!r}"
    cjk_glyphs = sum(f["glyphCount"] for f in fonts if f["familyName"] in CJK_FONTS)
    assert cjk_glyphs >= han, f"{selector} {text!r} was drawn with {fonts}"

    size, width = page.locator(selector).first.evaluate(
        """e => {
            const style = getComputedStyle(e);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = style.font;
            return [parseFloat(style.fontSize), ctx.measureText('投诉').width];
        }"""
    )
    assert width == pytest.approx(2 * size, abs=0.5), f"投诉 is {width}px at {size}px: tofu?"


def assert_fits_phone(page: Page) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, (
        f"{page.url}: {scroll_width}px wide on a {inner_width}px phone"
    )


# --------------------------------------------------------------------------- tests


def test_consumer_files_on_a_phone_and_tracks_elsewhere(new_context, factory, screenshot):
    phone = new_context(phone=True)
    page = phone.new_page()
    fill_complaint(page, respondent_name="")
    assert_cjk_rendered(page, "h1")
    assert_cjk_rendered(page, "legend")
    assert_fits_phone(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "complaint-form-phone")

    # Type part of the name; pick the registered business from the suggestions.
    name = page.locator("#respondent_name")
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

    page.locator("#evidence").set_input_files(RECEIPT_PNG)
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
        page.get_by_role("button", name=re.compile("提交投诉")).click()
    assert posted.value.status == 400

    for field, message in (
        ("complainant_phone", "电话号码"),
        ("respondent_uscc", "统一社会信用代码"),
    ):
        beside = page.locator(f".field.invalid:has(#{field}) > #{field}-error")
        expect(beside).to_be_visible()
        expect(beside).to_contain_text(message)
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field}")).to_have_attribute("aria-describedby", f"{field}-error")
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

    case = load_case(factory, number)
    assert (case.state, case.outcome, case.due_at) == ("settled", "settled", None)


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
