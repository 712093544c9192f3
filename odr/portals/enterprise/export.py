"""The inbox as a CSV file for Excel: UTF-8 with a BOM, and the consumer's phone and address
masked (a list leaves the building more easily than a case page)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import phonenumbers

from odr.cases.models import Case
from odr.engine.rules import Rules
from odr.portals.i18n import translations
from odr.portals.templating import local_date, local_datetime

# The column headers are Chinese message ids; enterprise.po has their English.
COLUMNS = (
    "案件编号",
    "状态",
    "被投诉人",
    "商品或服务",
    "诉求",
    "金额",
    "订单号",
    "收到时间",
    "处理期限",
    "剩余工作日",
    "投诉人",
    "投诉人电话",
    "投诉人地址",
)
# 广西壮族自治区南宁市青秀区… : the divisions down to the county are kept, the street is masked.
_DIVISION = re.compile(r".{1,8}?(?:自治区|特别行政区|自治州|自治县|省|市|盟|州|地区|区|县|旗)")
_MAX_DIVISIONS = 3
MASK = "****"
_STORED_PHONE = re.compile(r"(?:\+86)?1\d{10}")
# What a row of the export needs: plain columns, no tracked Case objects.
EXPORT_COLUMNS = (
    Case.number,
    Case.workflow,
    Case.workflow_version,
    Case.state,
    Case.respondent_name,
    Case.product,
    Case.claim_type,
    Case.amount,
    Case.order_number,
    Case.received_at,
    Case.due_at,
    Case.complainant_name,
    Case.complainant_phone,
    Case.complainant_address,
)


def mask_phone(number: str | None) -> str:
    """13800138000 (or +86…) as 138****8000: the first 3 and last 4 digits stay."""
    if not number:
        return ""
    if _STORED_PHONE.fullmatch(number):  # as intake stores it: no parsing per row
        digits = number.removeprefix("+86")
    else:
        try:
            digits = phonenumbers.national_significant_number(phonenumbers.parse(number, "CN"))
        except phonenumbers.NumberParseException:
            digits = re.sub(r"\D", "", number)
    if len(digits) < 8:
        return MASK
    return digits[:3] + MASK + digits[-4:]


def mask_address(address: str | None) -> str:
    """The province, city and district of an address, the rest masked."""
    if not address:
        return ""
    kept, position = "", 0
    for _ in range(_MAX_DIVISIONS):
        match = _DIVISION.match(address, position)
        if match is None:
            break
        kept, position = kept + match.group(0), match.end()
    return (kept or address[:2]) + MASK


def mask_name(name: str | None) -> str:
    """张三 as 张*: the family name stays."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def _cell(value: str) -> str:
    """Text Excel would run as a formula (=, +, -, @ first) is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _label(label: Mapping[str, str] | None, lang: str) -> str:
    if not label:
        return ""
    if lang == "en":
        return label.get("en") or label.get("zh", "")
    return label.get("zh") or label.get("en", "")


def cases_csv(cases: Iterable[Any], rules: Rules, now: datetime, lang: str) -> bytes:
    """The cases (rows of EXPORT_COLUMNS, or Case objects) as CSV bytes in the reader's language, with a BOM so Excel reads UTF-8."""
    gettext = translations(lang).gettext
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(c) for c in COLUMNS])
    for case in cases:
        workflow = rules.workflow(case.workflow, case.workflow_version)
        category = workflow.lists.get("claim_types", {}).get(case.claim_type)
        if case.due_at is None:
            left = ""
        elif case.due_at < now:
            left = gettext("已逾期")
        else:
            left = str(rules.calendar.working_days_left(case.due_at, now))
        row = [
            case.number,
            _label(workflow.states[case.state].label, lang),
            case.respondent_name,
            case.product,
            _label(category, lang) or case.claim_type,
            f"{case.amount:.2f}" if case.amount is not None else "",
            case.order_number or "",
            local_datetime(case.received_at),
            local_date(case.due_at),
            left,
            mask_name(case.complainant_name),
            mask_phone(case.complainant_phone),
            mask_address(case.complainant_address),
        ]
        writer.writerow([_cell(value) for value in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
