"""The scorecard, supervision and public pages: what they show, who may reach them."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from odr.auth.models import User
from odr.auth.service import hash_password
from odr.db.engine import transaction
from odr.enterprises.models import Enterprise, SupervisionRecord

PASSWORD = "s3cret-pass-word"


def meituan_id(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(Enterprise.id).where(Enterprise.name == "美团优选（南宁）"))


def new_enterprise(factory, *, status: str = "none", manager: bool = False):  # type: ignore[no-untyped-def]
    """A fresh enterprise in 青秀区 (the demo ones stay as they are), with a manager login."""
    with transaction(factory) as session:
        enterprise = Enterprise(
            name=f"测试商贸{uuid.uuid4().hex[:8]}",
            kind="platform",
            region_code="450103",
            address="南宁市青秀区",
            odr_status=status,
        )
        session.add(enterprise)
        session.flush()
        username = f"ent{enterprise.id}x{uuid.uuid4().hex[:4]}"
        session.add(
            User(
                username=username,
                password_hash=hash_password(PASSWORD),
                display_name="经理",
                role="enterprise",
                enterprise_id=enterprise.id,
                is_admin=manager,
            )
        )
        return enterprise.id, enterprise.name, username


def test_enterprise_sees_its_scorecard_with_a_trend(client, file_complaint, demo_logins):
    file_complaint()
    client.login("enterprise", "meituan", demo_logins["meituan"])
    page = client.get("/enterprise/scorecard?weeks=4")
    assert page.status_code == 200
    assert "按时办结率" in page.text and "和解成功率" in page.text
    assert "<svg" in page.text and "每周收到的投诉" in page.text
    received = re.search(r"<dt>收到投诉</dt><dd>(\d+)</dd>", page.text)
    assert received and int(received.group(1)) == 1
    client.get("/lang/en")
    english = client.get("/enterprise/scorecard")
    assert "On-time rate" in english.text and "Complaints received per week" in english.text
    assert "按时办结率" not in english.text


def test_public_page_shows_figures_and_no_personal_data(client, factory, file_complaint):
    file_complaint(
        complainant_name="欧阳明远",
        complainant_phone="13912345678",
        complainant_address="南宁市青秀区金湖路59号7栋",
        facts="收到的荔枝全部发霉变质，客服一直不回复消息。",
        order_number="MT-SECRET-4242",
    )
    enterprise_id = meituan_id(factory)
    client.client.cookies.clear()  # nobody logged in
    page = client.get(f"/enterprises/{enterprise_id}")
    assert page.status_code == 200
    assert "美团优选（南宁）" in page.text and "在线消费纠纷解决企业" in page.text
    assert re.search(r"<dt>收到投诉</dt><dd>1</dd>", page.text)
    for personal in (
        "欧阳明远",
        "13912345678",
        "139 1234 5678",
        "5678",
        "金湖路",
        "荔枝",
        "MT-SECRET-4242",
    ):
        assert personal not in page.text
    listing = client.get("/enterprises")
    assert listing.status_code == 200 and f"/enterprises/{enterprise_id}" in listing.text
    assert "欧阳明远" not in listing.text


def test_a_group_leader_without_uscc_has_no_public_page(client, factory):
    with factory() as session:
        leader = session.scalar(select(Enterprise.id).where(Enterprise.kind == "group_leader"))
    assert client.get(f"/enterprises/{leader}").status_code == 404


def test_an_enterprise_user_cannot_reach_regulator_pages(client, factory, demo_logins):
    enterprise_id, _, _ = new_enterprise(factory, status="active")
    client.login("enterprise", "meituan", demo_logins["meituan"])
    page = client.get("/regulator/enterprises")
    assert str(page.url).split("?")[0].endswith("/regulator/login")
    client.post(f"/regulator/enterprises/{enterprise_id}/status/suspend", {"reason": "x"})
    with factory() as session:
        assert session.get(Enterprise, enterprise_id).odr_status == "active"


def test_an_office_outside_the_area_is_refused(client, factory, demo_logins):
    enterprise_id, _, _ = new_enterprise(factory, status="active")  # 青秀区
    client.login("regulator", "reg450102", demo_logins["reg450102"])  # 兴宁区
    assert client.get(f"/regulator/enterprises/{enterprise_id}").status_code == 403
    response = client.post(
        f"/regulator/enterprises/{enterprise_id}/status/suspend", {"reason": "逾期"}
    )
    assert response.status_code == 403
    listing = client.get("/regulator/enterprises?q=测试商贸")
    assert (
        listing.status_code == 200 and f"/regulator/enterprises/{enterprise_id}" not in listing.text
    )
    with factory() as session:
        assert session.get(Enterprise, enterprise_id).odr_status == "active"


def test_the_office_suspends_with_the_scorecard_as_evidence(client, factory, demo_logins):
    enterprise_id, name, _ = new_enterprise(factory, status="active")
    client.login("regulator", "reg450103", demo_logins["reg450103"])
    listing = client.get(f"/regulator/enterprises?q={name}")
    assert listing.status_code == 200 and name in listing.text
    assert client.get(f"/regulator/enterprises/{enterprise_id}").status_code == 200
    refused = client.post(
        f"/regulator/enterprises/{enterprise_id}/status/suspend", {"reason": "", "weeks": "4"}
    )
    assert refused.status_code == 400 and "请填写理由" in refused.text
    done = client.post(
        f"/regulator/enterprises/{enterprise_id}/status/suspend",
        {"reason": "按时办结率连续低于60%", "weeks": "4"},
    )
    assert done.status_code == 200 and "按时办结率连续低于60%" in done.text
    with factory() as session:
        assert session.get(Enterprise, enterprise_id).odr_status == "suspended"
        record = session.scalars(
            select(SupervisionRecord).where(SupervisionRecord.enterprise_id == enterprise_id)
        ).one()
        assert record.action == "suspend" and record.actor_label
        assert record.evidence["scorecard"]["received"] == 0
    mark = client.post(
        f"/regulator/enterprises/{enterprise_id}/marks",
        {"kind": "abnormal", "starts_on": "2026-11-01", "ends_on": "", "reason": "未按期公示年报"},
    )
    assert mark.status_code == 200
    public = client.get(f"/enterprises/{enterprise_id}")
    assert "经营异常名录" in public.text and "已暂停" in public.text


def test_a_manager_applies_and_the_office_approves(client, other_client, factory, demo_logins):
    enterprise_id, name, username = new_enterprise(factory, manager=True)
    client.login("enterprise", username, PASSWORD)
    page = client.get("/enterprise/enrolment")
    assert page.status_code == 200 and "承诺书" in page.text
    unsigned = client.post("/enterprise/enrolment", {"signatory": "王经理"})
    assert unsigned.status_code == 400
    applied = client.post("/enterprise/enrolment", {"signatory": "王经理 总经理", "agreed": "1"})
    assert applied.status_code == 200 and "等待监管部门审核" in applied.text

    other_client.login("regulator", "reg450103", demo_logins["reg450103"])
    assert name in other_client.get("/regulator/enterprises").text  # pending applications
    with factory() as session:
        application_id = session.execute(
            select(SupervisionRecord.subject_id).where(
                SupervisionRecord.enterprise_id == enterprise_id,
                SupervisionRecord.action == "apply",
            )
        ).scalar_one()
    approved = other_client.post(
        f"/regulator/enterprises/applications/{application_id}/decide", {"decision": "approve"}
    )
    assert approved.status_code == 200
    with factory() as session:
        assert session.get(Enterprise, enterprise_id).odr_status == "active"


def test_only_a_manager_applies(client, factory):
    _, _, username = new_enterprise(factory, manager=False)
    client.login("enterprise", username, PASSWORD)
    assert client.get("/enterprise/enrolment").status_code == 200
    response = client.post("/enterprise/enrolment", {"signatory": "客服", "agreed": "1"})
    assert response.status_code == 403


def test_the_office_records_a_takedown_and_lifts_a_listing(client, factory, rules, demo_logins):
    from complaints import submit_form

    from odr.clock import utcnow

    enterprise_id, name, _ = new_enterprise(factory, status="active")
    with transaction(factory) as session:
        number = submit_form(
            session, rules, utcnow(), respondent_id=str(enterprise_id), respondent_name=name
        ).case.number
    client.login("regulator", "reg450103", demo_logins["reg450103"])
    form = {"kind": "delisted_product", "subject": "过期酸奶 链接", "requested_on": "2026-11-18"}
    unknown = client.post(
        f"/regulator/enterprises/{enterprise_id}/takedowns", {**form, "case_numbers": "ODR1"}
    )
    assert unknown.status_code == 400 and "ODR1" in unknown.text
    done = client.post(
        f"/regulator/enterprises/{enterprise_id}/takedowns", {**form, "case_numbers": number}
    )
    assert done.status_code == 200 and f"/regulator/cases/{number}" in done.text
    client.post(
        f"/regulator/enterprises/{enterprise_id}/marks",
        {"kind": "demonstration", "starts_on": "2026-01-01", "reason": "示范单位"},
    )
    with factory() as session:
        from odr.enterprises.models import EnterpriseMark

        mark_id = session.scalar(
            select(EnterpriseMark.id).where(EnterpriseMark.enterprise_id == enterprise_id)
        )
    lifted = client.post(f"/regulator/enterprises/marks/{mark_id}/lift", {"reason": "投诉增多"})
    assert lifted.status_code == 200 and "投诉增多" in lifted.text
    assert (
        "放心消费示范单位" not in client.get(f"/enterprises/{enterprise_id}").text.split("<h2>")[0]
    )
    with factory() as session:
        actions = session.scalars(
            select(SupervisionRecord.action).where(SupervisionRecord.enterprise_id == enterprise_id)
        ).all()
        assert sorted(actions) == ["lift_mark", "mark", "takedown"]
