"""The monthly report reconciles: a known set of complaints, and every cell of every table of
the workbook (the page shows the same tables), against the previous month and a year before;
an office sees its own and its districts' complaints; the page, the download and `odr report`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from complaints import complaint_form
from openpyxl import load_workbook
from regulator_cases import actor
from sqlalchemy import select

from odr.cases.models import Case
from odr.cases.report import monthly_report, parse_period
from odr.cases.service import act, submit
from odr.clock import SHANGHAI
from odr.errors import InvalidData
from odr.offices.models import Office
from odr.offices.service import supervised_ids
from odr.portals.regulator.report_workbook import report_tables, workbook_bytes
from odr.portals.regulator.reports import category_order

SHOP = "南宁市兴宁区好又多便利店"  # not enrolled: the 兴宁区 office (450102) decides
MERCHANT = "青秀区鲜果坊"  # a merchant of 美团优选, which negotiates
PLATFORM = "美团优选（南宁）"
# A month no other test files complaints in (the database is shared by the whole run).
PERIOD = "2024-03"


def beijing(day: str, hour: int = 10) -> datetime:
    return (
        datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SHANGHAI).astimezone(UTC)
    )


# (respondent, channel, received, category, nature, accepted on, closed on, outcome, recovered)
CASES = [
    (
        SHOP,
        "web",
        "2024-03-04",
        "food",
        "quality",
        "2024-03-06",
        "2024-03-20",
        "mediated",
        "100.00",
    ),
    (SHOP, "web", "2024-03-05", "food", "price", None, "2024-03-08", "not_accepted", None),
    (SHOP, "api", "2024-03-31", "household_appliances", "quality", None, None, None, None),
    (MERCHANT, "12315", "2024-03-01", "food", "quality", None, "2024-03-09", "settled", "39.90"),
    (
        MERCHANT,
        "web",
        "2024-03-10",
        "internet_services",
        "contract",
        None,
        "2024-03-12",
        "withdrawn",
        "50.00",
    ),
    (PLATFORM, "web", "2024-03-15", None, None, None, "2024-04-01", "returned", "300.00"),
    (PLATFORM, "web", "2024-03-16", None, None, None, "2024-03-30", "returned", "200.00"),
    (SHOP, "web", "2024-02-28", "food", "quality", "2024-03-01", "2024-03-25", "mediated", "10.50"),
    (SHOP, "web", "2023-03-15", "food", "quality", None, None, None, None),
    (SHOP, "web", "2024-02-10", "food", "quality", None, "2024-02-20", "not_accepted", None),
]


@pytest.fixture
def known_cases(factory, rules, demo_logins):  # type: ignore[no-untyped-def]
    """The complaints above, filed through submit() (acceptances through act()), then put where
    the table says (test data: the moments and outcomes of a month gone by)."""
    numbers = []
    with factory.begin() as session:
        regulator = actor(session, "reg450102")
        for index, row in enumerate(CASES):
            respondent, channel, received, category, nature, accepted, closed, outcome, amount = row
            filed = beijing(received)
            form = complaint_form(
                respondent_name=respondent,
                purchase_date=(filed - timedelta(days=2)).astimezone(SHANGHAI).date().isoformat(),
                complainant_phone=f"1390000{index:04d}",
                order_number=f"REPORT-{index}",
            )
            from odr.intake.complaint import parse_complaint

            complaint = parse_complaint(
                form,
                rules.workflow().lists["claim_types"],
                today=filed.astimezone(SHANGHAI).date(),
            )
            case = submit(session, complaint, rules=rules, now=filed, channel=channel).case
            if accepted:
                act(session, case, "accept", regulator, {}, rules=rules, now=beijing(accepted))
            case.goods_category, case.problem_nature = category, nature
            if closed:
                case.state = outcome if outcome != "not_accepted" else "not_accepted"
                case.outcome = outcome
                case.closed_at = beijing(closed)
                case.due_at = None
            case.recovered_amount = Decimal(amount) if amount else None
            numbers.append(case.number)
        # A report (举报) of the month: never counted.
        report = session.scalar(select(Case).where(Case.number == numbers[1]))
        session.flush()
        extra = submit(
            session,
            parse_complaint(
                complaint_form(
                    respondent_name=SHOP,
                    purchase_date="2024-03-01",
                    complainant_phone="13900009999",
                    order_number="REPORT-X",
                ),
                rules.workflow().lists["claim_types"],
                today=beijing("2024-03-03").astimezone(SHANGHAI).date(),
            ),
            rules=rules,
            now=beijing("2024-03-03"),
        ).case
        extra.claim_type = "report"
        assert report is not None
    return numbers


def city_report(session, rules, code="450100", period=PERIOD):  # type: ignore[no-untyped-def]
    office = session.scalar(select(Office).where(Office.region_code == code))
    return monthly_report(
        session,
        supervised_ids(session, office.id),
        parse_period(period),
        rules.calendar,
        **category_order(rules),
    )


T = "南宁市市场监督管理局 消费投诉情况 2024-03（2024-03-01 至 2024-03-31）"
HEADER = ["代码", "名称", "投诉件数", "占比", "上期", "去年同期", "同比", "挽回经济损失（元）"]
# Every sheet of the workbook, every cell: row 1 the title, row 2 the header, then the rows.
EXPECTED = {
    "1 总体情况": [
        [T],
        ["指标", "本期", "上期", "环比", "去年同期", "同比"],
        ["收到投诉", 7, 2, 2.5, 1, 6.0],
        ["受理", 2, 0, None, 0, None],
        ["不予受理", 1, 1, 0.0, 0, None],
        ["调解成功", 2, 0, None, 0, None],
        ["和解（企业和解、七日无理由退货）", 2, 0, None, 0, None],
        ["撤回", 1, 0, None, 0, None],
        ["办结", 6, 1, 5.0, 0, None],
        ["挽回经济损失（元）", 350.40, 0.0, None, 0.0, None],
    ],
    "2 按商品和服务类别": [
        ["按商品和服务类别"],
        HEADER,
        ["household_appliances", "家用电子电器类", 1, 1 / 7, 0, 0, None, 0.0],
        ["food", "食品类", 3, 3 / 7, 2, 1, 2.0, 150.40],
        ["internet_services", "互联网服务", 1, 1 / 7, 0, 0, None, 0.0],
        [None, "未分类", 2, 2 / 7, 0, 0, None, 200.0],
    ],
    "3 按问题性质": [
        ["按问题性质"],
        HEADER,
        ["quality", "质量", 3, 3 / 7, 2, 1, 2.0, 150.40],
        ["price", "价格", 1, 1 / 7, 0, 0, None, 0.0],
        ["contract", "合同", 1, 1 / 7, 0, 0, None, 0.0],
        [None, "未分类", 2, 2 / 7, 0, 0, None, 200.0],
    ],
    "4 按投诉渠道": [
        ["按投诉渠道"],
        HEADER,
        ["web", "网上投诉表单", 5, 5 / 7, 2, 1, 4.0, 310.50],
        ["api", "合作系统接口", 1, 1 / 7, 0, 0, None, 0.0],
        ["12315", "全国12315平台转办", 1, 1 / 7, 0, 0, None, 39.90],
    ],
    "5 按平台": [
        ["按平台"],
        HEADER[1:],
        [PLATFORM, 4, 4 / 7, 0, 0, None, 239.90],
    ],
    "6 被投诉最多的经营者": [
        ["被投诉最多的经营者"],
        ["排名", "被投诉人", "投诉件数", "企业协商未果升级"],
        [1, SHOP, 3, 0],
        [2, PLATFORM, 2, 0],
        [3, MERCHANT, 2, 0],
    ],
    "7 在线消费纠纷解决企业按时办结率与和解成功率": [
        ["在线消费纠纷解决企业按时办结率与和解成功率"],
        [
            "企业",
            "统一社会信用代码",
            "收到投诉",
            "已结束协商",
            "按时办结率",
            "和解成功率",
            "挽回经济损失（元）",
        ],
        [PLATFORM, "91450103MA5KX2Q17L", 4, 4, 1.0, 0.75, 539.90],
    ],
}


def cells(sheet):  # type: ignore[no-untyped-def]
    """A sheet's rows, trailing empty cells dropped."""
    rows = []
    for row in sheet.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


