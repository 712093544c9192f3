"""The one CSV writer of every export: formulas kept as text, purged data and claim types shown
as words a reader understands."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from odr.masking import REDACTED, mask_address, mask_name, mask_phone
from odr.portals.csv_files import csv_bytes, safe_cell
from odr.portals.enterprise.export import cases_csv

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def test_formula_starts_are_kept_as_text():
    for text in ("=1+1", "+86", "-2", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(text) == "'" + text
    assert [safe_cell(v) for v in ("张三", "", 12, -3, None)] == ["张三", "", 12, -3, None]
    body = csv_bytes(["=名"], [["=A1", 5]]).decode("utf-8-sig")
    assert body == "'=名\r\n'=A1,5\r\n"


def test_the_purge_placeholder_is_shown_whole_not_masked_again():
    assert (mask_name(REDACTED), mask_phone(REDACTED), mask_address(REDACTED)) == (REDACTED,) * 3
    assert mask_phone("13800138000") == "138****8000"  # real data: still masked


def purged_seven_day_case(rules):  # type: ignore[no-untyped-def]
    workflow = rules.workflow("seven_day_return")
    return SimpleNamespace(
        number="ODR26120600000001",
        workflow=workflow.name,
        workflow_version=workflow.version,
        state=workflow.initial,
        respondent_name="美团优选（南宁）",
        product="电饭煲",
        claim_type="seven_day_return",
        amount=None,
        order_number=None,
        received_at=NOW,
        due_at=None,
        complainant_name=REDACTED,
        complainant_phone=REDACTED,
        complainant_address=REDACTED,
    )


def test_a_purged_seven_day_return_exports_in_words(rules):
    for lang, claim in (("zh", "七日无理由退货"), ("en", "Seven-day no-reason return")):
        rows = cases_csv([purged_seven_day_case(rules)], rules, NOW, lang).decode("utf-8-sig")
        row = rows.splitlines()[1].split(",")
        assert row[4] == claim, row
        assert row[-3:] == [REDACTED] * 3
        assert "****" not in rows
