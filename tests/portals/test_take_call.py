"""Taking a call (代为登记): a clerk files a complaint or report for a consumer who called, came
in or wrote, through the web form's intake; the caller's open cases are shown first."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from html import unescape

from complaints import complaint_form
from regulator_cases import SHOP, actor, file
from sqlalchemy import select

from odr.cases.models import Case
from odr.cases.service import submit
from odr.clock import SHANGHAI
from odr.intake.calls import take_call
from odr.intake.complaint import parse_complaint
from odr.notify.dispatcher import dispatch
from odr.notify.models import Notification

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # a Monday, Beijing 10:00
PHONE = "13800138000"


def call_form(**overrides: str) -> dict[str, str]:
    """What a clerk types for a caller: the web form's complaint, by phone."""
    form = complaint_form(purchase_date="2026-10-30", **overrides)
    for flag in ("notify_sms", "notify_email"):
        form.pop(flag)
    return {"channel": "phone", "kind": "complaint", **form}


def login(client, demo_logins, username: str = "reg450103") -> None:  # type: ignore[no-untyped-def]
    client.login("regulator", username, demo_logins[username])


def case_of(factory, number: str) -> Case:  # type: ignore[no-untyped-def]
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        case.events  # noqa: B018  (loaded before the session closes)
        return case


def test_channel_clerk_office_and_verified_identity_are_recorded(factory, rules):
    with factory.begin() as session:
        clerk = actor(session, "reg450103")
        filed = take_call(
            session,
            call_form(channel="visit", identity_verified="1"),
            clerk=clerk,
            rules=rules,
            now=NOW,
        )
        number = filed.case.number
    case = case_of(factory, number)
    assert case.channel == "visit" and case.identity_verified
    assert case.transferred_at is None  # received here, not transferred
    first = case.events[0]
    assert first.trigger == "submit" and first.actor_role == "regulator"
    assert first.actor_id == clerk.user_id and first.actor_label == clerk.label
    assert "青秀区" in first.actor_label  # the clerk's office
    assert first.payload["channel"] == "visit"
    assert first.payload["taken_by_office"] == "450103"

    with factory.begin() as session:  # unticked: not verified
        unticked = take_call(
            session,
            call_form(channel="letter", order_number="MT-2"),
            clerk=clerk,
            rules=rules,
            now=NOW,
        )
        assert unticked.case.channel == "letter" and not unticked.case.identity_verified


def test_same_routing_rulebook_and_clocks_as_the_web_form(factory, rules):
    for respondent in ("美团优选（南宁）", SHOP):  # an ODR enterprise; a shop not enrolled
        with factory.begin() as session:
            complaint = parse_complaint(
                complaint_form(respondent_name=respondent, purchase_date="2026-10-30"),
                rules.workflow().lists["claim_types"],
                today=NOW.astimezone(SHANGHAI).date(),
            )
            web = submit(session, complaint, rules=rules, now=NOW).case
            taken = take_call(
                session,
                call_form(respondent_name=respondent, order_number="MT-OTHER-1"),
                clerk=actor(session, "reg450100"),
                rules=rules,
                now=NOW,
            ).case
            same = (
                "state",
                "workflow",
                "workflow_version",
                "rulebook",
                "office_id",
                "enterprise_id",
                "respondent_id",
                "due_at",
                "clock_started_at",
                "clock_days",
                "next_reminder_at",
                "received_at",
            )
            assert {k: getattr(taken, k) for k in same} == {k: getattr(web, k) for k in same}
            assert [e.trigger for e in taken.events] == [e.trigger for e in web.events]


def test_the_consumer_gets_number_and_code_by_sms_and_mail_masked_in_logs(
    client, demo_logins, factory, settings, caplog
):
    login(client, demo_logins)
    form = call_form(complainant_email="zhang.san@example.com")
    page = client.post("/regulator/calls/new", {**form, "form_token": "x"})
    assert page.status_code == 200, page.text[:2000]
    number = re.search(r"/regulator/cases/(ODR\d+)", str(page.url)).group(1)  # type: ignore[union-attr]
    with factory() as session:
        notices = session.scalars(
            select(Notification).where(Notification.audience == "consumer")
        ).all()
        assert {(n.channel, n.recipient) for n in notices} == {
            ("sms", "+8613800138000"),
            ("email", "zhang.san@example.com"),
        }
        code = notices[0].context["access_code"]
        assert all(n.kind == "case_received" and n.context["access_code"] == code for n in notices)
    with caplog.at_level(logging.INFO, logger="odr.dev.console"):
        dispatch(factory, settings)
    logged = caplog.text
    assert "sms to 138****8000" in logged and number in logged
    assert code not in logged and code[:2] + "****" in logged
    with factory() as session:
        [sms] = session.scalars(select(Notification).where(Notification.channel == "sms")).all()
        assert number in sms.body and code not in sms.body and "access_code" not in sms.context


