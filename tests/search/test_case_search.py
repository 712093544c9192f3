"""案件查询: every kind of query, two-character Chinese words, scoping, the purge, and the index
written in the case's own transaction (submit, the batch import, the demo's loader)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from complaints import complaint_form
from sqlalchemy import select

from odr.auth.models import User
from odr.auth.service import actor_for
from odr.cases.bulk import NewComplaint, submit_batch
from odr.cases.models import Case, CaseSearch
from odr.cases.paging import Cursor
from odr.cases.privacy import purge
from odr.cases.search_index import case_document
from odr.cases.service import submit
from odr.clock import SHANGHAI
from odr.db.engine import transaction
from odr.enterprises.models import Enterprise
from odr.errors import InvalidData
from odr.intake.complaint import parse_complaint
from odr.search.query import PHONE_TAIL_ALONE, parse
from odr.search.service import search

FILED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Beijing 2026-11-02 09:00
SHOP = "南宁市兴宁区好又多便利店"  # not enrolled: the 兴宁区 office (450102)
MERCHANT = "青秀区鲜果坊"  # a merchant of 美团优选 (450103)
PLATFORM = "美团优选（南宁）"
OTHER_PLATFORM = "多多买菜（南宁）"


def _complaint(rules, now, **overrides):  # type: ignore[no-untyped-def]
    bought = (now - timedelta(days=3)).astimezone(SHANGHAI).date().isoformat()
    form = {"respondent_name": SHOP, "purchase_date": bought, "order_number": ""}
    form.update(overrides)
    return parse_complaint(
        complaint_form(**form),
        rules.workflow().lists["claim_types"],
        today=now.astimezone(SHANGHAI).date(),
    )


def _file(session, rules, now=FILED, **overrides) -> Case:  # type: ignore[no-untyped-def]
    return submit(session, _complaint(rules, now, **overrides), rules=rules, now=now).case


def _actor(session, username):  # type: ignore[no-untyped-def]
    return actor_for(session, session.scalar(select(User).where(User.username == username)))


def _agent(session, enterprise_name):  # type: ignore[no-untyped-def]
    """An actor of the enterprise (a user made for the test when the demo has none)."""
    enterprise = session.scalar(select(Enterprise).where(Enterprise.name == enterprise_name))
    user = session.scalar(
        select(User).where(User.enterprise_id == enterprise.id, User.role == "enterprise")
    )
    if user is None:
        user = User(
            username=f"search-{enterprise.id}",
            password_hash="-",
            display_name="查询测试",
            role="enterprise",
            enterprise_id=enterprise.id,
        )
        session.add(user)
        session.flush()
    return actor_for(session, user)


def _found(session, actor, text):  # type: ignore[no-untyped-def]
    page = search(session, actor, parse(text))
    assert not page.capped
    return [c.number for c in page.cases]


@pytest.fixture
def cases(factory, rules):  # type: ignore[no-untyped-def]
    """A complaint against a shop (兴宁区), one against a merchant of 美团优选 (青秀区), one
    against 多多买菜, each with its own complainant, phone, order, product and facts."""
    with transaction(factory) as session:
        shop = _file(
            session,
            rules,
            complainant_name="王小明",
            complainant_phone="13877778000",
            order_number="HYD-20261030-77",
            product="广式月饼礼盒",
            facts="在便利店买的月饼已经过期发霉，店家拒绝退款。",
        )
        merchant = _file(
            session,
            rules,
            respondent_name=MERCHANT,
            complainant_name="李娜",
            complainant_phone="13911112222",
            order_number="MT9988776655",
            product="阳光玫瑰葡萄",
            facts="团长说次日送达，实际晚了三天，葡萄腐烂。",
        )
        other = _file(
            session,
            rules,
            respondent_name=OTHER_PLATFORM,
            complainant_name="赵六",
            complainant_phone="13600008000",
            product="有机蔬菜",
            facts="蔬菜不新鲜，要求赔偿。",
        )
        return {"shop": shop.number, "merchant": merchant.number, "other": other.number}


def test_every_kind_of_query_finds_the_case(factory, cases):
    with factory() as session:
        city = _actor(session, "reg450100")  # the city office sees the districts' cases
        merchant = session.scalar(select(Case).where(Case.number == cases["merchant"]))
        kinds = {
            "case number": (cases["shop"], "shop"),
            "case number, lower case": (cases["shop"].lower(), "shop"),
            "whole phone": ("13877778000", "shop"),
            "phone as +86 with spaces": ("+86 138 7777 8000", "shop"),
            "phone tail and name": ("8000 王小明", "shop"),
            "phone tail and date received": ("2026-11-02 8000", None),  # two cases share a tail
            "complainant name": ("李娜", "merchant"),
            "order number": ("MT9988776655", "merchant"),
            "order number with hyphens": ("HYD-20261030-77", "shop"),
            "respondent name": ("鲜果坊", "merchant"),
            "respondent USCC": (merchant.respondent_uscc, "merchant"),
            "product word": ("月饼", "shop"),
            "facts word": ("退款", "shop"),
            "facts word 团长": ("团长", "merchant"),
            "two words": ("葡萄 腐烂", "merchant"),
        }
        for kind, (text, expected) in kinds.items():
            found = _found(session, city, text)
            if expected is None:
                assert sorted(found) == sorted([cases["shop"], cases["other"]]), kind
            else:
                assert found == [cases[expected]], (kind, text, found)
        # Nothing that is not there; the bigrams of a phrase must follow one another.
        assert _found(session, city, "月饼 团长") == []
        assert _found(session, city, "饼月") == []
        assert _found(session, city, "8000 李娜") == []


def test_12315_number_and_the_batch_import_are_indexed(factory, rules):
    with transaction(factory) as session:
        filed = submit_batch(
            session,
            [("12315-2026-000123", NewComplaint(_complaint(rules, FILED, product="电动车")))],
            rules=rules,
            now=FILED,
            channel="12315",
        )
    with factory() as session:
        city = _actor(session, "reg450100")
        assert _found(session, city, "12315-2026-000123") == [filed[0].case_number]
        assert _found(session, city, "电动车") == [filed[0].case_number]


def test_a_phone_tail_alone_is_refused():
    with pytest.raises(InvalidData) as refused:
        parse("8000")
    assert refused.value.errors == {"q": PHONE_TAIL_ALONE}
    assert parse("8000 张三").phrases == (("p8000",), ("张三",))
    assert parse("2026年11月2日 8000").phrases == (("d20261102",), ("p8000",))


def test_an_office_finds_only_its_jurisdiction(factory, cases):
    with factory() as session:
        xingning, qingxiu = _actor(session, "reg450102"), _actor(session, "reg450103")
        assert _found(session, xingning, "月饼") == [cases["shop"]]
        assert _found(session, qingxiu, "月饼") == []
        assert _found(session, qingxiu, cases["shop"]) == []
        assert _found(session, qingxiu, "13877778000") == []
        assert _found(session, qingxiu, "团长") == [cases["merchant"]]


def test_an_enterprise_finds_only_its_own_and_a_platform_its_merchants(factory, cases):
    with factory() as session:
        platform, merchant = _agent(session, PLATFORM), _agent(session, MERCHANT)
        other = _agent(session, OTHER_PLATFORM)
        assert _found(session, platform, "团长") == [cases["merchant"]]
        assert _found(session, merchant, "李娜") == [cases["merchant"]]
        for actor in (platform, merchant):
            assert _found(session, actor, "月饼") == []  # the shop's, not theirs
            assert _found(session, actor, cases["other"]) == []
        assert _found(session, other, "团长") == []
        assert _found(session, other, cases["merchant"]) == []
        assert _found(session, other, "赵六") == [cases["other"]]


def test_results_come_in_deadline_order_a_keyset_page_at_a_time(factory, rules):
    with transaction(factory) as session:
        numbers = [
            _file(session, rules, now=FILED + timedelta(days=i), product=f"月饼{i}号").number
            for i in range(5)
        ]
    with factory() as session:
        office = _actor(session, "reg450102")
        query = parse("月饼")
        first = search(session, office, query, page_size=2)
        assert [c.number for c in first.cases] == numbers[:2]  # filed first, due first
        assert first.next_cursor is not None
        cursor = Cursor.decode(first.next_cursor.encode())
        second = search(session, office, query, cursor=cursor, page_size=2)
        third = search(session, office, query, cursor=second.next_cursor, page_size=2)
        assert [c.number for c in second.cases] == numbers[2:4]
        assert [c.number for c in third.cases] == numbers[4:] and third.next_cursor is None
        # A word in more cases than are sorted: the newest of them, in deadline order, and
        # the page says there were more.
        newest = search(session, office, query, newest=3)
        assert newest.capped and [c.number for c in newest.cases] == numbers[2:]


def test_a_rolled_back_submit_leaves_no_words(factory, rules):
    with factory() as session, session.begin():
        case = _file(session, rules, product="退款测试商品")
        case_id = case.id
        assert session.get(CaseSearch, case_id) is not None  # written with the case
        session.rollback()
    with factory() as session:
        assert session.get(CaseSearch, case_id) is None
        assert _found(session, _actor(session, "reg450100"), "退款测试商品") == []


def test_after_the_purge_nothing_it_removed_finds_the_case(factory, cases, settings):
    with transaction(factory) as session:
        case = session.scalar(select(Case).where(Case.number == cases["shop"]))
        case.closed_at = FILED  # closed long ago: past the retention period
    result = purge(factory, settings.evidence_dir, "3y", FILED + timedelta(days=4 * 366))
    assert result.cases == [cases["shop"]]
    with factory() as session:
        city = _actor(session, "reg450100")
        for text in ("王小明", "13877778000", "8000 王小明", "HYD-20261030-77", "退款", "月饼"):
            assert _found(session, city, text) == [], text
        assert _found(session, city, cases["shop"]) == [cases["shop"]]  # its number stays
        assert _found(session, city, "李娜") == [cases["merchant"]]  # others untouched


def test_generated_demo_cases_have_the_words_the_service_writes(factory, rules):
    from odr.demo.loading import generate_cases

    generate_cases(factory, rules, 120, FILED, overdue=3, seed=11, processes=1)
    with factory() as session:
        cases = session.scalars(select(Case)).all()
        words = {row.case_id: row.terms for row in session.scalars(select(CaseSearch))}
        assert len(words) == len(cases) == 120
        for case in cases:
            assert words[case.id] == case_document(case), case.number
