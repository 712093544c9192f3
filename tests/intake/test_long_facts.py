"""Real complaint texts are long: up to 32,000 characters of facts on every channel, and a
page that stays readable (the long text folds, and unfolds without JavaScript)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from complaints import complaint_form
from litestar.testing import TestClient
from sqlalchemy import select

from odr.app import create_app
from odr.cases.models import Case
from odr.clock import utcnow
from odr.intake.complaint import FACTS_MAX, FACTS_MIN, parse_complaint
from odr.intake.import12315 import import_records
from odr.intake.transfer12315 import HEADERS, read_records

# The longest narrative of the CFPB's public complaints in /work/shared/data/cfpb
# (Complaint ID 3439091, 21,928 characters), kept as it is.
NARRATIVE = (Path(__file__).parent.parent / "data" / "cfpb_longest_narrative.txt").read_text(
    encoding="utf-8"
)
TOKEN = "test-12315-token"


def test_the_narrative_is_the_long_one_and_the_limit_is_above_it():
    assert len(NARRATIVE) == 21_928
    assert len(NARRATIVE) < FACTS_MAX == 32_000


def test_every_bound_is_checked_on_the_server(rules):
    claims = rules.workflow().lists["claim_types"]
    assert parse_complaint(complaint_form(facts="x" * FACTS_MAX), claims).facts == "x" * FACTS_MAX
    for facts in ("x" * (FACTS_MAX + 1), "x" * (FACTS_MIN - 1)):
        with pytest.raises(Exception) as refused:
            parse_complaint(complaint_form(facts=facts), claims)
        assert "facts" in refused.value.errors  # type: ignore[attr-defined]


def stored_facts(factory, number: str) -> str:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(Case.facts).where(Case.number == number))


def test_the_web_form_takes_it_and_the_case_page_folds_it(client, file_complaint, factory):
    form = client.get("/").text
    assert f'maxlength="{FACTS_MAX}" minlength="{FACTS_MIN}"' in form
    number, _ = file_complaint(facts=NARRATIVE)
    assert stored_facts(factory, number) == NARRATIVE
    page = client.get(f"/track/{number}").text
    folded = page.index('<details class="long-text">')
    assert "显示全部（共21928字）" in page
    # The opening shows before the fold; the whole text is inside it, once.
    assert page.index(NARRATIVE[:200]) < page.index(NARRATIVE[1000:1200]) > folded
    assert page.count(NARRATIVE[1000:1200]) == 1


def test_a_short_text_does_not_fold(client, file_complaint):
    number, _ = file_complaint()
    assert 'class="long-text"' not in client.get(f"/track/{number}").text


def test_the_json_api_and_the_12315_transfer_take_it(settings, demo_logins, factory, rules):
    body = {k: v for k, v in complaint_form(facts=NARRATIVE).items() if v != ""}
    body["notify_sms"] = body["notify_email"] = True
    with TestClient(create_app(replace(settings, transfer_token=TOKEN))) as api:
        created = api.post("/api/v1/complaints", json=body)
        assert created.status_code == 201, created.text
        assert stored_facts(factory, created.json()["number"]) == NARRATIVE

        row = dict.fromkeys(HEADERS, "")
        row.update(
            {
                "投诉编号": "LONG-1",
                "投诉人姓名": "陈七",
                "联系电话": "13600136000",
                "联系地址": "南宁市西乡塘区大学东路",
                "被投诉人名称": "多多买菜（南宁）",
                "商品或服务名称": "住房贷款",
                "投诉诉求": "其他",
                "投诉内容": NARRATIVE,
            }
        )
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(HEADERS))
        writer.writeheader()
        writer.writerow(row)
        records, problems = read_records(out.getvalue().encode(), "csv")
        assert problems == []
        (result,) = import_records(factory, records, rules, utcnow())
        assert result.status == "created", result
        assert stored_facts(factory, result.case_number) == NARRATIVE

        row["投诉编号"] = "LONG-2"
        answer = api.post(
            "/api/v1/intake/12315",
            content=json.dumps([row], ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.json()["summary"]["created"] == 1, answer.text
