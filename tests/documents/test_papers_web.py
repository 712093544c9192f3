"""The papers on the web: a clerk's decision on the case page issues the paper; the parties it
concerns download it (404 for a foreign enterprise, a foreign office, a stranger); the e-mail
that announces the decision carries it (a real SMTP server)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from sqlalchemy import select

from odr.cases.models import Case
from odr.documents.models import Document
from odr.notify.dispatcher import dispatch


def accepted_on_the_case_page(file_complaint, other_client, browser, demo_logins):  # type: ignore[no-untyped-def]
    """File against 美团优选 (青秀区, 450103), the enterprise declines, the office accepts."""
    number, _ = file_complaint(complainant_email="zhang.san@example.com")
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    declined = other_client.post(f"/enterprise/cases/{number}/act/decline", {"reason": "无法和解"})
    assert declined.status_code == 200, declined.text[:500]
    with browser() as clerk:
        clerk.login("regulator", "reg450103", demo_logins["reg450103"])
        page = clerk.post(f"/regulator/cases/{number}/act/accept", {"note": "请双方配合调解"})
        assert page.status_code == 200, page.text[:500]
        link = re.search(r'href="/documents/(\d+)"[^>]*>受理通知书 ([^<]+)</a>', page.text)
        assert link, page.text[:3000]
        pdf = clerk.get(f"/documents/{link.group(1)}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    return number, int(link.group(1)), pdf.content


def test_the_parties_download_the_paper_and_nobody_else(
    file_complaint, client, other_client, browser, demo_logins
):
    number, document_id, pdf = accepted_on_the_case_page(
        file_complaint, other_client, browser, demo_logins
    )
    url = f"/documents/{document_id}"
    assert client.get(url).content == pdf  # the consumer, by the tracked case
    assert other_client.get(url).content == pdf  # the enterprise complained about
    with browser() as stranger:
        assert stranger.get(url).status_code == 404
        stranger.login("enterprise", "duoduo", demo_logins["duoduo"])
        assert stranger.get(url).status_code == 404  # a foreign enterprise
    with browser() as foreign:
        foreign.login("regulator", "reg450102", demo_logins["reg450102"])
        assert foreign.get(url).status_code == 404  # a foreign office
    with browser() as city:
        city.login("regulator", "reg450100", demo_logins["reg450100"])
        assert city.get(url).content == pdf  # the office above
    assert client.get(f"/track/{number}").text.count(url) == 1


def test_the_decisions_mail_carries_the_paper(
    file_complaint, other_client, browser, demo_logins, factory, settings, smtp_server
):
    controller, inbox = smtp_server
    number, document_id, pdf = accepted_on_the_case_page(
        file_complaint, other_client, browser, demo_logins
    )
    smtp = replace(settings, smtp_host="127.0.0.1", smtp_port=controller.port)
    dispatch(factory, smtp)
    with factory() as session:
        document = session.get(Document, document_id)
        assert document is not None
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert document.case_id == case.id
    mails = [m for m in inbox.messages if any(p.get_filename() for p in m.walk())]
    assert mails, [m["Subject"] for m in inbox.messages]
    [attached] = [p for p in mails[0].walk() if p.get_content_type() == "application/pdf"]
    data = attached.get_payload(decode=True)
    assert data == pdf and hashlib.sha256(data).hexdigest() == document.sha256
    assert attached.get_filename() == f"受理通知书-{number}.pdf"
