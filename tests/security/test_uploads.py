"""Uploads: checked by content, active content refused, names made harmless, bodies capped.

(tests/test_complaint_form.py has the form's own cases: a fake PNG, SVG and HTML refused, ten
files of 10 MB at most, a PDF named .png stored as a PDF.)
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from complaints import complaint_form
from sqlalchemy import func, select

from odr.app import MAX_BODY_BYTES
from odr.cases.evidence import check_evidence, display_name, pdf_is_active, safe_filename
from odr.cases.models import Attachment, Case
from odr.errors import InvalidData

DATA = Path(__file__).resolve().parents[1] / "data"
PNG = (DATA / "receipt.png").read_bytes()
PDF = (DATA / "invoice.pdf").read_bytes()
MB = 1024 * 1024


def pdf_with(body: bytes) -> bytes:
    return b"%PDF-1.7\n1 0 obj\n" + body + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def flate_stream(content: bytes) -> bytes:
    packed = zlib.compress(content)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)


ACTIVE_PDFS = {
    "open action script": pdf_with(b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"),
    "escaped name": pdf_with(b"<< /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >>"),
    "launch": pdf_with(b"<< /OpenAction << /S /Launch /F (cmd.exe) >> >>"),
    "embedded file": pdf_with(b"<< /Names << /EmbeddedFiles << /Names [(a.exe) 2 0 R] >> >> >>"),
    "script in a compressed stream": pdf_with(
        flate_stream(b"<< /Type /Action /S /JavaScript /JS (this.exportDataObject()) >>")
    ),
}
NOT_EVIDENCE = {
    "windows executable": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,
    "elf executable": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64,
    "shell script": b"#!/bin/sh\nrm -rf /\n",
    "zip archive": b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 64,
    "html": b"<html><body onload=alert(1)>",
    "svg with script": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "svg with xml prolog": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(1)</script></svg>",
    "javascript": b"alert(document.cookie)",
}


@pytest.mark.parametrize("kind", list(NOT_EVIDENCE))
def test_executables_markup_and_scripts_are_refused_whatever_their_name(kind):
    with pytest.raises(InvalidData) as refused:
        check_evidence([("小票.png", NOT_EVIDENCE[kind])], max_files=10, max_bytes=10 * MB)
    assert refused.value.errors["evidence"].startswith("小票.png: 只接受")


@pytest.mark.parametrize("kind", list(ACTIVE_PDFS))
def test_pdfs_with_scripts_launch_actions_or_embedded_files_are_refused(kind):
    assert pdf_is_active(ACTIVE_PDFS[kind])
    with pytest.raises(InvalidData) as refused:
        check_evidence([("发票.pdf", ACTIVE_PDFS[kind])], max_files=10, max_bytes=10 * MB)
    assert "PDF" in refused.value.errors["evidence"]


def test_plain_pdfs_and_images_are_kept():
    assert not pdf_is_active(PDF)
    assert not pdf_is_active(pdf_with(flate_stream(b"BT /F1 12 Tf (JSON and JSONL) Tj ET")))
    files = check_evidence([("a.pdf", PDF), ("b.png", PNG)], max_files=10, max_bytes=10 * MB)
    assert [(f.filename, f.content_type) for f in files] == [
        ("a.pdf", "application/pdf"),
        ("b.png", "image/png"),
    ]


def test_a_compression_bomb_is_refused_not_inflated():
    bomb = pdf_with(flate_stream(b"\0" * (80 * MB)))
    assert len(bomb) < MB
    assert pdf_is_active(bomb)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\Windows\\System32\\evil.png", "evil.png"),
        ("/var/lib/odr/evidence/ab/abc.png", "abc.png"),
        ("小票\u202egnp.exe", "小票gnp.png"),  # the RTL override would show "exe.png"
        ("a\u200bb\u200d\ufeffc.png", "abc.png"),  # zero-width characters
        ("line\r\nbreak\x00nul\x1b[31m.png", "linebreaknul[31m.png"),
        ("  ..  ", "evidence.png"),
        (".htaccess", "htaccess.png"),
        ('"; filename="x.html', '"; filename="x.png'),  # the download header quotes it
        ("", "evidence.png"),
        ("长" * 300 + ".png", "长" * 100 + ".png"),
    ],
)
def test_file_names_lose_paths_control_and_bidi_characters(given, stored):
    assert safe_filename(given, "png") == stored
    assert "/" not in stored and "\\" not in stored
    assert all(c.isprintable() for c in stored)


def test_an_error_names_the_file_without_its_path_or_bidi_characters():
    with pytest.raises(InvalidData) as refused:
        check_evidence([("../../tmp/a\u202egnp.exe", b"MZ\x90\x00")], 10, 10 * MB)
    message = refused.value.errors["evidence"]
    assert message.startswith("agnp.exe: ") and "\u202e" not in message and ".." not in message
    assert display_name("C:\\Users\\x\\" + "\u202e" * 5) == ""


def test_count_and_size_limits():
    with pytest.raises(InvalidData, match="最多3个文件"):
        check_evidence([(f"{i}.png", PNG) for i in range(4)], max_files=3, max_bytes=MB)
    with pytest.raises(InvalidData, match="超过1MB"):
        check_evidence([("big.png", PNG + b"\0" * MB)], max_files=3, max_bytes=MB)
    empty_ignored = check_evidence([("a.png", PNG), ("none.png", b"")], 1, MB)
    assert len(empty_ignored) == 1


def test_hostile_names_through_the_form_are_stored_clean_and_downloaded_as_attachments(
    client, file_complaint, factory
):
    number, _ = file_complaint(
        files=[
            ("evidence", ('../<img src=x onerror=alert(1)>"\u202egnp.exe', PNG, "image/png")),
            ("evidence", ("..\\..\\发票\r\n.pdf", PDF, "application/pdf")),
        ]
    )
    with factory() as session:
        files = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [f.filename for f in files] == ['<img src=x onerror=alert(1)>"gnp.png', "发票.pdf"]
    page = client.get(f"/track/{number}")
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    download = client.get(f"/evidence/{files[0].id}")
    assert download.status_code == 200 and download.content == PNG
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")  # quoted: no header tricks
    assert '"' not in disposition.split("''", 1)[1] and "\r" not in disposition
    assert download.headers["content-type"].startswith("image/png")
    assert download.headers["x-content-type-options"] == "nosniff"


def test_an_active_pdf_in_the_form_and_in_a_message_is_refused(client, file_complaint, factory):
    pdf = ACTIVE_PDFS["open action script"]
    refused = client.post(
        "/", complaint_form(), files=[("evidence", ("发票.pdf", pdf, "application/pdf"))]
    )
    assert refused.status_code == 400 and 'id="evidence-error"' in refused.text
    number, _ = file_complaint()
    message = client.post(
        f"/track/{number}/act/send_message",
        {"message": "发票见附件"},
        files=[("attachment", ("发票.pdf", pdf, "application/pdf"))],
    )
    assert message.status_code == 400 and "PDF" in message.text
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_request_bodies_are_capped_with_a_clear_413(client, file_complaint, factory):
    too_big = {
        "complainant_name": "张三",
        "complainant_phone": "13800138000",
        "complainant_address": "南宁市",
        "respondent_name": "美团优选（南宁）",
        "product": "葡萄",
        "claim_type": "refund",
        "facts": "长" * MAX_BODY_BYTES,
    }
    api = client.client.post("/api/v1/complaints", json=too_big)
    assert api.status_code == 413
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["status"] == 413 and api.json()["detail"]

    report = client.post("/report", {"report_facts": "x" * (MAX_BODY_BYTES + 1)})
    assert report.status_code == 413
    assert "上传内容过大" in report.text and "每个文件不超过10MB" in report.text

    number, _ = file_complaint()
    attachment = PNG + b"\0" * (12 * MB)  # over the 11 MB an action may carry
    action = client.post(
        f"/track/{number}/act/send_message",
        {"message": "见附件"},
        files=[("attachment", ("big.png", attachment, "image/png"))],
    )
    assert action.status_code == 413 and "上传内容过大" in action.text
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1  # just the first
