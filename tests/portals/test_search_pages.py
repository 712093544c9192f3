"""The search box's pages (案件查询) on the regulator desk and in the enterprise portal: results
masked as lists are, a result opens the case, a query that cannot narrow is a 400 that keeps
what was typed, English has no Chinese outside user data, consumers have no search."""

from __future__ import annotations

import re
from urllib.parse import quote

from regulator_cases import MERCHANT, file

from odr.portals.i18n import COOKIE


def numbers(page, portal: str) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(rf'href="/{portal}/cases/(ODR\d+)"', page.text)


def test_a_clerk_finds_a_callers_case_by_phone_tail_and_name(client, demo_logins, factory, rules):
    with factory.begin() as session:
        case = file(session, rules, complainant_name="王小明", complainant_phone="13877778000")
        file(session, rules, complainant_name="李娜", complainant_phone="13911118000")
        number = case.number
    client.login("regulator", "reg450102", demo_logins["reg450102"])
    desk = client.get("/regulator")
    assert 'action="/regulator/search"' in desk.text  # the box on the desk
    page = client.get("/regulator/search?q=" + quote("8000 王小明"))
    assert page.status_code == 200
    assert numbers(page, "regulator") == [number]
    assert "王*" in page.text and "138****8000" in page.text  # masked as every list is
    assert "王小明" not in page.text.replace('value="8000 王小明"', "")
    assert "13877778000" not in page.text
    opened = client.get(f"/regulator/cases/{number}")
    assert opened.status_code == 200 and "13877778000" in opened.text.replace(" ", "")


def test_a_phone_tail_alone_is_a_400_that_keeps_what_was_typed(client, demo_logins):
    client.login("regulator", "reg450102", demo_logins["reg450102"])
    page = client.get("/regulator/search?q=8000")
    assert page.status_code == 400
    assert 'value="8000"' in page.text and 'aria-invalid="true"' in page.text
    assert "手机尾号须与投诉人姓名或日期一起查询" in page.text


def test_the_enterprise_finds_its_merchants_cases_in_english(client, demo_logins, factory, rules):
    with factory.begin() as session:
        merchant = file(session, rules, respondent_name=MERCHANT, product="广式月饼").number
        shop = file(session, rules, product="广式月饼").number  # not 美团's
    client.login("enterprise", "meituan", demo_logins["meituan"])
    assert 'action="/enterprise/search"' in client.get("/enterprise").text
    client.client.cookies.set(COOKIE, "en")
    page = client.get("/enterprise/search?q=" + quote("月饼"))
    assert numbers(page, "enterprise") == [merchant] and shop not in page.text
    assert "Find a case" in page.text
    shown = re.sub(r"<[^>]+>|value=\"[^\"]*\"", " ", page.text)
    chinese = set(re.findall(r"[\u4e00-\u9fff]+", shown))
    # The query, the product, the masked name (张*), the respondent, the user's own label (美团优选（南宁）
    # 客服专员) and the language switch's 中文: no word of the page itself.
    user_data = {"月饼", "广式月饼", "张", MERCHANT, "美团优选", "南宁", "客服专员", "中文"}
    assert chinese <= user_data, chinese - user_data
    assert client.get(f"/enterprise/cases/{merchant}").status_code == 200


def test_a_common_word_says_it_listed_the_newest(client, demo_logins, factory, rules, monkeypatch):
    import odr.portals.search

    monkeypatch.setattr(odr.portals.search, "NEWEST", 1)  # as if a word were in 5,001 cases
    with factory.begin() as session:
        for _ in range(2):
            file(session, rules, product="广式月饼")
    client.login("regulator", "reg450102", demo_logins["reg450102"])
    page = client.get("/regulator/search?q=" + quote("月饼"))
    assert len(numbers(page, "regulator")) == 1 and "请加一个词缩小范围" in page.text


def test_consumers_have_no_search(client):
    assert client.get("/search?q=8000").status_code == 404