def test_a_report_is_taken_the_same_way(factory, rules):
    with factory.begin() as session:
        clerk = actor(session, "reg450103")
        filed = take_call(
            session,
            {
                **call_form(kind="report", identity_verified="1"),
                "violation_type": "false_advertising",
                "facts": "直播间宣称“有机认证”，实际无任何认证，误导消费者购买。",
            },
            clerk=clerk,
            rules=rules,
            now=NOW,
        )
        report = filed.case
        assert report.claim_type == "report" and report.channel == "phone"
        assert report.identity_verified and not report.anonymous
        assert report.workflow == "report" and report.state == "review"
        first = report.events[0]
        assert first.actor_role == "regulator" and first.actor_id == clerk.user_id
        sms = session.scalars(
            select(Notification).where(
                Notification.case_id == report.id, Notification.channel == "sms"
            )
        ).one()
        assert sms.kind == "report_received" and sms.context["access_code"] == filed.access_code


def test_the_callers_open_cases_are_listed_scoped_and_masked(client, demo_logins, factory, rules):
    with factory.begin() as session:
        # 兴宁区 (450102) and 青秀区 (450103), both below the city office.
        xingning = file(session, rules, complainant_phone=PHONE)
        qingxiu = file(session, rules, respondent_name="青秀区鲜果坊", complainant_phone=PHONE)
        file(session, rules, complainant_phone="13900139000")  # someone else
    login(client, demo_logins, "reg450103")
    found = client.get("/regulator/calls/caller", params={"phone": "138 0013 8000"})
    assert found.status_code == 200
    body = found.json()
    assert body["phone"] == "+8613800138000"
    assert [c["number"] for c in body["cases"]] == [qingxiu.number]  # not 兴宁区's case
    [row] = body["cases"]
    assert row["complainant"] == "张*" and row["phone"] == "138****8000"
    assert "张三" not in found.text and "民族大道" not in found.text
    assert client.get("/regulator/calls/caller", params={"phone": "12"}).status_code == 400

    client.post("/logout", {})
    login(client, demo_logins, "reg450100")  # the city sees both districts
    numbers = [
        c["number"] for c in client.get("/regulator/calls/caller?phone=13800138000").json()["cases"]
    ]
    assert set(numbers) == {xingning.number, qingxiu.number}


def test_without_javascript_the_callers_cases_come_before_a_second_case(
    client, demo_logins, factory, rules
):
    with factory.begin() as session:
        earlier = file(session, rules, respondent_name="青秀区鲜果坊", complainant_phone=PHONE)
    login(client, demo_logins)
    form = call_form(order_number="MT-NEW-2")
    shown = client.post("/regulator/calls/new", form)
    assert shown.status_code == 200 and earlier.number in shown.text
    assert 'name="caller_checked" value="+8613800138000"' in shown.text
    assert unescape(shown.text).count("张三") >= 1  # what was typed is kept
    with factory() as session:
        assert session.query(Case).count() == 1  # nothing filed yet
    token = re.search(r'name="form_token" value="([^"]+)"', shown.text).group(1)  # type: ignore[union-attr]
    filed = client.post(
        "/regulator/calls/new", {**form, "caller_checked": "+8613800138000", "form_token": token}
    )
    assert filed.status_code == 200 and "/regulator/cases/ODR" in str(filed.url)
    again = client.post(  # the same form sent twice files one case
        "/regulator/calls/new", {**form, "caller_checked": "+8613800138000", "form_token": token}
    )
    assert str(again.url) == str(filed.url)
    with factory() as session:
        assert session.query(Case).count() == 2


def test_validation_errors_keep_what_was_typed_and_name_the_field(client, demo_logins, factory):
    login(client, demo_logins)
    page = client.post(
        "/regulator/calls/new",
        call_form(complainant_name="", complainant_phone="12345", channel="fax", facts="短"),
    )
    assert page.status_code == 400
    text = unescape(page.text)
    for field in ("complainant_name", "complainant_phone", "channel", "facts"):
        assert f'id="{field}-error"' in text, field
    assert 'value="12345"' in text and "阳光玫瑰葡萄 2斤装" in text and ">短</textarea>" in text
    assert re.search(r'id="complainant_phone"[^>]*autofocus', text)  # the first bad field
    assert text.count("autofocus") == 1
    assert 'maxlength="50"' in page.text and "&#34;" not in page.text  # attributes intact
    with factory() as session:
        assert session.query(Case).count() == 0


