"""Tenants see only their own cases; logins lock after repeated failures."""

from __future__ import annotations


def test_other_enterprise_cannot_see_or_act(file_complaint, other_client, demo_logins):
    number, _ = file_complaint()
    other_client.login("enterprise", "duoduo", demo_logins["duoduo"])
    assert number not in other_client.get("/enterprise").text
    assert other_client.get(f"/enterprise/cases/{number}").status_code == 404
    response = other_client.post(f"/enterprise/cases/{number}/act/decline", {"reason": "x"})
    assert response.status_code == 404


def test_office_sees_its_jurisdiction_and_the_city_supervises(
    file_complaint, other_client, demo_logins
):
    number, _ = file_complaint(respondent_name="南宁市兴宁区好又多便利店")  # office 450102
    other_client.login("regulator", "reg450103", demo_logins["reg450103"])
    assert other_client.get(f"/regulator/cases/{number}").status_code == 404
    other_client.post("/logout", {})
    other_client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = other_client.get(f"/regulator/cases/{number}")
    assert page.status_code == 200
    assert "受理并调解" not in page.text  # the city supervises; the district office decides
    assert other_client.post(f"/regulator/cases/{number}/act/accept", {}).status_code == 404


def test_consumer_cannot_fire_enterprise_triggers(client, file_complaint):
    number, _ = file_complaint()
    response = client.post(
        f"/track/{number}/act/propose_settlement", {"remedy": "refund", "message": "自己给自己"}
    )
    assert response.status_code == 409


def test_portals_require_login(client):
    for portal in ("enterprise", "regulator"):
        response = client.get(f"/{portal}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith(f"/{portal}/login")


def test_enterprise_user_cannot_use_regulator_portal(other_client, demo_logins):
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    response = other_client.get("/regulator", follow_redirects=False)
    assert response.status_code == 303


def test_lockout_after_five_failures(other_client, demo_logins):
    for _ in range(5):
        failed = other_client.post("/enterprise/login", {"username": "meituan", "password": "x"})
        assert failed.status_code == 400 and "用户名或密码错误" in failed.text
    locked = other_client.post(
        "/enterprise/login", {"username": "meituan", "password": demo_logins["meituan"]}
    )
    assert locked.status_code == 400 and "15分钟" in locked.text


def test_forms_need_the_csrf_token(client):
    response = client.client.post("/track", data={"number": "x", "access_code": "y"})
    assert response.status_code == 403
