"""The 12315 transfer record: complaints the national 12315 platform hands to odr.

A record carries these fields, named by their Chinese headers (as 12315 exports them):

| header | meaning | required |
|---|---|---|
| 投诉编号 | the 12315 complaint number (kept on the case; decides duplicates) | yes |
| 登记时间 | when 12315 registered it (YYYY-MM-DD[ HH:MM[:SS]]) | no |
| 投诉人姓名, 联系电话, 联系地址 | the complainant (identity verified by 12315) | yes |
| 被投诉人名称 | the business | yes |
| 统一社会信用代码 | its unified social credit code | no |
| 被投诉人地址 | its address (required when it is not registered with odr) | no |
| 商品或服务名称 | product or service | yes |
| 消费时间 | purchase date | no |
| 消费金额 | amount in yuan | no |
| 订单号 | order number | no |
| 投诉诉求 | the claim: 退款, 更换, 维修, 赔偿, 赔礼道歉, 其他 (or our codes) | yes |
| 投诉内容 | the facts | yes |
| 是否选择ODR | 是 / 否: whether the consumer chose the enterprise's ODR channel | no (是) |
| 承办单位 | the handling office (name or 6-digit region code) | no |
| 商品服务类别 | the category of goods or services (a code or published name of workflows/classification.yaml) | no (suggested) |
| 问题性质 | the nature of the problem (likewise) | no (suggested) |

Files come as JSON (an array, or {"records": [...]}), JSON Lines, or CSV with these headers, in
UTF-8 (with or without BOM) or GBK/GB18030 (12315 exports opened in office software often are).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HEADERS = {
    "投诉编号": "external_id",
    "登记时间": "registered_at",
    "投诉人姓名": "complainant_name",
    "联系电话": "complainant_phone",
    "联系地址": "complainant_address",
    "被投诉人名称": "respondent_name",
    "统一社会信用代码": "respondent_uscc",
    "被投诉人地址": "respondent_address",
    "商品或服务名称": "product",
    "消费时间": "purchase_date",
    "消费金额": "amount",
    "订单号": "order_number",
    "投诉诉求": "claim_type",
    "投诉内容": "facts",
    "商品服务类别": "category",
    "问题性质": "problem_nature",
    "是否选择ODR": "chose_odr",
    "承办单位": "handling_office",
}
FIELD_HEADERS = {key: header for header, key in HEADERS.items()}
# 12315's wording of a claim, to odr's claim types.
CLAIMS = {
    "退款": "refund",
    "退货退款": "refund",
    "退货": "refund",
    "更换": "replacement",
    "换货": "replacement",
    "维修": "repair",
    "修理": "repair",
    "赔偿": "compensation",
    "赔礼道歉": "apology",
    "道歉": "apology",
    "其他": "other",
}
FORMATS = ("json", "jsonl", "csv")


@dataclass(frozen=True)
class TransferRecord:
    line: int  # the record's line in a CSV or JSON Lines file, its position in a JSON array
    fields: dict[str, str]  # odr's field names -> the text given


@dataclass(frozen=True)
class ParseProblem:
    line: int
    reason: str


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK); undecodable bytes fail."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def guess_format(text: str, filename: str | None = None) -> str:
    """json, jsonl or csv: from the file name, else from the first character."""
    if filename:
        suffix = filename.rsplit(".", 1)[-1].lower()
        if suffix in ("json", "jsonl", "csv"):
            return suffix
        if suffix == "ndjson":
            return "jsonl"
    start = text.lstrip()[:1]
    if start == "[":
        return "json"
    if start == "{":
        # One object over the whole text is JSON ({"records": [...]}); several lines are JSONL.
        try:
            json.loads(text)
        except ValueError:
            return "jsonl"
        return "json"
    return "csv"


def _fields(raw: Any) -> dict[str, str] | None:
    """A record's fields by odr's names; None when it is not an object."""
    if not isinstance(raw, dict):
        return None
    fields: dict[str, str] = {}
    for key, value in raw.items():
        name = HEADERS.get(str(key).strip())
        if name is None or value is None:
            continue
        fields[name] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return fields


def _json_records(text: str) -> Iterator[tuple[int, Any]]:
    document = json.loads(text)
    if isinstance(document, dict):
        document = document.get("records")
    if not isinstance(document, list):
        raise ValueError('JSON: expected an array of records, or {"records": [...]}')
    yield from enumerate(document, start=1)


def _jsonl_records(text: str) -> Iterator[tuple[int, Any]]:
    # Lines end at \n (or \r\n) only: splitlines() would also cut at U+2028 or U+0085, which
    # JSON strings may hold unescaped, and lose the record.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, ParseProblem(number, f"not valid JSON: {exc.msg}")


def _csv_records(text: str) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError("CSV: the file is empty / 文件为空") from None
    except csv.Error as exc:
        raise ValueError(f"CSV: {exc}") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if "投诉编号" not in header:
        raise ValueError("CSV: the first line must be the header, with 投诉编号 among the columns")
    rows = 0
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            if not rows:
                raise ValueError("CSV: a header and no rows / 只有表头，没有记录") from None
            return
        except csv.Error as exc:
            yield line, ParseProblem(line, f"CSV: {exc}")
            return
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        # A row cut short (a file truncated mid-row) or split by a stray delimiter would put
        # its values under the wrong headers: refused whole, never guessed at.
        if len(row) != len(header):
            yield line, ParseProblem(line, f"{len(row)} cells, header has {len(header)}")
            continue
        yield line, dict(zip(header, row, strict=False))


def read_records(
    data: bytes, format: str | None = None, filename: str | None = None
) -> tuple[list[TransferRecord], list[ParseProblem]]:
    """Every record of a transfer file, and every line that is not one (never raises for bad
    content: a file that cannot be read at all is one problem at line 0)."""
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return [], [ParseProblem(0, "neither UTF-8 nor GBK/GB18030 text")]
    kind = format or guess_format(text, filename)
    if kind not in FORMATS:
        return [], [ParseProblem(0, f"unknown format {kind!r} (json, jsonl or csv)")]
    readers = {"json": _json_records, "jsonl": _jsonl_records, "csv": _csv_records}
    records: list[TransferRecord] = []
    problems: list[ParseProblem] = []
    try:
        for line, raw in readers[kind](text):
            if isinstance(raw, ParseProblem):
                problems.append(raw)
                continue
            fields = _fields(raw)
            if fields is None:
                problems.append(ParseProblem(line, "a record must be an object of named fields"))
            else:
                records.append(TransferRecord(line, fields))
    except (ValueError, RecursionError) as exc:
        problems.append(ParseProblem(0, str(exc)[:300]))
    if not records and not problems:
        problems.append(ParseProblem(0, f"{kind.upper()}: no records / 没有记录"))
    return records, problems