def same(found, expected) -> bool:  # type: ignore[no-untyped-def]
    if isinstance(expected, float):
        return isinstance(found, int | float) and found == pytest.approx(expected)
    if expected is None:
        return found in (None, "")
    return found == expected


def test_every_cell_of_the_workbook_reconciles(known_cases, factory, rules):  # type: ignore[no-untyped-def]
    with factory() as session:
        report = city_report(session, rules)
        content = workbook_bytes(report, rules.classification, "南宁市市场监督管理局", "zh")
    book = load_workbook(BytesIO(content))
    assert book.sheetnames == list(EXPECTED)
    for name, expected in EXPECTED.items():
        found = cells(book[name])
        assert len(found) == len(expected), (name, found)
        for number, (got, want) in enumerate(zip(found, expected, strict=True), start=1):
            assert len(got) <= len(want), (name, number, got, want)
            got = got + [None] * (len(want) - len(got))
            assert all(same(g, w) for g, w in zip(got, want, strict=True)), (
                name,
                number,
                got,
                want,
            )
    # Shares and changes are percentages, amounts yuan.
    assert book["2 按商品和服务类别"]["D3"].number_format == "0.0%"
    assert book["1 总体情况"]["B10"].number_format == "#,##0.00"


def test_an_office_sees_its_own_and_those_below(known_cases, factory, rules):  # type: ignore[no-untyped-def]
    with factory() as session:
        district = city_report(session, rules, code="450102")
        office_ids = {
            c.office_id for c in session.scalars(select(Case).where(Case.respondent_name == SHOP))
        }
        xingning = session.scalar(select(Office).where(Office.region_code == "450102"))
    assert office_ids == {xingning.id}
    headline = {row["figure"]: row["value"] for row in district["headline"]}
    # The shop's complaints of March only: two filed, one still open, and the one of February
    # mediated in March.
    assert headline["received"] == 3
    assert headline["mediated"] == 2 and headline["not_accepted"] == 1
    assert headline["recovered"] == Decimal("110.50")
    assert [b["name"] for b in district["businesses"]] == [SHOP]


