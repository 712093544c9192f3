"""Failed logins and tracking lookups are limited per address and per account/case (429)."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def strict(make_app, open_client):
    """A client on an app allowing 3 failures per address and 2 per account or case."""
    return open_client(make_app(rate_limit_per_address=3, rate_limit_per_subject=2))


def enterprise_user(demo_logins: dict[str, str]) -> str:
    return next(u for u in demo_logins if not u.startswith("reg"))


def login(client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/enterprise/login",
        {"username": username, "password": password},
        follow_redirects=False,
    )


def test_logins_are_refused_after_failures_on_one_account(strict, demo_logins):
    user = enterprise_user(demo_logins)
    assert [login(strict, user, "wrong").status_code for _ in range(2)] == [400, 400]
    refused = login(strict, user, demo_logins[user])  # the right password, too late
    assert refused.status_code == 429, refused.text[:500]
    assert int(refused.headers["retry-after"]) > 0
    assert "尝试次数过多" in refused.text and "分钟后再试" in refused.text

    strict.client.cookies.set("odr_lang", "en")
    english = login(strict, user, "wrong")
    assert english.status_code == 429
    assert "Too many attempts" in english.text and "尝试次数过多" not in english.text


def test_logins_are_refused_after_failures_from_one_address(strict):
    assert [login(strict, f"nobody{i}", "wrong").status_code for i in range(3)] == [400] * 3
    assert login(strict, "someone-else", "wrong").status_code == 429


def test_successful_logins_do_not_count(strict, demo_logins):
    user = enterprise_user(demo_logins)
    for _ in range(5):  # colleagues behind one office address, all logging in
        assert login(strict, user, demo_logins[user]).status_code == 303


def test_tracking_form_is_refused_after_failures_on_one_case(strict, file_complaint):
    number, code = file_complaint()
    for _ in range(2):
        wrong = strict.post("/track", {"number": number, "access_code": "WRONGCODE1"})
        assert wrong.status_code == 400
    refused = strict.post("/track", {"number": number, "access_code": code}, follow_redirects=False)
    assert refused.status_code == 429
    assert refused.headers["retry-after"].isdigit()
    assert "尝试次数过多" in refused.text


def test_tracking_api_answers_problem_json_with_retry_after(strict, file_complaint):
    number, code = file_complaint()
    url = f"/api/v1/cases/{number}"
    for _ in range(2):
        assert strict.get(url, headers={"X-Access-Code": "WRONGCODE1"}).status_code == 404
    refused = strict.get(url, headers={"X-Access-Code": code})
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert body["status"] == 429 and body["retry_after"] == int(refused.headers["retry-after"])
    assert re.search(r"[\u4e00-\u9fff]", body["detail"]) and "try again later" in body["detail"]


def test_a_right_code_leaves_the_counters_alone(strict, file_complaint):
    number, code = file_complaint()
    for _ in range(4):
        ok = strict.get(f"/api/v1/cases/{number}", headers={"X-Access-Code": code})
        assert ok.status_code == 200


def test_empty_forms_name_no_case_to_count_against(strict):
    for _ in range(3):  # the address allows 3 failures; no shared "empty case" counts to 2
        assert strict.post("/track", {"number": "", "access_code": ""}).status_code == 400


def test_a_stranger_cannot_lock_the_owner_out_of_a_case(make_app, serve, file_complaint):
    """Failures on a case count per address: the attacker's run out, the owner's are untouched."""
    from conftest import PeerClient

    number, code = file_complaint()
    base_url = serve(make_app(rate_limit_per_address=30, rate_limit_per_subject=10))
    attacker, owner = PeerClient(base_url, "127.0.0.2"), PeerClient(base_url, "127.0.0.3")
    guesses = [
        attacker.post("/track", {"number": number, "access_code": f"WRONGCODE{i}"}).status_code
        for i in range(11)
    ]
    assert guesses == [400] * 10 + [429]
    assert attacker.post("/track", {"number": number, "access_code": code}).status_code == 429
    api = attacker.get(f"/api/v1/cases/{number}", headers={"X-Access-Code": code})
    assert api.status_code == 429

    mine = owner.post("/track", {"number": number, "access_code": code}, follow_redirects=False)
    assert mine.status_code == 303 and mine.headers["location"] == f"/track/{number}"
    assert owner.get(f"/api/v1/cases/{number}", headers={"X-Access-Code": code}).status_code == 200


def test_ipv6_addresses_count_by_their_64_block():
    from odr.ops.ratelimit import address_block

    one_home = {address_block(f"2001:db8:1:2::{i:x}") for i in range(1, 500)}
    assert one_home == {"2001:db8:1:2::/64"}
    assert address_block("2001:db8:1:3::1") != address_block("2001:db8:1:2::1")
    assert address_block("::ffff:127.0.0.2") == "127.0.0.2"
    assert address_block("127.0.0.2") != address_block("127.0.0.3")
