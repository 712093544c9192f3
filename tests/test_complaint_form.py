"""The web form: errors beside the fields, what was typed kept, evidence checked by content."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
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
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment")
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


def test_a_file_named_as_an_image_keeps_the_type_of_its_content(client, file_complaint, factory):
    pdf = (Path(__file__).parent / "data" / "invoice.pdf").read_bytes()
    file_complaint(files=[("evidence", ("截图.png", pdf, "image/png"))])
    with factory() as session:
        stored = session.scalars(select(Attachment)).one()
    assert (stored.filename, stored.content_type) == ("截图.pdf", "application/pdf")


def test_svg_and_html_are_refused_though_they_call_themselves_images(client, factory):
    for name, data in (
        ("a.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("b.png", b"<!doctype html><script>alert(1)</script>"),
    ):
        response = client.post(
            "/", complaint_form(), files=[("evidence", (name, data, "image/svg+xml"))]
        )
        assert response.status_code == 400 and 'id="evidence-error"' in response.text
    assert case_count(factory) == 0


def test_the_form_says_the_limits_and_keeps_input_after_a_file_error(client, factory):
    page = client.get("/")
    assert "最多10个文件，每个不超过10MB" in page.text
    assert 'data-max-files="10"' in page.text
    fake = ("evidence", ("photo.png", b"MZ\x90\x00", "image/png"))
    response = client.post("/", complaint_form(product="青提 1kg"), files=[fake])
    assert response.status_code == 400 and 'value="青提 1kg"' in response.text
    assert 'id="held-evidence"' not in response.text  # a refused file is not kept


def test_in_english_the_form_and_its_errors_are_english(client, factory):
    client.get("/lang/en")
    page = client.get("/")
    assert "File a consumer complaint" in page.text and "提交消费投诉" not in page.text
    assert 'value="en" selected' in page.text  # messages in the reader's language too
    response = client.post("/", complaint_form(complainant_phone="123", locale="en"))
    assert response.status_code == 400
    error = re.search(r'id="complainant_phone-error"[^>]*>([^<]+)<', response.text)
    assert error and not re.search(r"[\u4e00-\u9fff]", error.group(1)), error
    assert "Please correct the 1 marked field(s)" in response.text


def test_many_consumers_filing_at_once_are_all_answered_and_stored(client, factory):
    # More form posts at once than litestar has handler threads (min(32, CPUs + 4)): each
    # commit must not wait for a handler thread while every handler thread waits for the
    # write lock that commit would let go (SQLite stalled here, then answered 500).
    client.csrf()
    before = case_count(factory)
    forms = [complaint_form(complainant_phone=f"1390000{i:04d}") for i in range(24)]
    with ThreadPoolExecutor(len(forms)) as pool:
        statuses = list(pool.map(lambda form: client.post("/", form).status_code, forms))
    assert statuses == [200] * len(forms)  # each followed the 303 to its receipt
    assert case_count(factory) == before + len(forms)