def test_a_quarter_and_a_wrong_period(known_cases, factory, rules):  # type: ignore[no-untyped-def]
    with factory() as session:
        quarter = city_report(session, rules, period="2024-Q1")
    assert quarter["period"]["previous"] == "2023-Q4"
    assert quarter["period"]["year_before"] == "2023-Q1"
    headline = {row["figure"]: row for row in quarter["headline"]}
    assert headline["received"]["value"] == 9  # January to March
    assert headline["received"]["year_before"] == 1
    assert headline["closed"]["value"] == 7
    with pytest.raises(InvalidData) as bad:
        parse_period("2024-13")
    assert set(bad.value.errors) == {"period"}


def test_english_tables_have_no_chinese_but_user_data(known_cases, factory, rules):  # type: ignore[no-untyped-def]
    import re

    with factory() as session:
        report = city_report(session, rules)
    user_data = {SHOP, MERCHANT, PLATFORM}
    for table in report_tables(report, rules.classification, "en"):
        texts = [table.title, *table.header]
        texts += [v for row in table.rows for v in row if isinstance(v, str) and v not in user_data]
        assert not [t for t in texts if re.search(r"[\u4e00-\u9fff]", t)], table.key


def test_the_page_and_the_download(known_cases, client, demo_logins):  # type: ignore[no-untyped-def]
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = client.get(f"/regulator/reports?period={PERIOD}")
    assert page.status_code == 200
    assert "挽回经济损失" in page.text and "350.40" in page.text and SHOP in page.text
    bad = client.get("/regulator/reports?period=2024-3")
    assert bad.status_code == 400 and 'id="period-error"' in bad.text
    download = client.get(f"/regulator/reports/export.xlsx?period={PERIOD}")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(BytesIO(download.content)).sheetnames == list(EXPECTED)
    client.post("/logout")
    client.login(
        "enterprise", "meituan", demo_logins["meituan"]
    ) if "meituan" in demo_logins else None
    assert client.get("/regulator/reports").status_code in (401, 403, 303, 302, 200)
