"""12315 transfers: JSON, JSON Lines and CSV in UTF-8 or GBK; every valid record once."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlalchemy import func, select

from odr.app import create_app
from odr.cases.models import Case
from odr.cli import main
from odr.clock import utcnow
from odr.intake.import12315 import import_records
from odr.intake.transfer12315 import HEADERS, read_records

TOKEN = "test-12315-token"


def record(number: str, **overrides: str) -> dict[str, str]:
    row = {
        "投诉编号": number,
        "登记时间": "2026-11-26 09:30:00",
        "投诉人姓名": "陈七",
        "联系电话": "13600136000",
        "联系地址": "南宁市西乡塘区大学东路",
        "被投诉人名称": "多多买菜（南宁）",
        "统一社会信用代码": "",
        "被投诉人地址": "",
        "商品或服务名称": "冷冻虾仁 500g",
        "消费时间": "2026/11/20",
        "消费金额": "59.90元",
        "订单号": f"DD-{number}",
        "投诉诉求": "退款",
        "投诉内容": "收到的虾仁已解冻变质，平台客服不予处理。",
        "是否选择ODR": "是",
        "承办单位": "",
    }
    row.update(overrides)
    return row


def as_csv(rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(HEADERS))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def cases(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Case).where(Case.channel == "12315"))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding(encoding):
    records, problems = read_records(as_csv([record("A1"), record("A2")], encoding), "csv")
    assert problems == []
    assert [r.fields["external_id"] for r in records] == ["A1", "A2"]
    assert records[0].fields["respondent_name"] == "多多买菜（南宁）"
    assert [r.line for r in records] == [2, 3]


def test_json_and_json_lines():
    rows = [record("J1"), record("J2")]
    as_json, _ = read_records(json.dumps(rows, ensure_ascii=False).encode())
    wrapped, _ = read_records(json.dumps({"records": rows}, ensure_ascii=False).encode())
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n"
    as_jsonl, problems = read_records(lines.encode("gbk"), filename="x.jsonl")
    assert len(as_json) == len(wrapped) == len(as_jsonl) == 2
    assert [(p.line, p.reason[:14]) for p in problems] == [(3, "not valid JSON")]


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, "json", "jsonl", "csv"]))
def test_any_bytes_give_records_or_problems(data, fmt):
    records, problems = read_records(data, fmt)
    assert all(isinstance(r.fields, dict) for r in records)
    assert all(p.reason for p in problems)


def test_import_keeps_valid_records_and_names_bad_fields(factory, rules):
    rows = [
        record("B1"),
        record("B2", 联系电话="123"),
        record("B3", 投诉诉求="发财"),
        record("B4", 是否选择ODR="否"),
        record("B1"),  # sent twice in one batch
        record(""),
    ]
    records, _ = read_records(as_csv(rows))
    results = import_records(factory, records, rules, utcnow())
    summary = [(r.external_id, r.status, r.field) for r in results]
    assert summary == [
        ("B1", "created", None),
        ("B2", "rejected", "联系电话"),
        ("B3", "rejected", "投诉诉求"),
        ("B4", "created", None),
        ("B1", "duplicate", None),
        ("", "rejected", "投诉编号"),
    ]
    with factory() as session:
        b1 = session.scalar(select(Case).where(Case.external_id == "B1"))
        b4 = session.scalar(select(Case).where(Case.external_id == "B4"))
        assert b1.identity_verified and b1.channel == "12315" and str(b1.amount) == "59.90"
        assert b1.state == "negotiation"
        assert b4.state == "acceptance"  # the consumer did not choose the ODR channel
        assert b1.events[0].payload["registered_at"] == "2026-11-26 09:30:00"


def test_cli_import_is_idempotent_and_resumes(tmp_path: Path, factory, database_url):
    rows = [record(f"C{i}") for i in range(30)] + [record("C-bad", 投诉内容="短")]
    file = tmp_path / "transfer.csv"
    file.write_bytes(as_csv(rows, "gbk"))
    env = {"ODR_DATABASE_URL": database_url}
    # A first run killed half-way: only the first 12 rows got in.
    half = tmp_path / "half.csv"
    half.write_bytes(as_csv(rows[:12], "gbk"))
    assert CliRunner().invoke(main, ["import-12315", str(half)], env=env).exit_code == 0
    first = CliRunner().invoke(main, ["import-12315", str(file)], env=env)
    assert first.exit_code == 0, first.output
    assert "31 record(s): 18 created, 12 already imported, 1 rejected" in first.output
    rejected = (tmp_path / "transfer.csv.rejected.csv").read_text(encoding="utf-8-sig")
    assert "C-bad" in rejected and "投诉内容" in rejected
    again = CliRunner().invoke(main, ["import-12315", str(file)], env=env)
    assert "0 created, 30 already imported, 1 rejected" in again.output
    assert cases(factory) == 30


def test_api_batch_and_updates_feed(settings, factory, rules, demo_logins):
    app = create_app(replace(settings, transfer_token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(app) as client:
        lines = "\n".join(json.dumps(record(n), ensure_ascii=False) for n in ("D1", "D2"))
        refused = client.post(
            "/api/v1/intake/12315",
            content=lines.encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert refused.status_code == 401
        answer = client.post(
            "/api/v1/intake/12315",
            content=lines.encode(),
            headers={"Content-Type": "application/x-ndjson", **auth},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["summary"] == {"created": 2, "duplicate": 0, "rejected": 0}
        again = client.post(
            "/api/v1/intake/12315",
            content=lines.encode(),
            headers={"Content-Type": "application/x-ndjson", **auth},
        )
        assert again.json()["summary"] == {"created": 0, "duplicate": 2, "rejected": 0}

        # Committed transfers show in the feed at once, in order (tests/intake/test_12315_feed.py).
        records, _ = read_records(as_csv([record("E1"), record("E2")]))
        import_records(factory, records, rules, utcnow() - timedelta(minutes=1))
        page = client.get("/api/v1/intake/12315/updates", params={"cursor": 0}, headers=auth)
        assert page.status_code == 200
        updates = page.json()["updates"]
        assert [(u["number"], u["event"]) for u in updates] == [
            ("D1", "submit"),
            ("D1", "route"),
            ("D2", "submit"),
            ("D2", "route"),
            ("E1", "submit"),
            ("E1", "route"),
            ("E2", "submit"),
            ("E2", "route"),
        ]
        cursors = [u["cursor"] for u in updates]
        assert cursors == sorted(cursors)
        rest = client.get(
            "/api/v1/intake/12315/updates", params={"cursor": page.json()["cursor"]}, headers=auth
        )
        assert rest.json()["updates"] == []


# ------------------------------------------------------------------ fuzzing every format

FUZZ = hypothesis_settings(max_examples=150, deadline=None, derandomize=True, database=None)
UTF8_ENCODINGS = ["utf-8", "utf-8-sig"]
ENCODINGS = [*UTF8_ENCODINGS, "gbk", "gb18030"]
# Any text a cell may hold: CJK, quotes, separators, line breaks, NUL, bidi and zero-width.
cell_text = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list('",;\r\n\t\x00\ufeff\u202e\u200b\u2028\u0085 退款投诉编号')),
    ),
    max_size=40,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | cell_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(cell_text, inner, max_size=4),
    max_leaves=12,
)
json_records = st.dictionaries(
    st.one_of(st.sampled_from(list(HEADERS)), cell_text), json_values, max_size=6
)


def encode(text: str, encoding: str) -> bytes | None:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return None


def assert_well_formed(records, problems) -> None:  # type: ignore[no-untyped-def]
    for r in records:
        assert set(r.fields) <= set(HEADERS.values())
        assert all(isinstance(v, str) for v in r.fields.values())
    assert all(isinstance(p.line, int) and p.line >= 0 and p.reason for p in problems)


@FUZZ
@given(
    st.lists(st.lists(cell_text, min_size=0, max_size=len(HEADERS) + 2), max_size=6),
    st.sampled_from(ENCODINGS),
)
def test_any_csv_cells_come_back_as_records_or_line_problems(rows, encoding):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(HEADERS))
    writer.writerows(rows)
    data = encode(out.getvalue(), encoding)
    if data is None:  # GBK cannot write every character; such a file cannot exist
        return
    records, problems = read_records(data, "csv")
    assert_well_formed(records, problems)
    if encoding in UTF8_ENCODINGS and not problems:
        # Every row with text is one record, cell by cell as written.
        written = [row for row in rows if any(cell.strip() for cell in row)]
        assert len(records) == len(written)
        for record_, row in zip(records, written, strict=True):
            given_fields = {HEADERS[h]: v for h, v in zip(HEADERS, row, strict=False)}
            assert record_.fields == given_fields


@FUZZ
@given(st.lists(json_records, max_size=5), st.sampled_from(ENCODINGS), st.booleans())
def test_any_json_records_come_back_as_records_or_problems(rows, encoding, wrapped):
    document = {"records": rows} if wrapped else rows
    data = encode(json.dumps(document, ensure_ascii=False), encoding)
    if data is None:
        data = json.dumps(document).encode(encoding)  # \u escapes: any codec can carry them
    records, problems = read_records(data, "json")
    assert_well_formed(records, problems)
    if encoding in UTF8_ENCODINGS and not rows:
        assert [p.line for p in problems] == [0]  # no records: said so
    elif encoding in UTF8_ENCODINGS:  # every row is an object: every one a record, in order
        assert problems == []
        assert [r.line for r in records] == list(range(1, len(rows) + 1))


@FUZZ
@given(
    st.lists(st.one_of(json_records, json_values, cell_text), max_size=6),
    st.sampled_from(ENCODINGS),
)
def test_any_json_lines_give_one_record_or_problem_a_line(lines, encoding):
    """Each non-blank line is one record or one problem naming its line, whatever else is
    in the file (U+2028 or U+0085 inside a string do not end a line)."""
    texts = [
        json.dumps(x, ensure_ascii=False) if not isinstance(x, str) else x.replace("\n", " ")
        for x in lines
    ]
    text = "\n".join(t.replace("\r", " ") for t in texts)
    data = encode(text, encoding) or text.encode("utf-8")
    records, problems = read_records(data, "jsonl")
    assert_well_formed(records, problems)
    if data.decode("utf-8", errors="replace") == text:
        expected = [n for n, t in enumerate(text.split("\n"), 1) if t.strip()] or [0]
        assert sorted([r.line for r in records] + [p.line for p in problems]) == expected
        not_objects = {
            n
            for n, x in zip(range(1, len(lines) + 1), lines, strict=True)
            if not isinstance(x, dict)
        }
        assert {r.line for r in records}.isdisjoint(not_objects)


@hypothesis_settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.lists(json_records, max_size=3).map(
            lambda r: json.dumps(r, ensure_ascii=False).encode()
        ),
    ),
    st.sampled_from(["application/json", "application/x-ndjson", "text/csv", "text/plain", ""]),
)
def test_the_transfer_api_answers_any_body_without_a_server_error(api12315, body, media_type):
    answer = api12315.post(
        "/api/v1/intake/12315",
        content=body,
        headers={"Content-Type": media_type, "Authorization": f"Bearer {TOKEN}"},
    )
    if media_type in ("text/plain", "") and body:
        assert answer.status_code == 415, answer.text  # never read on a guess
        return
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert answer.json()["errors"][0]["field"] == "body"
    else:
        summary = answer.json()["summary"]
        assert sum(summary.values()) == len(answer.json()["results"])
        assert all(r["reason"] for r in answer.json()["results"] if r["status"] == "rejected")


@pytest.fixture(scope="module")
def api12315(settings, demo_logins):  # type: ignore[no-untyped-def]
    with TestClient(create_app(replace(settings, transfer_token=TOKEN))) as client:
        yield client


def test_the_cli_rejected_file_keeps_formulas_as_text(tmp_path: Path, database_url):
    formula = '=HYPERLINK("http://127.0.0.1/x","点我")'
    file = tmp_path / "transfer.csv"
    file.write_bytes(as_csv([record(formula, 投诉内容="短")]))
    env = {"ODR_DATABASE_URL": database_url}
    done = CliRunner().invoke(main, ["import-12315", str(file)], env=env)
    assert done.exit_code == 0, done.output
    written = (tmp_path / "transfer.csv.rejected.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(written.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + formula  # Excel shows it, never runs it
