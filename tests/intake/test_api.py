"""The JSON intake API: 201 with number and code, 400 naming each invalid field."""

from __future__ import annotations

from complaints import complaint_form
from sqlalchemy import select

from odr.cases.models import Case
from odr.demo import demo_uscc


def api_complaint(**overrides):  # type: ignore[no-untyped-def]
    body = {k: v for k, v in complaint_form(**overrides).items() if v != ""}
    for flag in ("notify_sms", "notify_email"):  # JSON takes booleans
        body[flag] = body.get(flag) == "1"
    return body


def test_submit_and_read_back(client):
    created = client.client.post("/api/v1/complaints", json=api_complaint())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "negotiation" and body["due_at"]
    case = client.client.get(
        f"/api/v1/cases/{body['number']}", headers={"X-Access-Code": body["access_code"]}
    )
    assert case.status_code == 200
    data = case.json()
    assert data["state_label"]["zh"] == "企业协商中"
    assert [item["trigger"] for item in data["timeline"]] == ["submit", "route"]


def test_wrong_access_code_reveals_nothing(client):
    number = client.client.post("/api/v1/complaints", json=api_complaint()).json()["number"]
    wrong = client.client.get(f"/api/v1/cases/{number}", headers={"X-Access-Code": "AAAAAAAAAA"})
    missing = client.client.get("/api/v1/cases/ODR0000", headers={"X-Access-Code": "AAAAAAAAAA"})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json()["detail"] == missing.json()["detail"]


def test_invalid_fields_are_each_named(client):
    response = client.client.post(
        "/api/v1/complaints",
        json=api_complaint(
            complainant_phone="12345",
            respondent_uscc="91110000600037341X",  # wrong check character (L is right)
            claim_type="revenge",
            purchase_date="2099-01-01",
            amount="12.345",
            facts="太短",
        ),
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {
        "complainant_phone",
        "respondent_uscc",
        "claim_type",
        "purchase_date",
        "amount",
        "facts",
    }


def test_valid_uscc_finds_the_registered_respondent(client, factory):
    merchant_uscc = demo_uscc("450103", "MA5P8F2G6")
    response = client.client.post(
        "/api/v1/complaints",
        json=api_complaint(respondent_name="鲜果坊（名称写错）", respondent_uscc=merchant_uscc),
    )
    assert response.status_code == 201, response.text
    with factory() as session:
        case = session.scalar(select(Case).where(Case.number == response.json()["number"]))
        # The USCC decides over the typed name; the merchant's platform negotiates.
        assert case.respondent_name == "青秀区鲜果坊"
        assert case.enterprise.name == "美团优选（南宁）"
        assert case.channel == "api"


def test_wrong_types_and_unknown_fields_are_400(client):
    wrong_type = client.client.post("/api/v1/complaints", json={**api_complaint(), "amount": 5})
    assert wrong_type.status_code == 400
    assert "amount" in wrong_type.text
    unknown = client.client.post("/api/v1/complaints", json={**api_complaint(), "colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.text


def test_respondent_search(client):
    found = client.client.get("/api/v1/respondents", params={"q": "美团"}).json()
    assert found[0]["name"] == "美团优选（南宁）" and found[0]["odr_enterprise"] is True
    by_code = client.client.get("/api/v1/respondents", params={"q": found[0]["uscc"][:10]}).json()
    assert found[0]["id"] in {r["id"] for r in by_code}
    assert client.client.get("/api/v1/respondents", params={"q": "%"}).json() == []


def test_control_characters_are_refused_not_stored(client):
    response = client.client.post(
        "/api/v1/complaints", json=api_complaint(facts="收到的苹果\x00全部腐烂，要求退款。")
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "facts", "message": "含有不可见的控制字符 / contains control characters"}
    ]


def test_the_consumer_reads_no_event_kept_for_the_enterprise(client, other_client, demo_logins):
    created = client.client.post("/api/v1/complaints", json=api_complaint()).json()
    number, code = created["number"], created["access_code"]
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    noted = other_client.post(f"/enterprise/cases/{number}/act/add_note", {"note": "内部记录"})
    assert noted.status_code == 200 and "内部记录" in noted.text
    told = other_client.post(
        f"/enterprise/cases/{number}/act/message_consumer", {"message": "请提供订单截图"}
    )
    assert told.status_code == 200
    case = client.client.get(f"/api/v1/cases/{number}", headers={"X-Access-Code": code})
    triggers = [item["trigger"] for item in case.json()["timeline"]]
    assert triggers == ["submit", "route", "message_consumer"]  # the note is not among them
