"""Injected markup never runs: a complaint full of script tags and event handlers, filed and
answered through the pages, opened in the three portals by Chromium. No dialog opens, no
payload sets window.__pwned, and the text is shown literally."""

from __future__ import annotations

import re

from pages import field, log_in, submit_complaint
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from odr.cases.models import Case
from odr.engine.fields import without_bidi_controls
from odr.offices.models import Office

SCRIPT = "<script>window.__pwned=1;alert('script')</script>"
IMG = "<img src=x onerror=\"window.__pwned=1;alert('img')\">"
SVG = "<svg onload=\"window.__pwned=1;alert('svg')\"></svg>"
IFRAME = '<iframe src="javascript:window.top.__pwned=1"></iframe>'
TEMPLATE = "{{7*7}} {% if 1 %}x{% endif %}"
SQL = "'; DROP TABLE cases;--"
RTL = "\u202egnp.exe"
PRODUCT = f"{IMG} {SQL}"
FACTS = "\n".join([SCRIPT, IMG, SVG, IFRAME, TEMPLATE, SQL, RTL, "葡萄腐烂了，团长拒绝退款。"])
MESSAGE = f"{SCRIPT} {SVG} {TEMPLATE}"
RESPONDENT = f'<b onmouseover="window.__pwned=1">鲜果</b>{TEMPLATE}'


class Watch:
    """Every page opened in a context: dialogs and script-injection attempts blocked by CSP."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.blocked: list[str] = []

    def attach(self, context: BrowserContext) -> BrowserContext:
        context.on("page", self.page)
        return context

    def page(self, page: Page) -> None:
        def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
            self.dialogs.append(f"{page.url}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on(
            "console",
            lambda m: self.blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def check(self, page: Page, *texts: str) -> None:
        """Nothing ran on the page, and each text is there as text."""
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__pwned === undefined"), page.url
        assert page.evaluate("() => window.top.__pwned === undefined"), page.url
        assert page.locator("script:not([src])").count() == 0, page.url
        assert page.locator("img[src='x'], svg[onload], iframe[src^='javascript']").count() == 0
        assert page.locator("[onerror], [onload], [onmouseover]").count() == 0, page.url
        shown = page.locator("body").inner_text()
        for text in texts:
            for line in text.splitlines():  # bidi controls are stripped at intake
                assert without_bidi_controls(line) in shown, (page.url, line)
        assert self.dialogs == [] and self.blocked == [], (self.dialogs, self.blocked)


def fill_hostile(page: Page, **overrides: str) -> None:
    page.goto("/")
    values = {
        "complainant_name": "<b>张三</b>",
        "complainant_phone": "13800138000",
        "complainant_address": f"{TEMPLATE} 南宁市",
        "respondent_name": "美团优选（南宁）",
        "product": PRODUCT,
        "purchase_date": "2026-11-20",
        "amount": "39.90",
        "order_number": "MT20261120-0001",
        "facts": FACTS,
        **overrides,
    }
    for name, value in values.items():
        field(page, name).fill(value)
    field(page, "claim_type").select_option("refund")


def send(page: Page, trigger: str, name: str, text: str) -> None:
    form = page.locator(f"form[action$='/act/{trigger}']")
    if not form.is_visible():
        page.locator(f"details.action:has(form[action$='/act/{trigger}']) summary").click()
    form.locator(f"[name='{name}']").fill(text)
    form.locator("button[type='submit']").click()
    page.wait_for_load_state("load")


def test_injected_markup_never_runs_in_any_portal(new_context, demo_logins, factory):
    watch = Watch()
    consumer = watch.attach(new_context())
    page = consumer.new_page()
    fill_hostile(page)
    number, _ = submit_complaint(page)
    watch.check(page, PRODUCT)
    page.goto(f"/track/{number}")
    watch.check(page, PRODUCT, FACTS)
    send(page, "send_message", "message", MESSAGE)
    expect(page).to_have_url(re.compile(rf"/track/{number}$"))
    watch.check(page, MESSAGE)

    enterprise = log_in(
        watch.attach(new_context()), "enterprise", "meituan", demo_logins["meituan"]
    )
    watch.check(enterprise, PRODUCT)  # the inbox
    enterprise.goto(f"/enterprise/cases/{number}")
    watch.check(enterprise, PRODUCT, FACTS, MESSAGE)
    send(enterprise, "message_consumer", "message", f"{IFRAME} {IMG}")
    watch.check(enterprise, IFRAME, IMG)
    page.reload()
    watch.check(page, IFRAME, IMG)

    # A respondent odr does not know goes to the regulator with its name as typed.
    fill_hostile(page, respondent_name=RESPONDENT, respondent_address=SVG, order_number="")
    other, _ = submit_complaint(page)
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == other))
        region = session.get(Office, case.office_id).region_code
    username = f"reg{region}"
    regulator = log_in(watch.attach(new_context()), "regulator", username, demo_logins[username])
    regulator.goto("/regulator?queue=all")
    watch.check(regulator, RESPONDENT)
    regulator.goto(f"/regulator/cases/{other}")
    watch.check(regulator, RESPONDENT, PRODUCT, FACTS)
    regulator.goto("/regulator/dashboard?refresh=1")
    watch.check(regulator, RESPONDENT)
