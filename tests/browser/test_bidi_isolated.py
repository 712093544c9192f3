"""A right-to-left override typed into a name cannot turn the phone number and address around.

Intake strips bidi controls now, but rows stored before (or written by any other path) may hold
them: the page isolates every value, so staff read the phone number as the consumer gave it.
"""

from __future__ import annotations

from pages import fill_complaint, log_in, submit_complaint
from sqlalchemy import select

from odr.cases.models import Case
from odr.offices.models import Office

# Whether `text`, where it occurs in the element's text nodes, is drawn left to right: each
# character right of the one before it, unless it starts a new line below.
IN_ORDER = """(element, text) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(text);
    if (at < 0) continue;
    const range = document.createRange();
    const boxes = [...text].map((_, i) => {
      range.setStart(node, at + i); range.setEnd(node, at + i + 1);
      return range.getBoundingClientRect();
    });
    return boxes.slice(1).every((box, i) =>
      box.top > boxes[i].bottom - 2 || box.left >= boxes[i].right - 1);
  }
  return null;
}"""


def test_staff_read_the_phone_and_address_in_order(new_context, factory, demo_logins):
    page = new_context().new_page()
    fill_complaint(page)
    number, _ = submit_complaint(page)
    with factory.begin() as session:  # as a row written before intake stripped the controls
        case = session.scalar(select(Case).where(Case.number == number))
        case.complainant_name = "张三\u202e"
        case.complainant_address = "\u202e广西南宁市青秀区民族大道88号"
        username = f"reg{session.get(Office, case.office_id).region_code}"

    staff = log_in(new_context(), "regulator", username, demo_logins[username])
    staff.goto(f"/regulator/cases/{number}")
    contact = staff.locator("dd", has_text="138 0013 8000")
    assert contact.evaluate(IN_ORDER, "138 0013 8000") is True
    assert contact.evaluate(IN_ORDER, "广西南宁市青秀区民族大道88号") is True
