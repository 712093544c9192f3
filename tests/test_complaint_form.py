"""The web form: errors beside the fields, what was typed kept, evidence checked by content."""

from __future__ import annotations

import re
from pathlib import Path

from complaints import complaint_form
from sqlalchemy import func, select

from odr.cases.models import Attachment, Case


def case_count(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_errors_are_shown_beside_fields_and_input_is_kept(client, factory):
    response = client.post(
        "/",
        complaint_form(
            complainant_phone="123",
            respondent_uscc="91110000600037341X",
            facts="太短",
            complainant_name="李四<script>",
        ),
    )
    assert response.status_code == 400
    assert 'id="complainant_phone-error"' in response.text
    assert 'id="respondent_uscc-error"' in response.text
    assert 'id="facts-error"' in response.text
    # What the consumer typed comes back, escaped.
    assert 'value="李四&lt;script&gt;"' in response.text
    assert "阳光玫瑰葡萄 2斤装" in response.text
    assert case_count(factory) == 0


def test_unregistered_business_needs_an_address(client, factory):
    response = client.post("/", complaint_form(respondent_name="路边摊"))
    assert response.status_code == 400 and 'id="respondent_address-error"' in response.text
    assert case_count(factory) == 0


def test_evidence_is_stored_and_downloadable_only_by_viewers(
    client, other_client, file_complaint, evidence_png, factory
):
    pdf = (Path(__file__).parent / "data" / "invoice.pdf").read_bytes()
    number, _ = file_complaint(
        files=[
            ("evidence", ("../../etc/小票\u202e.png", evidence_png, "image/png")),
            ("evidence", ("发票.pdf", pdf, "application/pdf")),
        ]
    )
    with factory() as session:
        files = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(f.filename, f.content_type) for f in files] == [
        ("小票.png", "image/png"),
        ("发票.pdf", "application/pdf"),
    ]
    download = client.get(f"/evidence/{files[0].id}")
    assert download.status_code == 200 and download.content == evidence_png
    assert other_client.get(f"/evidence/{files[0].id}").status_code == 404


def test_evidence_type_is_checked_by_content(client, factory):
    fake = ("evidence", ("photo.png", b"MZ\x90\x00 this is an executable", "image/png"))
    response = client.post("/", complaint_form(), files=[fake])
    assert response.status_code == 400 and 'id="evidence-error"' in response.text
    assert "photo.png" in response.text
    assert case_count(factory) == 0


def test_evidence_count_and_size_are_limited(client, settings, evidence_png, factory):
    too_many = [("evidence", (f"{i}.png", evidence_png, "image/png")) for i in range(11)]
    response = client.post("/", complaint_form(), files=too_many)
    assert response.status_code == 400 and "最多10个文件" in response.text
    big = evidence_png + b"\0" * settings.evidence_max_bytes
    response = client.post(
        "/", complaint_form(), files=[("evidence", ("big.png", big, "image/png"))]
    )
    assert response.status_code == 400 and "超过10MB" in response.text
    assert case_count(factory) == 0


def test_receipt_shows_number_and_code_once(client, file_complaint):
    number, code = file_complaint()
    assert re.fullmatch(r"ODR\d{14}", number)
    assert len(code) == 10
    again = client.get("/receipt")
    assert number in again.text  # the same browser may reprint its receipt
