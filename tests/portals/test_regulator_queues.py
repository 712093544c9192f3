"""The regulator's queues: each queue and filter, keyset pages, and the office's scope."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from regulator_cases import FILED, MERCHANT, PLATFORM, SHOP, actor, enterprise, file

from odr.auth.actor import SYSTEM
from odr.cases import queues
from odr.cases.campaigns import load_campaigns, tag
from odr.cases.handlers import assign_handler
from odr.cases.paging import Cursor
from odr.cases.queues import QueueFilter, queue_page
from odr.cases.service import act
from odr.settings import SOURCE_ROOT

CAMPAIGNS = load_campaigns(SOURCE_ROOT / "workflows")
LATER = FILED + timedelta(days=30)  # every acceptance deadline of cases filed at FILED passed


def numbers(page) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'href="/regulator/cases/(ODR\d+)"', page.text)


def login(client, demo_logins, username: str) -> None:  # type: ignore[no-untyped-def]
    client.login("regulator", username, demo_logins[username])


def test_queues_hold_what_they_say_and_count_it(factory, rules):
    with factory.begin() as session:
        direct = file(session, rules)  # 兴宁区 acceptance, not escalated
        escalated = file(session, rules, respondent_name=MERCHANT)  # 青秀区, via 美团
        act(
            session,
            escalated,
            "decline",
            actor(session, "meituan"),
            {"reason": "不同意"},
            rules=rules,
            now=FILED,
        )
        mediating = file(session, rules, respondent_name=MERCHANT)
        act(
            session,
            mediating,
            "decline",
            actor(session, "meituan"),
            {"reason": "x"},
            rules=rules,
            now=FILED,
        )
        act(session, mediating, "accept", actor(session, "reg450103"), {}, rules=rules, now=FILED)
        negotiating = file(session, rules, respondent_name=PLATFORM)  # with the enterprise
        city = actor(session, "reg450100").office_ids

        def page(name, now=FILED):  # type: ignore[no-untyped-def]
            found = queue_page(session, city, name, QueueFilter(), now)
            return {c.number for c in found.cases}, found.counts

        assert page("acceptance")[0] == {direct.number}
        assert page("escalated")[0] == {escalated.number}
        assert page("mediation")[0] == {mediating.number}
        assert page("all")[0] == {direct.number, escalated.number, mediating.number}
        assert negotiating.number not in page("all")[0]  # the enterprise's, not the regulator's
        assert page("overdue")[0] == set()  # nothing is due yet on the day of filing
        overdue, counts = page("overdue", LATER)
        # Acceptance (7 working days) ran out for both; mediation (45) has not.
        assert overdue == {direct.number, escalated.number}
        assert counts == {
            "escalated": 1,
            "acceptance": 1,
            "triage": 0,
            "mediation": 1,
            "overdue": 2,
            "reports": 0,
            "all": 3,
        }


def test_overdue_includes_the_acceptance_ladder(factory, rules):
    with factory.begin() as session:
        case = file(session, rules)
        act(session, case, "expire", SYSTEM, {}, rules=rules, now=LATER)
        assert case.state == "acceptance_overdue" and case.due_at > LATER
        office = actor(session, "reg450102").office_ids
        assert [
            c.number for c in queue_page(session, office, "overdue", QueueFilter(), LATER).cases
        ] == [case.number]


def test_each_filter(factory, rules):
    with factory.begin() as session:
        refund = file(session, rules)
        repair = file(session, rules, claim_type="repair", complainant_phone="13900139000")
        api = file(session, rules, channel="api", complainant_phone="13700137000")
        transferred = file(session, rules, channel="12315", complainant_phone="13600136000")
        merchant = file(session, rules, respondent_name=MERCHANT)
        act(
            session,
            merchant,
            "decline",
            actor(session, "meituan"),
            {"reason": "x"},
            rules=rules,
            now=FILED,
        )
        wildlife = file(
            session,
            rules,
            complainant_phone="13500135000",
            facts="店内售卖穿山甲鳞片，疑似野生动物制品，要求退款并查处。",
        )
        handler = actor(session, "reg450102")
        tag(session, wildlife, "wildlife", handler, rules=rules, campaigns=CAMPAIGNS, now=FILED)
        assign_handler(session, api, "reg450102", handler, rules=rules, now=FILED)
        city = actor(session, "reg450100")
        meituan = enterprise(session, PLATFORM)

        def found(**kwargs):  # type: ignore[no-untyped-def]
            page = queue_page(
                session,
                city.office_ids,
                "all",
                QueueFilter(**kwargs),
                FILED,
                user_id=kwargs.get("mine") and handler.user_id,
            )
            return {c.number for c in page.cases}

        everything = {c.number for c in (refund, repair, api, transferred, merchant, wildlife)}
        assert found() == everything
        assert found(category="repair") == {repair.number}
        assert found(category="refund") == everything - {repair.number}
        assert found(channel="api") == {api.number}
        assert found(channel="12315") == {transferred.number}
        assert found(channel="web") == everything - {api.number, transferred.number}
        assert found(enterprise=MERCHANT) == {merchant.number}
        assert found(enterprise="青秀区") == {merchant.number}  # a registered name's start
        assert found(enterprise=SHOP) == everything - {merchant.number}
        assert found(platform=meituan.id) == {merchant.number}  # its merchant's case
        assert found(platform=enterprise(session, "多多买菜（南宁）").id) == set()
        assert found(campaign="wildlife") == {wildlife.number}
        assert found(campaign="food_delivery") == set()
        assert found(mine=True) == {api.number}
        assert found(channel="web", category="refund", enterprise=SHOP) == {
            refund.number,
            wildlife.number,
        }


def test_keyset_pages_follow_the_deadline(factory, rules):
    with factory.begin() as session:
        filed = [
            file(session, rules, now=FILED + timedelta(days=d), complainant_phone=f"1380013800{d}")
            for d in (3, 0, 2, 1, 0)
        ]
        office = actor(session, "reg450102").office_ids
        expected = [c.number for c in sorted(filed, key=lambda c: (c.due_at, c.id))]
        seen, cursor = [], None
        while True:
            page = queue_page(
                session, office, "acceptance", QueueFilter(), FILED, cursor=cursor, page_size=2
            )
            seen += [c.number for c in page.cases]
            assert len(page.cases) <= 2
            if page.next_cursor is None:
                break
            cursor = Cursor.decode(page.next_cursor.encode())
        assert seen == expected
        assert Cursor.decode("garbage") is None and Cursor.decode("x~y") is None


def test_the_page_filters_pages_and_keeps_the_choices(
    client, demo_logins, factory, rules, monkeypatch
):
    monkeypatch.setattr(queues, "PAGE_SIZE", 2)
    with factory.begin() as session:
        cases = [
            file(
                session,
                rules,
                now=FILED + timedelta(days=d),
                claim_type="repair",
                complainant_phone=f"1380013800{d}",
            )
            for d in range(3)
        ]
        other = file(session, rules, complainant_phone="13900139000")  # refund
    login(client, demo_logins, "reg450102")
    first = client.get(
        "/regulator", params={"queue": "acceptance", "category": "repair", "channel": "web"}
    )
    assert first.status_code == 200
    assert numbers(first) == [cases[0].number, cases[1].number]
    assert other.number not in first.text
    assert '<option value="repair" selected>' in first.text
    assert '<option value="web" selected>' in first.text
    assert 'name="queue" value="acceptance"' in first.text
    next_url = unescape(re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1))
    assert "OFFSET" not in next_url and "after=" in next_url and "category=repair" in next_url
    second = client.get(next_url)
    assert numbers(second) == [cases[2].number]
    assert 'rel="next"' not in second.text
    assert '<option value="repair" selected>' in second.text
    # The tabs keep the filter, and count under it.
    assert 'href="/regulator?queue=overdue&amp;category=repair&amp;channel=web"' in first.text


def test_another_offices_cases_never_appear(client, demo_logins, factory, rules):
    with factory.begin() as session:
        xingning = file(session, rules)  # 450102
        qingxiu = file(session, rules, respondent_name=MERCHANT)  # 450103
        act(
            session,
            qingxiu,
            "decline",
            actor(session, "meituan"),
            {"reason": "x"},
            rules=rules,
            now=FILED,
        )
    login(client, demo_logins, "reg450102")
    for queue in queues.QUEUE_NAMES:
        page = client.get("/regulator", params={"queue": queue})
        assert qingxiu.number not in page.text
    assert xingning.number in client.get("/regulator", params={"queue": "all"}).text
    assert client.get(f"/regulator/cases/{qingxiu.number}").status_code == 404
    # Filters do not widen the scope.
    page = client.get("/regulator", params={"queue": "all", "enterprise": MERCHANT})
    assert qingxiu.number not in page.text
    client.post("/logout")
    login(client, demo_logins, "reg450100")  # the city office supervises both
    page = client.get("/regulator", params={"queue": "all"})
    assert {xingning.number, qingxiu.number} <= set(numbers(page))


def test_unknown_choices_filter_nothing(client, demo_logins, factory, rules):
    with factory.begin() as session:
        case = file(session, rules)
    login(client, demo_logins, "reg450102")
    page = client.get(
        "/regulator",
        params={
            "queue": "nope",
            "category": "x",
            "channel": "fax",
            "campaign": "x",
            "platform": "abc",
            "after": "bad",
        },
    )
    assert page.status_code == 200
    assert case.number not in page.text  # the default queue: escalated
    page = client.get(
        "/regulator", params={"queue": "all", "category": "x", "channel": "fax", "campaign": "x"}
    )
    assert numbers(page) == [case.number]
