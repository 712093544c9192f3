"""Hostile text in every text field: stored as typed (less bidi controls), shown inert everywhere.

Script tags, event handlers, template syntax, SQL fragments, bidi overrides and zero-width
characters go in through the consumer form, the JSON API, the enterprise's replies and notes and
the regulator's notes; the database gives them back unchanged, every page shows them escaped
(never as markup), the CSV exports keep them as text, and a text over a field's limit is a 400
naming the field.
"""

from __future__ import annotations

import csv
import io
import re

from markupsafe import escape
from sqlalchemy import select

from odr.cases.models import Case, CaseEvent
from odr.engine.fields import without_bidi_controls
from odr.intake.complaint import FACTS_MAX
from odr.offices.models import Office

SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
SVG = "<svg/onload=alert(1)>"
TEMPLATE = "{{7*7}} {% raw %}{% endraw %}{{ config }}${7*7}"
SQL = "'; DROP TABLE cases;--"
RTL = "\u202egnp.exe"  # shown as "exe.png"
ZERO_WIDTH = "a\u200bb\u200dc\ufeffd"
FORMULA = '=HYPERLINK("http://evil.example","x")'
# Short enough for a 50-character name, the others together for the longer fields.
NAME = f"<b>张</b>{RTL}{ZERO_WIDTH}"
PRODUCT = f"{IMG} {SQL} {RTL}"
FACTS = "\n".join([SCRIPT, IMG, SVG, TEMPLATE, SQL, RTL, ZERO_WIDTH, FORMULA, "葡萄腐烂了。"])
ADDRESS = f"{TEMPLATE} {SQL} 南宁市"
RESPONDENT = f'{FORMULA}<i onmouseover="alert(1)">鲜果</i>'
MESSAGE = f"{SCRIPT} {IMG} {TEMPLATE} {SQL} {RTL}{ZERO_WIDTH}"
RAW_MARKUP = re.compile(r"<(script>window|img src=x|svg/onload|b>张|i onmouseover)")


def kept(text: str) -> str:
    """A text as stored and shown: intake takes bidi controls out (odr/engine/fields.py)."""
    return without_bidi_controls(text)


def shown_inert(html: str, *texts: str) -> None:
    """Each text is on the page, escaped as the template engine escapes it, never as markup."""
    assert not RAW_MARKUP.search(html), RAW_MARKUP.search(html)
    for text in texts:
        for line in text.splitlines():
            assert str(escape(kept(line))) in html, line


def stored(factory, number: str) -> Case:  # type: ignore[no-untyped-def]
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        session.expunge(case)
        return case


