"""What a person does in the portals, as Playwright steps (shared by the browser tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from odr.cases.models import Case

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


def field(page: Page, name: str):  # type: ignore[no-untyped-def]
    """A field of the complaint form, after going to its step (the form shows one at a time)."""
    locator = page.locator(f"#{name}")
    if not locator.is_visible():
        step = locator.evaluate("e => e.closest('fieldset.step').id")
        page.locator(f"nav.steps a[href='#{step}']").click()
        expect(locator).to_be_visible()
    return locator


def fill_complaint(page: Page, claim_type: str = "refund", **overrides: str) -> None:
    """Open the complaint form and fill every field the way a person would."""
    page.goto("/")
    for name, value in {**COMPLAINT, **overrides}.items():
        field(page, name).fill(value)
    field(page, "claim_type").select_option(claim_type)


def submit_complaint(page: Page) -> tuple[str, str]:
    """Press 提交投诉 and read the case number and access code off the receipt."""
    field(page, "submit-complaint").click()
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
