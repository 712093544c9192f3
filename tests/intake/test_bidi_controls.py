"""Bidi controls (U+202A–U+202E, U+2066–U+2069) are taken out of every text at intake."""

from __future__ import annotations

from datetime import date

from complaints import complaint_form

from odr.engine.fields import without_bidi_controls
from odr.intake.complaint import parse_complaint

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_every_bidi_control_is_taken_out():
    assert without_bidi_controls(f"张{CONTROLS}三") == "张三"
    assert without_bidi_controls("\u200f\u061c") == "\u200f\u061c"  # marks: harmless, kept


def test_complaints_lose_them_in_every_text_field(rules):
    raw = complaint_form(
        complainant_name="张三\u202e",
        complainant_address="\u2067广西南宁市青秀区民族大道88号\u2069",
        product="葡萄\u202d",
        facts="\u202egnp.exe 葡萄腐烂了，团长拒绝退款。",
        party_name_1="李四\u202e",
        party_phone_1="13900139000",
        party_address_1="广西南宁市\u202e西乡塘区",
        party_consent_1="1",
    )
    workflow = next(iter(rules.workflows.values()))
    complaint = parse_complaint(raw, workflow.lists["claim_types"], today=date(2026, 11, 25))
    assert complaint.complainant_name == "张三"
    assert complaint.complainant_address == "广西南宁市青秀区民族大道88号"
    assert complaint.product == "葡萄"
    assert complaint.facts.startswith("gnp.exe")
    assert [(p.name, p.address) for p in complaint.co_complainants] == [
        ("李四", "广西南宁市西乡塘区")
    ]