def payloads(factory, number: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Each event's trigger -> its payload, as stored."""
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
        return {e.trigger: dict(e.payload or {}) for e in events}


def test_hostile_complaint_through_the_form_and_the_enterprise_portal(
    client, other_client, file_complaint, demo_logins, factory
):
    number, _ = file_complaint(
        complainant_name=NAME, complainant_address=ADDRESS, product=PRODUCT, facts=FACTS
    )
    case = stored(factory, number)
    assert (case.complainant_name, case.complainant_address) == (kept(NAME), kept(ADDRESS))
    assert (case.product, case.facts) == (kept(PRODUCT), kept(FACTS))

    sent = client.post(f"/track/{number}/act/send_message", {"message": MESSAGE})
    assert sent.status_code == 200
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    for trigger, field in (("message_consumer", "message"), ("add_note", "note")):
        done = other_client.post(f"/enterprise/cases/{number}/act/{trigger}", {field: MESSAGE})
        assert done.status_code == 200, done.text[:500]
    events = payloads(factory, number)
    assert events["send_message"]["message"] == kept(MESSAGE)
    assert events["message_consumer"]["message"] == kept(MESSAGE)
    assert events["add_note"]["note"] == kept(MESSAGE)

    tracking = client.get(f"/track/{number}")
    shown_inert(tracking.text, PRODUCT, FACTS, MESSAGE)
    inbox = other_client.get("/enterprise")
    assert inbox.status_code == 200
    shown_inert(inbox.text, PRODUCT)
    page = other_client.get(f"/enterprise/cases/{number}")
    shown_inert(page.text, PRODUCT, FACTS, MESSAGE)

    export = other_client.get("/enterprise/export.csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert kept(PRODUCT) in cells  # kept as typed: markup is harmless in a CSV cell
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]


def test_hostile_complaint_through_the_api_is_stored_and_read_back_as_typed(
    client, other_client, demo_logins, factory
):
    body = {
        "complainant_name": NAME,
        "complainant_phone": "13800138000",
        "complainant_address": ADDRESS,
        "respondent_name": "美团优选（南宁）",
        "product": PRODUCT,
        "claim_type": "refund",
        "facts": FACTS,
    }
    created = client.client.post("/api/v1/complaints", json=body)
    assert created.status_code == 201, created.text
    number, code = created.json()["number"], created.json()["access_code"]
    case = stored(factory, number)
    assert (case.complainant_name, case.product, case.facts) == (
        kept(NAME),
        kept(PRODUCT),
        kept(FACTS),
    )
    read = client.client.get(f"/api/v1/cases/{number}", headers={"X-Access-Code": code})
    assert read.json()["product"] == kept(PRODUCT)

    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    page = other_client.post("/enterprise/settings/tokens", {"token_name": "<b>订单</b>"})
    token = re.search(r'id="api-token">([^<]+)<', page.text).group(1)
    auth = {"Authorization": f"Bearer {token}"}
    api = other_client.client
    assert api.get(f"/api/v1/enterprise/cases/{number}", headers=auth).json()["facts"] == kept(
        FACTS
    )
    fired = api.post(
        f"/api/v1/enterprise/cases/{number}/actions/message_consumer",
        json={"message": MESSAGE},
        headers=auth,
    )
    assert fired.status_code == 200, fired.text
    assert payloads(factory, number)["message_consumer"]["message"] == kept(MESSAGE)


def test_hostile_unregistered_respondent_and_regulator_notes(
    client, other_client, file_complaint, demo_logins, factory
):
    number, _ = file_complaint(
        respondent_name=RESPONDENT,
        respondent_address=f"{SCRIPT}南宁市",
        product=PRODUCT,
        facts=FACTS,
        order_number="",
    )
    case = stored(factory, number)
    assert case.respondent_name == kept(RESPONDENT)
    with factory() as session:
        region = session.get(Office, case.office_id).region_code
    username = f"reg{region}"
    other_client.login("regulator", username, demo_logins[username])

    page = other_client.get(f"/regulator/cases/{number}")
    shown_inert(page.text, RESPONDENT, PRODUCT, FACTS)
    triggers = set(re.findall(rf"/regulator/cases/{number}/act/(\w+)", page.text))
    assert "assign_office" in triggers, (case.state, triggers)
    moved = other_client.post(f"/regulator/cases/{number}/act/assign_office", {"office": "450102"})
    assert moved.status_code == 200, moved.text[:500]
    other_client.client.cookies.clear()
    other_client.login("regulator", "reg450102", demo_logins["reg450102"])
    accepted = other_client.post(f"/regulator/cases/{number}/act/accept", {"note": MESSAGE})
    assert accepted.status_code == 200, accepted.text[:500]
    assert payloads(factory, number)["accept"]["note"] == kept(MESSAGE)
    shown_inert(other_client.get(f"/regulator/cases/{number}").text, RESPONDENT, MESSAGE)
    queue = other_client.get("/regulator", params={"queue": "mediation"})
    assert queue.status_code == 200
    shown_inert(queue.text, RESPONDENT)
    dashboard = other_client.get("/regulator/dashboard", params={"refresh": "1"})
    assert dashboard.status_code == 200
    shown_inert(dashboard.text, RESPONDENT)
    export = other_client.get("/regulator/dashboard/export/respondents.csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert any(kept(RESPONDENT) in name for name in names), names
    assert not [n for n in names if n[:1] in ("=", "+", "-", "@")]  # no formula for Excel


def test_too_long_text_is_a_400_naming_the_field(client, other_client, file_complaint, demo_logins):
    huge = (SCRIPT + "长") * (100 * 1024 // len(SCRIPT + "长"))  # about 100 KB
    refused = client.post("/", {"complainant_name": "张三", "facts": huge})
    assert refused.status_code == 400
    assert 'id="facts-error"' in refused.text or "facts" in refused.text
    assert str(FACTS_MAX) in refused.text
    assert not RAW_MARKUP.search(refused.text)  # the form shows it back escaped
    api = client.client.post(
        "/api/v1/complaints",
        json={
            "complainant_name": huge,
            "complainant_phone": "13800138000",
            "complainant_address": "南宁市",
            "respondent_name": "美团优选（南宁）",
            "product": huge,
            "claim_type": "refund",
            "facts": huge,
        },
    )
    assert api.status_code == 400
    assert {e["field"] for e in api.json()["errors"]} >= {"complainant_name", "product", "facts"}

    number, _ = file_complaint()
    message = client.post(f"/track/{number}/act/send_message", {"message": huge})
    assert message.status_code == 400 and "2000" in message.text
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    note = other_client.post(f"/enterprise/cases/{number}/act/add_note", {"note": huge})
    assert note.status_code == 400 and "4000" in note.text


def test_control_characters_are_refused_by_name(client):
    refused = client.client.post(
        "/api/v1/complaints",
        json={
            "complainant_name": "张\x00三",
            "complainant_phone": "13800138000",
            "complainant_address": "南宁市\x1b[31m",
            "respondent_name": "美团优选（南宁）",
            "product": "葡萄",
            "claim_type": "refund",
            "facts": "葡萄腐烂了，要求退款。",
        },
    )
    assert refused.status_code == 400
    assert {e["field"] for e in refused.json()["errors"]} == {
        "complainant_name",
        "complainant_address",
    }


def test_a_nul_anywhere_is_a_400_naming_the_field_not_a_database_error(client, file_complaint):
    """PostgreSQL text cannot hold NUL: a "%00" in a path, query or form is refused first."""
    number, _ = file_complaint()
    api = client.client
    for url, field in (
        ("/api/v1/cases/ODR%00", "path"),
        ("/api/v1/respondents?q=%E7%BE%8E%00", "q"),
        ("/api/v1/enterprise/cases?claim_type=%00", "claim_type"),
    ):
        refused = api.get(url, headers={"X-Access-Code": "x", "Authorization": "Bearer x"})
        assert refused.status_code == 400, (url, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    for url in (f"/track/{number}%00", "/enterprises?q=%00", "/regulator?enterprise=%00"):
        page = client.get(url)
        assert page.status_code == 400 and "控制字符" in page.text, url
    for url, form in (
        ("/enterprise/login", {"username": "meituan\x00", "password": "x"}),
        ("/track", {"number": number, "access_code": "\x00"}),
    ):
        page = client.post(url, form)
        assert page.status_code == 400 and "控制字符" in page.text, url
    assert client.get(f"/track/{number}").status_code == 200  # the case itself is untouched
