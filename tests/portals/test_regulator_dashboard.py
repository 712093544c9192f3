"""The regulator dashboard: exact figures on hand-built cases, the office's scope, SVG charts
drawn by the server, and each table as a CSV file (UTF-8 with BOM)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from regulator_cases import MERCHANT, PLATFORM, SHOP, actor, file

from odr.auth.actor import SYSTEM
from odr.cases import stats
from odr.cases.service import act
from odr.clock import utcnow


def build(session, rules, now):  # type: ignore[no-untyped-def]
    """Seven cases: one before the 12-week window, five in week A, one in week B."""
    weeks = stats.weeks_until(now, 12)
    week_a, week_b = weeks[-3].since + timedelta(hours=1), weeks[-2].since + timedelta(hours=1)
    meituan = actor(session, "meituan")
    xingning = actor(session, "reg450102")
    old = file(
        session, rules, now=weeks[0].since - timedelta(days=1), complainant_phone="13000130000"
    )
    waiting = file(session, rules, now=week_a, complainant_phone="13100131000")
    rejected = file(session, rules, now=week_a, complainant_phone="13200132000")
    act(
        session,
        rejected,
        "reject",
        xingning,
        {"ground": "handled_elsewhere"},
        rules=rules,
        now=week_a,
    )
    settled = file(
        session, rules, now=week_a, respondent_name=MERCHANT, complainant_phone="13300133000"
    )
    act(
        session,
        settled,
        "propose_settlement",
        meituan,
        {"remedy": "refund", "amount": "39.90", "message": "退款"},
        rules=rules,
        now=week_a,
    )
    from odr.auth.actor import consumer_actor

    act(
        session,
        settled,
        "accept_offer",
        consumer_actor(settled.id, "张三"),
        {},
        rules=rules,
        now=week_a,
    )
    declined = file(
        session, rules, now=week_a, respondent_name=MERCHANT, complainant_phone="13400134000"
    )
    act(session, declined, "decline", meituan, {"reason": "不同意"}, rules=rules, now=week_a)
    overdue = file(
        session, rules, now=week_a, respondent_name=PLATFORM, complainant_phone="13500135000"
    )
    act(session, overdue, "expire", SYSTEM, {}, rules=rules, now=week_a + timedelta(hours=1))
    later = file(session, rules, now=week_b, complainant_phone="13600136000")
    return weeks, {
        "old": old,
        "waiting": waiting,
        "rejected": rejected,
        "settled": settled,
        "declined": declined,
        "overdue": overdue,
        "later": later,
    }


def test_figures_of_the_city_office(factory, rules):
    now = utcnow()
    with factory.begin() as session:
        weeks, cases = build(session, rules, now)
        assert cases["overdue"].escalation_reason == "enterprise_overdue"
        d = stats.figures(session, actor(session, "reg450100").office_ids, 12, now, rules.calendar)
        assert d["states"] == {"acceptance": 5, "not_accepted": 1, "settled": 1}
        by_office = {o["office"]["region_code"]: o["by_state"] for o in d["offices"] if o["total"]}
        assert by_office == {
            "450102": {"acceptance": 3, "not_accepted": 1},
            "450103": {"acceptance": 2, "settled": 1},
        }
        assert len(d["offices"]) > 2  # offices without cases are listed too
        assert [
            (w["week"]["label"], w["received"], w["closed"])
            for w in d["weekly"]
            if w["received"] or w["closed"]
        ] == [(weeks[-3].label, 5, 2), (weeks[-2].label, 1, 0)]
        assert len(d["weekly"]) == 12
        assert d["weekly"][-1]["week"]["monday"] == weeks[-1].monday.isoformat()
        assert d["respondents"] == [
            {"name": SHOP, "cases": 3, "escalated": 0},
            {"name": MERCHANT, "cases": 2, "escalated": 1},
            {"name": PLATFORM, "cases": 1, "escalated": 1},
        ]
        (meituan,) = d["enterprises"]
        assert meituan["enterprise"]["name"] == PLATFORM
        card = meituan["card"]
        assert (card["received"], card["finished"]) == (3, 3)
        # On time: the settled case and the declined one; settled: one of the three.
        assert round(card["on_time_rate"], 4) == 0.6667
        assert round(card["settlement_rate"], 4) == 0.3333


def test_a_district_sees_only_its_own(factory, rules):
    now = utcnow()
    with factory.begin() as session:
        build(session, rules, now)
        d = stats.figures(session, actor(session, "reg450102").office_ids, 12, now, rules.calendar)
        assert d["states"] == {"acceptance": 3, "not_accepted": 1}
        assert [o["office"]["region_code"] for o in d["offices"]] == ["450102"]
        assert [(r["name"], r["cases"]) for r in d["respondents"]] == [(SHOP, 3)]
        assert d["enterprises"] == []  # the shop is not an ODR enterprise
        assert sum(w["received"] for w in d["weekly"]) == 3


def _acceptance(client) -> str:  # type: ignore[no-untyped-def]
    """The stored figure the page shows: cases awaiting acceptance, from the states table."""
    states = client.get("/regulator/dashboard/export/states.csv").content.decode("utf-8-sig")
    (row,) = [r for r in csv.reader(io.StringIO(states)) if r[0] == "acceptance"]
    return row[2]


def test_the_page_shows_stored_figures_until_the_worker_or_the_reader_computes_them(
    client, demo_logins, factory, rules
):
    now = utcnow()
    with factory.begin() as session:
        build(session, rules, now)
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    assert _acceptance(client) == "5"  # none stored: computed for the page, and stored
    with factory.begin() as session:
        file(session, rules, now=now, complainant_phone="13900139001")
    assert _acceptance(client) == "5"  # the stored figures, whatever their age
    five_minutes = timedelta(minutes=5)
    # The worker computes again only what is older than the interval.
    assert stats.refresh_stale_snapshots(factory, now, rules.calendar, five_minutes) == 0
    assert _acceptance(client) == "5"
    later = utcnow() + timedelta(minutes=6)
    assert stats.refresh_stale_snapshots(factory, later, rules.calendar, five_minutes) == 1
    assert _acceptance(client) == "6"
    assert stats.refresh_stale_snapshots(factory, later, rules.calendar, five_minutes) == 0
    # The reader may ask for them now.
    with factory.begin() as session:
        file(session, rules, now=now, complainant_phone="13900139002")
    assert client.get("/regulator/dashboard", params={"refresh": "1"}).status_code == 200
    assert _acceptance(client) == "7"


def test_the_page_draws_svg_charts(client, demo_logins, factory, rules):
    with factory.begin() as session:
        build(session, rules, utcnow())
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = client.get("/regulator/dashboard", params={"weeks": "26"})
    assert page.status_code == 200
    assert page.text.count("<svg") >= 5
    assert "<script" not in page.text
    assert "待监管部门受理" in page.text and SHOP in page.text
    assert "66.7%" in page.text and "33.3%" in page.text
    assert '<option value="26" selected>' in page.text
    assert "refresh=1" in page.text
    assert client.get("/regulator/dashboard", params={"refresh": "1"}).status_code == 200
    for table in ("offices", "states", "weekly", "respondents", "enterprises"):
        assert f"/regulator/dashboard/export/{table}.csv?weeks=26" in page.text


def test_csv_exports_are_utf8_with_bom(client, demo_logins, factory, rules):
    with factory.begin() as session:
        build(session, rules, utcnow())
    client.login("regulator", "reg450100", demo_logins["reg450100"])
    response = client.get("/regulator/dashboard/export/respondents.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"  # the charset once
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["被投诉人", "投诉件数", "企业协商未果升级"],
        [SHOP, "3", "0"],
        [MERCHANT, "2", "1"],
        [PLATFORM, "1", "1"],
    ]
    states = list(
        csv.reader(
            io.StringIO(
                client.get("/regulator/dashboard/export/states.csv").content.decode("utf-8-sig")
            )
        )
    )
    assert states[1] == ["acceptance", "待监管部门受理", "5"]
    enterprises = client.get("/regulator/dashboard/export/enterprises.csv").content.decode(
        "utf-8-sig"
    )
    assert f"{PLATFORM}," in enterprises and "66.7%,33.3%" in enterprises
    offices = list(
        csv.reader(
            io.StringIO(
                client.get("/regulator/dashboard/export/offices.csv").content.decode("utf-8-sig")
            )
        )
    )
    assert offices[0][:2] == ["区划代码", "部门"] and offices[0][-1] == "合计"
    assert client.get("/regulator/dashboard/export/secrets.csv").status_code == 404
    client.get("/lang/en")
    english = client.get("/regulator/dashboard/export/weekly.csv").content.decode("utf-8-sig")
    assert english.splitlines()[0] == "Week,Monday,Received,Closed"


def test_enterprises_cannot_open_the_dashboard(client, demo_logins):
    client.login("enterprise", "meituan", demo_logins["meituan"])
    response = client.get("/regulator/dashboard", follow_redirects=False)
    assert response.status_code in (303, 401, 403)
