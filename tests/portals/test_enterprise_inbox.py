"""The enterprise inbox: filters, deadline order, keyset pages, a platform's merchants, CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from complaints import submit_form
from sqlalchemy import select

from odr.auth.actor import consumer_actor
from odr.cases.models import Case
from odr.cases.paging import Cursor
from odr.cases.service import act
from odr.clock import SHANGHAI, utcnow
from odr.db.engine import transaction
from odr.enterprises.cases import CaseFilter, all_enterprise_case_rows, enterprise_cases
from odr.enterprises.models import Enterprise
from odr.masking import mask_address, mask_phone
from odr.portals.enterprise import controller as inbox_controller

MERCHANT = "青秀区鲜果坊"
GROUP_LEADER = "团长李姐（凤岭北社区自提点）"
CASE_LINK = re.compile(r'href="/enterprise/cases/([^"]+)"')


def file_at(factory, rules, received: datetime, n: int, **overrides: str) -> str:  # type: ignore[no-untyped-def]
    """File a complaint received at `received` (its deadline counts from then); its number."""
    overrides.setdefault("order_number", f"INBOX-{n}")
    overrides.setdefault(
        "purchase_date", (received.astimezone(SHANGHAI).date() - timedelta(days=3)).isoformat()
    )
    with transaction(factory) as session:
        return submit_form(session, rules, received, **overrides).case.number


def received_due_within(rules, now: datetime, low: int, high: int) -> datetime:  # type: ignore[no-untyped-def]
    """A moment in the past whose 10-working-day deadline leaves low..high working days now."""
    for back in range(1, 40):
        received = now - timedelta(days=back)
        due = rules.calendar.add_working_days(received, 10)
        if due >= now and low <= rules.calendar.working_days_left(due, now) <= high:
            return received
    raise AssertionError("no such moment")


def withdraw(factory, rules, number: str) -> Case:  # type: ignore[no-untyped-def]
    """The consumer withdraws the case: it is closed, its deadline gone."""
    with transaction(factory) as session:
        case = session.scalar(select(Case).where(Case.number == number))
        act(
            session,
            case,
            "withdraw",
            consumer_actor(case.id, "张三"),
            {"reason": "已解决"},
            rules=rules,
        )
    return case


def listed(page_text: str) -> list[str]:
    return CASE_LINK.findall(page_text)


@pytest.fixture
def meituan(other_client, demo_logins):  # type: ignore[no-untyped-def]
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    return other_client


@pytest.fixture
def mixed_cases(factory, rules):  # type: ignore[no-untyped-def]
    """Cases of 美团优选 with different deadlines, respondents and claims (number by role)."""
    now = utcnow()
    return {
        "fresh": file_at(factory, rules, now, 1),
        "overdue": file_at(factory, rules, now - timedelta(days=30), 2),
        "soon": file_at(factory, rules, received_due_within(rules, now, 0, 2), 3),
        "merchant": file_at(factory, rules, now, 4, respondent_name=MERCHANT),
        "leader": file_at(
            factory, rules, now, 5, respondent_name=GROUP_LEADER, claim_type="replacement"
        ),
        "elsewhere": file_at(factory, rules, now, 6, respondent_name="多多买菜（南宁）"),
    }


def test_inbox_lists_own_cases_nearest_deadline_first(meituan, mixed_cases, factory):
    page = meituan.get("/enterprise")
    assert page.status_code == 200
    numbers = listed(page.text)
    assert mixed_cases["elsewhere"] not in numbers  # another platform's
    assert set(numbers) == set(mixed_cases.values()) - {mixed_cases["elsewhere"]}
    with factory() as session:
        due = {n: session.scalar(select(Case.due_at).where(Case.number == n)) for n in numbers}
    assert [due[n] for n in numbers] == sorted(due.values())
    assert numbers[0] == mixed_cases["overdue"] and numbers[1] == mixed_cases["soon"]


def test_each_filter_narrows_the_list_and_the_form_keeps_the_choice(meituan, mixed_cases):
    overdue = meituan.get("/enterprise", params={"due": "overdue"}).text
    assert listed(overdue) == [mixed_cases["overdue"]]
    assert '<option value="overdue" selected>' in overdue

    soon = meituan.get("/enterprise", params={"due": "soon"}).text
    assert listed(soon) == [mixed_cases["soon"]]  # not the overdue one, not the fresh ones

    category = meituan.get("/enterprise", params={"category": "replacement"}).text
    assert listed(category) == [mixed_cases["leader"]]
    assert '<option value="replacement" selected>' in category

    offer = meituan.post(
        f"/enterprise/cases/{mixed_cases['fresh']}/act/propose_settlement",
        {"remedy": "refund", "amount": "39.90", "message": "全额退款"},
    )
    assert offer.status_code == 200
    by_state = meituan.get("/enterprise", params={"state": "offer_pending"}).text
    assert listed(by_state) == [mixed_cases["fresh"]]
    assert '<option value="offer_pending" selected>' in by_state
    assert "待消费者确认和解方案" in by_state  # the state's label, localized

    combined = meituan.get("/enterprise", params={"state": "negotiation", "due": "overdue"})
    assert listed(combined.text) == [mixed_cases["overdue"]]
    nonsense = meituan.get("/enterprise", params={"due": "<b>x", "respondent": "abc"})
    assert nonsense.status_code == 200 and len(listed(nonsense.text)) == 5


def test_a_platform_sees_its_merchants_and_filters_by_one(meituan, mixed_cases, factory):
    with factory() as session:
        ids = {
            e.name: e.id
            for e in session.scalars(
                select(Enterprise).where(Enterprise.name.in_([MERCHANT, GROUP_LEADER]))
            )
        }
    page = meituan.get("/enterprise").text
    assert MERCHANT in page and GROUP_LEADER in page  # both in the respondent filter
    merchant = meituan.get("/enterprise", params={"respondent": ids[MERCHANT]}).text
    assert listed(merchant) == [mixed_cases["merchant"]]
    assert f'<option value="{ids[MERCHANT]}" dir="auto" selected>' in merchant
    leader = meituan.get("/enterprise", params={"respondent": ids[GROUP_LEADER]}).text
    assert listed(leader) == [mixed_cases["leader"]]


def test_another_platform_sees_none_of_them(client, mixed_cases, demo_logins):
    client.login("enterprise", "duoduo", demo_logins["duoduo"])
    page = client.get("/enterprise").text
    assert listed(page) == [mixed_cases["elsewhere"]]
    assert MERCHANT not in page  # no merchant filter for a platform without merchants


def test_pages_follow_each_other_without_repeats_or_gaps(meituan, factory, rules, monkeypatch):
    now = utcnow()
    # Three cases share each deadline (filed at the same moment): the id breaks the tie.
    numbers = [
        file_at(factory, rules, now - timedelta(days=day), 10 * day + i)
        for day in (0, 1, 2)
        for i in range(3)
    ]
    monkeypatch.setattr(inbox_controller, "PAGE_SIZE", 4)
    whole = listed(meituan.get("/enterprise").text)
    assert len(whole) == 4
    seen, url, pages = [], "/enterprise", 0
    while url:
        page = meituan.get(url.replace("&amp;", "&")).text
        seen += listed(page)
        pages += 1
        found = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = found.group(1) if found else None
        assert "OFFSET" not in (url or "")
    assert pages == 3
    assert len(seen) == len(set(seen)) == len(numbers)
    assert set(seen) == set(numbers)
    monkeypatch.setattr(inbox_controller, "PAGE_SIZE", 50)
    assert listed(meituan.get("/enterprise").text) == seen  # the same order in one page


def test_pages_read_per_branch_match_one_sorted_query(mixed_cases, factory, rules):
    """The inbox walks each branch (the platform's own cases, those against it, against each
    merchant) and merges them: the pages, read two at a time, list exactly what one query over
    all of concerns() sorted by deadline lists, each case once."""
    now = utcnow()
    for i in range(3):  # deadline ties across branches
        file_at(factory, rules, now - timedelta(days=5), 40 + i, respondent_name=MERCHANT)
        file_at(factory, rules, now - timedelta(days=5), 50 + i)
    withdraw(factory, rules, mixed_cases["merchant"])  # a closed case: listed only with closed
    with factory() as session:
        platform = session.scalar(
            select(Enterprise.id).where(Enterprise.name == "美团优选（南宁）")
        )
        for filters in (CaseFilter(), CaseFilter(open_only=False), CaseFilter(overdue=False)):
            oracle = [
                row.number
                for row in all_enterprise_case_rows(session, platform, filters, now, [Case.number])
            ]
            paged, after = [], None
            while True:
                page = enterprise_cases(session, platform, filters, now, after=after, limit=2)
                paged += [c.number for c in page.cases]
                if page.next_key is None:
                    break
                after = page.next_key
            assert paged == oracle and len(oracle) >= 8, filters
            assert (mixed_cases["merchant"] in paged) == (not filters.open_only)


def test_keyset_order_puts_cases_without_deadline_last(factory, rules):
    now = utcnow()
    numbers = [file_at(factory, rules, now, i) for i in range(3)]
    closed = withdraw(factory, rules, numbers[0])
    assert closed.due_at is None and closed.closed_at is not None
    with factory() as session:
        platform = select(Enterprise.id).where(Enterprise.name == "美团优选（南宁）")
        enterprise_id = session.scalar(platform)
        everything = CaseFilter(open_only=False)
        first = enterprise_cases(session, enterprise_id, everything, now, limit=2)
        assert isinstance(first.next_key, Cursor)
        rest = enterprise_cases(session, enterprise_id, everything, now, after=first.next_key)
        assert [c.number for c in first.cases + rest.cases] == [*numbers[1:], numbers[0]]
        assert rest.next_key is None
        after_closed = Cursor(None, rest.cases[-1].id)
        assert (
            enterprise_cases(session, enterprise_id, everything, now, after=after_closed).cases
            == []
        )
        open_only = enterprise_cases(session, enterprise_id, CaseFilter(), now)
        assert [c.number for c in open_only.cases] == numbers[1:]
    key = first.next_key
    assert Cursor.decode(key.encode()) == key
    assert Cursor.decode("-~12") == Cursor(None, 12)
    assert Cursor.decode("nonsense") is None and Cursor.decode("1~x") is None
    assert Cursor.decode("99999-99-99~1") is None


def test_csv_exports_the_filtered_list_with_phones_and_addresses_masked(meituan, mixed_cases):
    response = meituan.get("/enterprise/export.csv", params={"due": "overdue"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"  # the charset once
    assert "attachment" in response.headers["content-disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8 Chinese
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["案件编号", "状态", "被投诉人"]
    assert [r[0] for r in rows[1:]] == [mixed_cases["overdue"]]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["投诉人电话"] == "138****8000"
    assert row["投诉人地址"] == "广西南宁市青秀区****"
    assert row["投诉人"] == "张*"
    assert row["状态"] == "企业协商中" and row["剩余工作日"] == "已逾期"
    assert "13800138000" not in body.decode("utf-8-sig")
    assert "民族大道" not in body.decode("utf-8-sig")

    everything = meituan.get("/enterprise/export.csv").content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(everything)))) == 1 + 5


def test_csv_and_inbox_speak_english_on_the_switch(meituan, mixed_cases):
    meituan.get("/lang/en")
    page = meituan.get("/enterprise").text
    assert "Due soon (within 2 working days)" in page and "Export CSV" in page
    assert "Enterprise negotiation" in page and "企业协商中" not in page
    exported = meituan.get("/enterprise/export.csv").content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(exported)))
    assert header[:2] == ["Case number", "State"] and "Complainant phone" in header


def test_csv_cells_that_excel_would_run_are_kept_as_text(meituan, factory, rules):
    number = file_at(factory, rules, utcnow(), 1, product='=HYPERLINK("http://x")')
    exported = meituan.get("/enterprise/export.csv").content.decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(exported)) if r[0] == number)
    assert row[3].startswith("'=")


def test_inbox_escapes_user_text(meituan, factory, rules):
    file_at(factory, rules, utcnow(), 1, product="<script>alert(1)</script>")
    page = meituan.get("/enterprise").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_masks():
    assert mask_phone("+8613800138000") == "138****8000"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("0771-5551234").endswith("1234") and "555" not in mask_phone("0771-5551234")
    assert (
        mask_address("广西壮族自治区南宁市青秀区民族大道88号") == "广西壮族自治区南宁市青秀区****"
    )
    assert mask_address("北京市朝阳区建国路1号") == "北京市朝阳区****"
    assert mask_address("民族大道88号") == "民族****"


def test_the_partner_api_reads_the_same_cases_with_the_same_filters(meituan, mixed_cases, factory):
    token_page = meituan.post("/enterprise/settings/tokens", {"token_name": "订单系统"})
    token = re.search(r'id="api-token">([^<]+)<', token_page.text).group(1)
    auth = {"Authorization": f"Bearer {token}"}
    api = meituan.client
    with factory() as session:
        merchant_id = session.scalar(select(Enterprise.id).where(Enterprise.name == MERCHANT))
    for params, inbox_params in (
        ({}, {}),
        ({"overdue": "true"}, {"due": "overdue"}),
        ({"claim_type": "replacement"}, {"category": "replacement"}),
        ({"respondent": merchant_id}, {"respondent": merchant_id}),
    ):
        answer = api.get("/api/v1/enterprise/cases", params=params, headers=auth)
        assert answer.status_code == 200, answer.text
        from_api = {c["number"] for c in answer.json()["items"]}
        assert from_api == set(listed(meituan.get("/enterprise", params=inbox_params).text))
