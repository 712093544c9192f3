"""The public disclosure pages (消费投诉信息公示) and the disclosure desks of the portals: search
by business name, a business's page with its scorecard, keyset pages, the open-data export (CSV,
and JSON valid against its schema), the business's objection and the office's decision and
withholding as forms; and a walk of every public page and export that finds none of the
personal data of any case in the database."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import jsonschema_rs
import pytest
from disclosure_cases import CLOSED, PUBLISH, SHOP, mediated, settled, submit_form
from sqlalchemy import select

from odr.auth.actor import Actor
from odr.cases import disclosed
from odr.cases.disclosure import OBJECTED, WITHHELD, Disclosure, publish_due
from odr.cases.models import Case, CaseParty
from odr.cases.service import act
from odr.enterprises.models import Enterprise
from odr.offices.service import supervised_ids
from odr.portals.public.disclosures import SCHEMA_FILE

DAYS = 10
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_search_business_page_and_keyset_pages(client, factory, rules, monkeypatch):
    with factory.begin() as session:
        for day in range(3):
            settled(session, rules, CLOSED + timedelta(minutes=day))
        meituan = session.scalar(select(Enterprise).where(Enterprise.name == "美团优选（南宁）"))
        meituan_id = meituan.id
    assert publish_due(factory, rules, DAYS, now=PUBLISH) == 3
    monkeypatch.setattr(disclosed, "PAGE_SIZE", 2)

    page = client.get("/disclosures", params={"q": "美团"})
    assert page.status_code == 200
    assert page.text.count('id="record-') == 2
    assert "美团优选（南宁）" in page.text and "已和解办结" in page.text
    assert "食品" in page.text and "质量" in page.text  # category and nature of the problem
    after = re.search(r'href="(/disclosures\?[^"]*after=\d+)"', page.text)
    assert after, page.text
    second = client.get(after.group(1).replace("&amp;", "&"))
    assert second.text.count('id="record-') == 1 and 'rel="next"' not in second.text

    assert client.get("/disclosures", params={"q": "不存在的商户"}).text.count('id="record-') == 0

    business = client.get(f"/disclosures/businesses/{meituan_id}")
    assert business.status_code == 200
    assert business.text.count('id="record-') == 2 and 'rel="next"' in business.text
    assert "按时办结率" in business.text  # the scorecard
    assert client.get("/disclosures/businesses/999999").status_code == 404


def test_long_search_names_the_field(client):
    page = client.get("/disclosures", params={"q": "商" * 101})
    assert page.status_code == 400
    assert 'aria-invalid="true"' in page.text and "f-q-error" in page.text


def test_a_private_group_leader_has_no_public_page(client, factory):
    with factory() as session:
        leader = session.scalar(
            select(Enterprise).where(Enterprise.kind == "group_leader", Enterprise.uscc.is_(None))
        )
        assert leader is not None
        leader_id = leader.id
    assert client.get(f"/disclosures/businesses/{leader_id}").status_code == 404


def test_english_pages_show_no_chinese_outside_data(client, factory, rules):
    with factory.begin() as session:
        settled(session, rules)
    publish_due(factory, rules, DAYS, now=PUBLISH)
    client.get("/lang/en")
    page = client.get("/disclosures")
    assert "Complaint disclosure" in page.text and "Closed, settled" in page.text
    assert "Food" in page.text
    main = page.text.split("<main>", 1)[1].split("</main>", 1)[0]
    # The business name is data; everything else is English.
    assert HAN.findall(main.replace("美团优选（南宁）", "")) == []
    business_id = re.search(r"/disclosures/businesses/(\d+)", page.text).group(1)
    business = client.get(f"/disclosures/businesses/{business_id}")
    main = business.text.split("<main>", 1)[1].split("</main>", 1)[0]
    assert HAN.findall(main.replace("美团优选（南宁）", "")) == []


def test_open_data_csv_and_json_with_schema(client, factory, rules, monkeypatch):
    with factory.begin() as session:
        settled(session, rules)
        mediated(session, rules, CLOSED + timedelta(hours=1))
    assert publish_due(factory, rules, DAYS, now=PUBLISH) == 2
    monkeypatch.setattr(disclosed, "EXPORT_PAGE_SIZE", 1)

    first = client.get("/disclosures/open-data.csv")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/csv")
    assert first.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(first.content.decode("utf-8-sig"))))
    assert list(rows[0]) == list(disclosed.CSV_HEADER) and len(rows) == 1
    link = re.match(r"<([^>]+)>; rel=\"next\"", first.headers["link"]).group(1)
    rest = list(csv.DictReader(io.StringIO(client.get(link).content.decode("utf-8-sig"))))
    assert {r["result"] for r in rows + rest} == {"settled", "mediated"}
    assert {r["result_zh"] for r in rows + rest} == {"已和解办结", "调解成功"}

    schema = client.get("/disclosures/open-data.schema.json")
    assert schema.status_code == 200
    assert json.loads(schema.content) == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(json.loads(schema.content))
    url, records = "/disclosures/open-data.json", []
    while url:
        document = client.get(url).json()
        validator.validate(document)
        records += document["records"]
        url = document["next"]
    assert [r["business"]["name"] for r in records] == [SHOP, "美团优选（南宁）"]
    assert records[1]["result"] == {"code": "settled", "zh": "已和解办结", "en": "Closed, settled"}
    assert records[1]["closed_on"] == "2026-09-29"
    assert records[1]["category"] == {"code": "food", "zh": "食品类", "en": "Food"}
    assert records[1]["problem_nature"]["code"] == "quality"
    assert {r["category_en"] for r in rows + rest} == {"Food"}


def test_business_objects_and_office_decides_through_the_portals(
    client, other_client, factory, rules, demo_logins
):
    with factory.begin() as session:
        case = mediated(session, rules, closed=datetime.now(UTC) - timedelta(hours=1))
        number = case.number
    # The shop is not enrolled: its objection would come through the office. The office
    # withholds one case and decides an objection made through the business's portal below.
    with factory.begin() as session:
        other = settled(session, rules, closed=datetime.now(UTC) - timedelta(hours=1))
        other_number = other.number

    client.login("enterprise", "meituan", demo_logins["meituan"])
    desk = client.get("/enterprise/disclosures")
    assert desk.status_code == 200 and other_number in desk.text and number not in desk.text
    empty = client.post(f"/enterprise/disclosures/{other_number}/object", {"objection": " "})
    assert empty.status_code == 400 and 'role="alert"' in empty.text
    sent = client.post(
        f"/enterprise/disclosures/{other_number}/object", {"objection": "订单属于另一商户"}
    )
    assert sent.status_code == 200 and "订单属于另一商户" in sent.text
    again = client.post(f"/enterprise/disclosures/{other_number}/object", {"objection": "再次"})
    assert again.status_code == 409
    with factory() as session:
        row = session.scalar(select(Disclosure).join(Case).where(Case.number == other_number))
        assert row.status == OBJECTED

    with factory() as session:
        office_code = session.get(Case, row.case_id).office.region_code
    other_client.login("regulator", f"reg{office_code}", demo_logins[f"reg{office_code}"])
    desk = other_client.get("/regulator/disclosures")
    assert desk.status_code == 200 and other_number in desk.text
    missing = other_client.post(
        f"/regulator/disclosures/{other_number}/decide", {"decision": "upheld", "reason": ""}
    )
    assert missing.status_code == 400
    decided = other_client.post(
        f"/regulator/disclosures/{other_number}/decide",
        {"decision": "upheld", "reason": "经核实订单属另一商户"},
    )
    assert decided.status_code == 200
    with factory() as session:
        row = session.scalar(select(Disclosure).join(Case).where(Case.number == other_number))
        assert (row.status, row.decision) == (WITHHELD, "upheld")
        events = [e.trigger for e in session.get(Case, row.case_id).events]
        assert events[-2:] == ["object_disclosure", "decide_disclosure_objection"]

    unknown = other_client.post(
        "/regulator/disclosures/withhold", {"number": "ODR000", "reason": "x"}
    )
    assert unknown.status_code == 400 and "withhold-number-error" in unknown.text
    assert 'value="ODR000"' in unknown.text  # the form keeps what was typed


def test_office_withholds_through_its_desk(other_client, factory, rules, demo_logins):
    with factory.begin() as session:
        case = mediated(session, rules)
        number, office_code = case.number, case.office.region_code
    assert publish_due(factory, rules, DAYS, now=PUBLISH) == 1
    other_client.login("regulator", f"reg{office_code}", demo_logins[f"reg{office_code}"])
    done = other_client.post(
        "/regulator/disclosures/withhold", {"number": number, "reason": "当事人已起诉"}
    )
    assert done.status_code == 200 and "当事人已起诉" in done.text
    assert SHOP not in other_client.get("/disclosures").text.split("<main>", 1)[1]


# --- no personal data on any public page or export -------------------------------------------


def _personal_data(session) -> set[str]:  # type: ignore[no-untyped-def]
    """Every complainant's name, phone, e-mail, address, order number and complaint text (and
    its opening words) of every case and co-complainant in the database."""
    found: set[str] = set()
    for case in session.scalars(select(Case)):
        found |= {
            case.complainant_name,
            case.complainant_phone,
            case.complainant_address,
            case.facts,
            case.facts[:12],
        }
        found |= {v for v in (case.order_number, case.complainant_email, case.rating_comment) if v}
    for party in session.scalars(select(CaseParty)):
        found |= {party.name, party.phone, party.address}
    return {value for value in found if value and value.strip()}


def _walk(client, start: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every page reachable from these public addresses without logging in, on this site."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue:
        url = queue.pop()
        if url in seen or len(seen) > 400:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode("utf-8-sig")
        seen[url] = body
        if "link" in response.headers:
            queue.append(re.match(r"<([^>]+)>", response.headers["link"]).group(1))
        if response.headers["content-type"].startswith("application/json"):
            document = json.loads(body)
            if isinstance(document, dict) and document.get("next"):
                queue.append(document["next"])
            continue
        for href in re.findall(r'href="([^"#]+)"', body):
            href = urljoin(url, href.replace("&amp;", "&"))
            if href.startswith(("/disclosures", "/enterprises")) and not href.startswith("//"):
                queue.append(href)
    return seen


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_no_public_page_or_export_shows_personal_data(client, factory, rules, monkeypatch, lang):
    with factory.begin() as session:
        for i in range(4):
            person = {
                "complainant_name": f"欧阳测试{i}号",
                "complainant_phone": f"1391234{i:04d}",
                "complainant_address": f"广西南宁市青秀区隐私路{i}号院",
                "complainant_email": f"privacy{i}@example.org",
                "order_number": f"ORDER-PRIVATE-{i:04d}",
                "facts": f"第{i}号事实：这是不应公开的投诉内容，含有个人信息和细节描述。",
            }
            settled(session, rules, CLOSED + timedelta(minutes=i), **person)
            mediated(
                session,
                rules,
                CLOSED + timedelta(minutes=10 + i),
                **{
                    k: v.replace("测试", "调解").replace("1391234", "1371234")
                    for k, v in person.items()
                },
            )
        # A report (举报) with a complaint, closed: never published.
        complaint = submit_form(
            session,
            rules,
            CLOSED - timedelta(days=20),
            respondent_name=SHOP,
            purchase_date="2026-09-01",
            complainant_name="举报人王五",
            complainant_phone="13600000001",
            order_number="REPORT-ORDER-1",
            also_report="1",
            violation_type="price_fraud",
            report_facts="举报内容：结算价高于标价，涉嫌价格欺诈，不应公开。",
        ).case
        report = session.get(Case, complaint.linked_case_id)
        handler = Actor(
            "regulator",
            "兴宁区 承办人",
            office_id=report.office_id,
            office_ids=supervised_ids(session, report.office_id),
        )
        act(session, report, "decide", handler, {"decision": "opened"}, rules=rules, now=CLOSED)
        act(session, report, "notify_reporter", handler, {"notice": "已立案"}, rules=rules)
        personal = _personal_data(session)
        cases = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    assert cases and len(personal) > 40
    assert publish_due(factory, rules, DAYS, now=PUBLISH) == 8
    monkeypatch.setattr(disclosed, "PAGE_SIZE", 3)
    monkeypatch.setattr(disclosed, "EXPORT_PAGE_SIZE", 3)
    if lang == "en":
        client.get("/lang/en")

    pages = _walk(
        client,
        [
            "/disclosures",
            "/disclosures?q=美团",
            "/disclosures?q=好又多",
            "/disclosures/open-data.csv",
            "/disclosures/open-data.json",
            "/disclosures/open-data.schema.json",
            "/enterprises",
        ],
    )
    assert any(u.startswith("/disclosures/businesses/") for u in pages)
    assert any(u.startswith("/enterprises/") for u in pages)
    assert sum("after=" in u for u in pages) >= 4  # the next pages and export pages
    assert sum(body.count('id="record-') for u, body in pages.items() if "?q=" not in u) >= 8
    leaks = [(url, value) for url, body in pages.items() for value in personal if value in body]
    assert leaks == []


def test_desks_in_english_show_no_chinese_outside_data(
    client, other_client, factory, rules, demo_logins
):
    with factory.begin() as session:
        case = settled(session, rules, closed=datetime.now(UTC) - timedelta(hours=1))
        number, office_code = case.number, case.office.region_code if case.office else "450103"
    client.login("enterprise", "meituan", demo_logins["meituan"])
    client.get("/lang/en")
    client.post(f"/enterprise/disclosures/{number}/object", {"objection": "订单有误"})
    desk = client.get("/enterprise/disclosures")
    main = desk.text.split("<main>", 1)[1].split("</main>", 1)[0]
    assert "Objection" in main and number in main
    assert HAN.findall(main.replace("美团优选（南宁）", "").replace("订单有误", "")) == []

    other_client.login("regulator", f"reg{office_code}", demo_logins[f"reg{office_code}"])
    other_client.get("/lang/en")
    desk = other_client.get("/regulator/disclosures")
    main = desk.text.split("<main>", 1)[1].split("</main>", 1)[0]
    assert "Objections to decide" in main and number in main
    assert HAN.findall(main.replace("美团优选（南宁）", "").replace("订单有误", "")) == []
