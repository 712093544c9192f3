"""The inbox as a CSV file for Excel: UTF-8 with a BOM, and the consumer's phone and address
masked (a list leaves the building more easily than a case page)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from odr.cases.models import Case
from odr.engine.rules import Rules
from odr.masking import mask_address, mask_name, mask_phone
from odr.portals.csv_files import csv_bytes
from odr.portals.i18n import translations
from odr.portals.templating import local_date, local_datetime
from odr.text import translate

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


def cases_csv(cases: Iterable[Any], rules: Rules, now: datetime, lang: str) -> bytes:
    """The cases (rows of EXPORT_COLUMNS, or Case objects) as CSV bytes in the reader's language, with a BOM so Excel reads UTF-8."""
    gettext = translations(lang).gettext
    return csv_bytes(
        [gettext(c) for c in COLUMNS], (_row(case, rules, now, lang) for case in cases)
    )


def _row(case: Any, rules: Rules, now: datetime, lang: str) -> list[str]:
    gettext = translations(lang).gettext
    workflow = rules.workflow(case.workflow, case.workflow_version)
    if case.due_at is None:
        left = ""
    elif case.due_at < now:
        left = gettext("已逾期")
    else:
        left = str(rules.calendar.working_days_left(case.due_at, now))
    return [
        case.number,
        translate(workflow.states[case.state].label, lang),
        case.respondent_name,
        case.product,
        # From any workflow that lists it: the seven-day track lists no claim types of its own.
        translate(rules.claim_type_label(case.claim_type), lang) or case.claim_type,
        f"{case.amount:.2f}" if case.amount is not None else "",
        case.order_number or "",
        local_datetime(case.received_at),
        local_date(case.due_at),
        left,
        mask_name(case.complainant_name),
        mask_phone(case.complainant_phone),
        mask_address(case.complainant_address),
    ]
