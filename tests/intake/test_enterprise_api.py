"""The partner API for enterprise systems: tokens made in the portal, own cases only."""

from __future__ import annotations

import re

from sqlalchemy import select

from odr.cases.models import Case


def new_token(browser, demo_logins, user: str = "meituan") -> str:  # type: ignore[no-untyped-def]
    browser.login("enterprise", user, demo_logins[user])
    page = browser.post("/enterprise/settings/tokens", {"token_name": "订单系统"})
    return re.search(r'id="api-token">([^<]+)<', page.text).group(1)


def test_token_lists_reads_and_acts_on_own_cases(
    file_complaint, other_client, demo_logins, factory
):
    numbers = [file_complaint(order_number=f"API-{i}")[0] for i in range(3)]
    merchant_case, _ = file_complaint(respondent_name="青秀区鲜果坊", order_number="API-M")
    shop_case, _ = file_complaint(respondent_name="南宁市兴宁区好又多便利店", order_number="S")
    token = new_token(other_client, demo_logins)
    api = other_client.client
    auth = {"Authorization": f"Bearer {token}"}

    first = api.get("/api/v1/enterprise/cases", params={"limit": 2}, headers=auth).json()
    second = api.get(
        "/api/v1/enterprise/cases", params={"limit": 2, "after": first["next_cursor"]}, headers=auth
    ).json()
    listed = [c["number"] for c in first["items"] + second["items"]]
    assert listed == [*numbers, merchant_case] and second["next_cursor"] is None
    assert shop_case not in listed  # not the platform's
    overdue = api.get("/api/v1/enterprise/cases", params={"overdue": "true"}, headers=auth)
    assert overdue.json()["items"] == []

    detail = api.get(f"/api/v1/enterprise/cases/{numbers[0]}", headers=auth).json()
    assert {a["trigger"] for a in detail["actions"]} >= {"propose_settlement", "decline"}
    bad = api.post(
        f"/api/v1/enterprise/cases/{numbers[0]}/actions/propose_settlement",
        json={"remedy": "gold"},
        headers=auth,
    )
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"remedy", "message"}
    done = api.post(
        f"/api/v1/enterprise/cases/{numbers[0]}/actions/propose_settlement",
        json={"remedy": "refund", "amount": "39.90", "message": "全额退款"},
        headers=auth,
    )
    assert done.status_code == 200 and done.json()["state"] == "offer_pending"
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == numbers[0]))
        assert case.events[-1].actor_label == "美团优选（南宁） API 订单系统"
    assert api.get(f"/api/v1/enterprise/cases/{shop_case}", headers=auth).status_code == 404


def test_missing_wrong_and_revoked_tokens_are_refused(other_client, demo_logins):
    token = new_token(other_client, demo_logins)
    api = other_client.client
    assert api.get("/api/v1/enterprise/cases").status_code == 401
    assert (
        api.get(
            "/api/v1/enterprise/cases", headers={"Authorization": "Bearer odr_nope"}
        ).status_code
        == 401
    )
    settings = other_client.get("/enterprise/settings").text
    token_id = re.search(r"/enterprise/settings/tokens/(\d+)/revoke", settings).group(1)
    assert token not in settings  # shown once, never again
    revoked = other_client.post(f"/enterprise/settings/tokens/{token_id}/revoke", {})
    assert revoked.status_code == 200 and "已吊销" in revoked.text, revoked.text[:300]
    assert (
        api.get(
            "/api/v1/enterprise/cases", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )


def test_a_case_not_its_own_is_not_found_to_read_or_act_on(
    file_complaint, other_client, demo_logins
):
    shop_case, _ = file_complaint(respondent_name="南宁市兴宁区好又多便利店", order_number="S")
    token = new_token(other_client, demo_logins)
    api = other_client.client
    auth = {"Authorization": f"Bearer {token}"}
    for number in (shop_case, "NO-SUCH-CASE"):
        read = api.get(f"/api/v1/enterprise/cases/{number}", headers=auth)
        fired = api.post(
            f"/api/v1/enterprise/cases/{number}/actions/decline",
            json={"reason": "不是本企业"},
            headers=auth,
        )
        for response in (read, fired):
            assert response.status_code == 404, (number, response.text)
            assert response.json()["detail"] == "no such case"


def test_the_timeline_carries_what_each_party_wrote(
    client, file_complaint, other_client, demo_logins
):
    number, _ = file_complaint()
    sent = client.post(f"/track/{number}/act/send_message", {"message": "请尽快退款"})
    assert sent.status_code == 200
    token = new_token(other_client, demo_logins)
    auth = {"Authorization": f"Bearer {token}"}
    api = other_client.client
    noted = api.post(
        f"/api/v1/enterprise/cases/{number}/actions/add_note",
        json={"note": "已联系门店"},
        headers=auth,
    )
    assert noted.status_code == 200, noted.text
    timeline = api.get(f"/api/v1/enterprise/cases/{number}", headers=auth).json()["timeline"]
    details = [[(d["label"]["zh"], d["value"]) for d in e["details"]] for e in timeline]
    assert details[-2:] == [[("留言", "请尽快退款")], [("记录（仅本企业可见）", "已联系门店")]]
