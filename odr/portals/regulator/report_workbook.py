"""The monthly report (odr/cases/report.py) laid out as tables, in the reader's language: shown on
/regulator/reports and written as an .xlsx workbook (openpyxl), one sheet per table, by the
page's download and by `odr report`. The page and the workbook read the same tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from odr.engine.classification import Classification
from odr.portals.i18n import translations

# The headline figures, in order, as message ids (Chinese; the English is in figures.po).
FIGURE_NAMES = {
    "received": "收到投诉",
    "accepted": "受理",
    "not_accepted": "不予受理",
    "mediated": "调解成功",
    "settled": "和解（企业和解、七日无理由退货）",
    "withdrawn": "撤回",
    "closed": "办结",
    "recovered": "挽回经济损失（元）",
}
CHANNEL_NAMES = {"web": "网上投诉表单", "api": "合作系统接口", "12315": "全国12315平台转办"}
UNCLASSIFIED = "未分类"
# How a cell is shown: a count, yuan, a share or change (percent), or text.
COUNT, YUAN, PERCENT, TEXT = "count", "yuan", "percent", "text"
FORMATS = {COUNT: "#,##0", YUAN: "#,##0.00", PERCENT: "0.0%", TEXT: "@"}


@dataclass
class Table:
    """One table of the report: its key (the page's anchor), title, columns and rows."""

    key: str
    title: str
    header: list[str]
    kinds: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _dimension(
    key: str,
    title: str,
    rows: list[Mapping[str, Any]],
    name_of: Any,
    t: Any,
    code: bool = True,
) -> Table:
    header = [t("代码")] if code else []
    kinds = [TEXT] if code else []
    header += [
        t("名称"),
        t("投诉件数"),
        t("占比"),
        t("上期"),
        t("去年同期"),
        t("同比"),
        t("挽回经济损失（元）"),
    ]
    kinds += [TEXT, COUNT, PERCENT, COUNT, COUNT, PERCENT, YUAN]
    table = Table(key, title, header, kinds)
    for row in rows:
        cells = [row["code"] or ""] if code else []
        cells += [
            name_of(row),
            row["received"],
            row["share"],
            row["previous"],
            row["year_before"],
            row["change_year"],
            row["recovered"],
        ]
        table.rows.append(cells)
    return table


def report_tables(
    report: Mapping[str, Any], classification: Classification, lang: str
) -> list[Table]:
    """The report's tables in a language ("zh" or "en")."""
    t = translations(lang).gettext

    def label(code: str | None) -> str:
        return classification.label(code, lang) if code else t(UNCLASSIFIED)

    headline = Table(
        "headline",
        t("总体情况"),
        [t("指标"), t("本期"), t("上期"), t("环比"), t("去年同期"), t("同比")],
        [TEXT, COUNT, COUNT, PERCENT, COUNT, PERCENT],
    )
    for row in report["headline"]:
        headline.rows.append(
            [
                t(FIGURE_NAMES[row["figure"]]),
                row["value"],
                row["previous"],
                row["change_previous"],
                row["year_before"],
                row["change_year"],
            ]
        )
    businesses = Table(
        "businesses",
        t("被投诉最多的经营者"),
        [t("排名"), t("被投诉人"), t("投诉件数"), t("企业协商未果升级")],
        [COUNT, TEXT, COUNT, COUNT],
        [[b["rank"], b["name"], b["received"], b["escalated"]] for b in report["businesses"]],
    )
    enterprises = Table(
        "enterprises",
        t("在线消费纠纷解决企业按时办结率与和解成功率"),
        [
            t("企业"),
            t("统一社会信用代码"),
            t("收到投诉"),
            t("已结束协商"),
            t("按时办结率"),
            t("和解成功率"),
            t("挽回经济损失（元）"),
        ],
        [TEXT, TEXT, COUNT, COUNT, PERCENT, PERCENT, YUAN],
        [
            [
                e["name"],
                e["uscc"],
                e["received"],
                e["finished"],
                e["on_time_rate"],
                e["settlement_rate"],
                e["recovered"],
            ]
            for e in report["enterprises"]
        ],
    )
    return [
        headline,
        _dimension(
            "category",
            t("按商品和服务类别"),
            report["by_category"],
            lambda r: label(r["code"]),
            t,
        ),
        _dimension("nature", t("按问题性质"), report["by_nature"], lambda r: label(r["code"]), t),
        _dimension(
            "channel",
            t("按投诉渠道"),
            report["by_channel"],
            lambda r: t(CHANNEL_NAMES.get(r["code"], r["code"])),
            t,
        ),
        _dimension(
            "platform", t("按平台"), report["by_platform"], lambda r: r["name"], t, code=False
        ),
        businesses,
        enterprises,
    ]


def is_amount_row(table: Table, index: int) -> bool:
    """The headline's row of yuan (its cells are amounts, not counts)."""
    return table.key == "headline" and index == list(FIGURE_NAMES).index("recovered")


def report_title(report: Mapping[str, Any], office_name: str, lang: str) -> str:
    t = translations(lang).gettext
    period = report["period"]
    return t("%(office)s 消费投诉情况 %(period)s（%(first)s 至 %(last)s）") % {
        "office": office_name,
        "period": period["code"],
        "first": period["first_day"],
        "last": period["last_day"],
    }


def _cell_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def workbook_bytes(
    report: Mapping[str, Any], classification: Classification, office_name: str, lang: str
) -> bytes:
    """The report as an .xlsx workbook: one sheet per table, its title in row 1, the header in
    row 2, the rows from row 3; the first sheet's title names the office and the period."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    title = report_title(report, office_name, lang)
    for number, table in enumerate(report_tables(report, classification, lang), start=1):
        sheet = book.create_sheet(f"{number} {table.title}"[:31])
        sheet.cell(1, 1, title if number == 1 else table.title).font = Font(bold=True, size=13)
        for column, text in enumerate(table.header, start=1):
            cell = sheet.cell(2, column, text)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True)
            sheet.column_dimensions[get_column_letter(column)].width = 14 if column > 1 else 28
        for index, row in enumerate(table.rows):
            for column, (value, kind) in enumerate(zip(row, table.kinds, strict=True), start=1):
                if is_amount_row(table, index) and kind == COUNT:
                    kind = YUAN
                cell = sheet.cell(3 + index, column, _cell_value(value))
                cell.number_format = FORMATS[kind]
        sheet.freeze_panes = "A3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