def test_a_case_sent_to_an_office_the_clerk_does_not_see_shows_its_number(
    client, demo_logins, factory
):
    login(client, demo_logins, "reg450103")
    page = client.post(
        "/regulator/calls/new", call_form(respondent_name=SHOP, respondent_address="兴宁区")
    )
    assert page.status_code == 200
    with factory() as session:
        case = session.scalars(select(Case)).one()
    assert f"filed={case.number}" in str(page.url) and case.number in page.text
    assert "兴宁区" in page.text  # the office it went to


def test_the_form_and_lookups_need_a_regulator_login(client):
    assert "/regulator/login" in str(client.get("/regulator/calls/new").url)
    page = client.get("/regulator/calls/caller?phone=13800138000", follow_redirects=False)
    assert page.status_code in (302, 303)


def test_respondents_are_looked_up_as_the_clerk_types(client, demo_logins):
    login(client, demo_logins)
    found = client.get("/regulator/calls/respondents", params={"q": "美团"}).json()
    assert found and found[0]["name"].startswith("美团优选") and found[0]["odr_enterprise"]
    assert "address" in found[0]
    assert client.get("/regulator/calls/respondents?q=").json() == []


def test_a_letters_clocks_run_from_when_it_arrived(factory, rules):
    with factory.begin() as session:
        taken = take_call(
            session,
            call_form(channel="letter", respondent_name=SHOP, received_at="2026-10-29 15:00"),
            clerk=actor(session, "reg450102"),
            rules=rules,
            now=NOW,
        ).case
        arrived = datetime(2026, 10, 29, 7, 0, tzinfo=UTC)  # 15:00 in Beijing
        assert taken.received_at == arrived and taken.clock_started_at == arrived
        assert taken.due_at == rules.calendar.add_working_days(arrived, taken.clock_days)


def test_the_queues_filter_cases_by_the_channel_they_were_taken_on(
    client, demo_logins, factory, rules
):
    with factory.begin() as session:
        web = file(session, rules)
        taken = take_call(
            session, call_form(respondent_name=SHOP), clerk=actor(session, "reg450102"), rules=rules
        ).case
    login(client, demo_logins, "reg450102")
    page = client.get("/regulator?queue=all&channel=phone")
    assert taken.number in page.text and web.number not in page.text
    assert "电话代为登记" in page.text  # the filter offers it
    case_page = client.get(f"/regulator/cases/{taken.number}")
    assert "来电代为登记" in case_page.text


def test_an_anonymous_report_from_the_form_sends_no_message(client, demo_logins, factory):
    login(client, demo_logins)
    page = client.post(
        "/regulator/calls/new",
        {
            "channel": "phone",
            "kind": "report",
            "identity_verified": "1",  # nobody to have checked: ignored
            "respondent_name": "美团优选（南宁）",
            "violation_type": "fake_reviews",
            "facts": "商家组织刷单好评，返现诱导消费者给五星评价。",
        },
    )
    assert page.status_code == 200 and "/regulator/cases/ODR" in str(page.url), page.text[:2000]
    with factory() as session:
        report = session.scalars(select(Case)).one()
        assert report.anonymous and not report.identity_verified and report.channel == "phone"
        consumer = select(Notification).where(Notification.audience == "consumer")
        assert session.scalars(consumer).all() == []


def test_the_call_form_in_english_shows_no_chinese_outside_user_data(
    client, demo_logins, factory, rules
):
    from test_english_pages import chinese_outside_user_data

    with factory.begin() as session:
        file(session, rules, respondent_name="青秀区鲜果坊", complainant_phone=PHONE)
    client.client.cookies.set("odr_lang", "en")
    login(client, demo_logins)
    pages = {
        "form": client.get("/regulator/calls/new").text,
        "caller's cases": client.post("/regulator/calls/new", call_form()).text,
        "errors": client.post("/regulator/calls/new", {"complainant_phone": "12"}).text,
    }
    problems = {
        name: found for name, html in pages.items() if (found := chinese_outside_user_data(html))
    }
    assert not problems, problems
