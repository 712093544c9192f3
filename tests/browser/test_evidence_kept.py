"""Evidence kept across a failed submit, in a real browser: the consumer never picks the
photos twice, and the facts' minimum length is checked before the form is sent."""

from __future__ import annotations

import re

import pytest
from pages import COMPLAINT, RECEIPT_PNG, field, fill_complaint, load_case, submit_complaint
from playwright.sync_api import expect
from sqlalchemy import select

from odr.cases.models import Attachment

pytestmark = pytest.mark.browser
expect.set_options(timeout=10_000)


def test_a_photo_sent_with_too_short_facts_reaches_the_case_once_they_are_fixed(
    new_context, factory
):
    page = new_context().new_page()
    fill_complaint(page, facts="太短了")
    facts = field(page, "facts")
    # The browser knows the server's rule: the step does not go on with facts too short.
    assert facts.evaluate("e => e.validity.tooShort")
    page.locator("#step-3 button.next").click()
    expect(facts).to_be_visible()

    # Sent anyway (the step links skip ahead): the server says so, and keeps the photo.
    field(page, "evidence").set_input_files(RECEIPT_PNG)
    field(page, "submit-complaint").click()
    expect(page.locator("#facts-error")).to_contain_text("至少10字")
    expect(page.locator("#held-evidence")).to_contain_text("receipt.png")
    assert page.locator("#evidence").evaluate("e => e.files.length") == 0  # not chosen again

    field(page, "facts").fill(COMPLAINT["facts"])
    expect(field(page, "held-evidence")).to_contain_text("已附上")
    number, _ = submit_complaint(page)

    case = load_case(factory, number)
    with factory() as session:
        stored = session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [(a.filename, a.content_type) for a in stored] == [("receipt.png", "image/png")]
    page.goto(f"/track/{number}")
    expect(page.locator("ul.files a", has_text=re.compile(r"^receipt\.png$"))).to_be_visible()
