"""Pages answering a wrong secret pass axe-core's scan: the browser renders them as pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect


@pytest.mark.parametrize(
    ("url", "fields", "button"),
    [
        ("/enterprise/login", {"#username": "nobody", "#password": "wrong"}, "登录"),
        ("/regulator/login", {"#username": "nobody", "#password": "wrong"}, "登录"),
        ("/track", {"#number": "NO-SUCH", "#access_code": "WRONG"}, "查询"),
    ],
)
def test_a_wrong_secret_answers_an_accessible_page(new_context, url, fields, button):
    page = new_context().new_page()
    page.goto(url)
    for selector, value in fields.items():
        page.locator(selector).fill(value)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=button).click()
    assert answer.value.status == 400
    assert answer.value.headers["content-type"].startswith("text/html")
    expect(page.locator("[role=alert], .error").first).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
