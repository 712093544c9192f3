"""ODR_LOG_FORMAT=json: one JSON object a line, with case numbers and request ids, no personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from odr.cases.sweeper import sweep
from odr.notify.dispatcher import dispatch
from odr.ops.logging import make_handler, redact

NAME = "欧阳测试"
PHONE = "13912345678"
ADDRESS = "广西南宁市青秀区测试路77号幸福小区"
EMAIL = "ouyang.test@example.cn"


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """What the root logger writes as JSON lines and, beside it, as text."""
    json_out, text_out = io.StringIO(), io.StringIO()
    handlers = [make_handler("json", json_out), make_handler("text", text_out)]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield json_out, text_out
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(level)


def test_json_lines_carry_no_personal_data(
    captured, client, file_complaint, factory, rules, settings
):
    json_out, text_out = captured
    number, code = file_complaint(
        complainant_name=NAME,
        complainant_phone=PHONE,
        complainant_address=ADDRESS,
        complainant_email=EMAIL,
    )
    client.post("/track", {"number": number, "access_code": code})
    client.get(f"/track/{number}", headers={"X-Request-ID": "req-42"})
    assert dispatch(factory, settings) >= 1  # console SMS and e-mail: the whole message
    sweep(factory, rules)
    logging.getLogger("odr.notify").error("delivery to %s failed", EMAIL)  # a careless call

    text = text_out.getvalue()
    # The dev console shows the SMS with the access code masked, as other logs mask personal data.
    assert "sms to 139****5678" in text and code[:2] + "****" in text
    assert code not in text and NAME not in text
    lines = [json.loads(line) for line in json_out.getvalue().splitlines()]
    assert lines
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
    everything = json_out.getvalue()
    for secret in (NAME, PHONE, "139 1234 5678", ADDRESS, EMAIL, code):
        assert secret not in everything, secret
    assert not [line for line in lines if line["logger"].startswith("odr.dev")]
    assert any(line["message"] == "delivery to [e-mail] failed" for line in lines)

    access = [line for line in lines if line["logger"] == "odr.access"]
    page = next(line for line in access if line["request_id"] == "req-42")
    assert page["route"] == "/track/{number}"
    assert page["case"] == number and page["status"] == 200 and page["method"] == "GET"
    assert page["request_id"] == "req-42" and page["duration_ms"] >= 0
    assert all(line["request_id"] for line in access)
    assert number not in {line["route"] for line in access}


def test_a_request_id_is_given_and_echoed(client):
    assert (
        client.get("/health/live", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"]
        == "abc-1"
    )
    made = client.get("/health/live", headers={"X-Request-ID": "not ok\n"}).headers["x-request-id"]
    assert len(made) == 32 and made.isalnum()


def test_case_numbers_in_messages_become_a_field(captured):
    json_out, _ = captured
    logging.getLogger("odr.sweeper").info("case %s changed meanwhile", "ODR26120212345678")
    line = json.loads(json_out.getvalue().splitlines()[-1])
    assert line["case"] == "ODR26120212345678" and line["logger"] == "odr.sweeper"
    assert line["level"] == "INFO" and line["time"].endswith("Z")


def test_redaction_of_what_looks_like_personal_data():
    assert redact("call +86 139 1234 5678 or 13912345678") == "call [phone] or [phone]"
    assert redact("to a.b+c@mail.example.cn") == "to [e-mail]"
    assert redact("case ODR26120213912345 stays") == "case ODR26120213912345 stays"
    sql = "(IntegrityError) UNIQUE failed\n[SQL: INSERT ...]\n[parameters: ('欧阳', '广西')]"
    assert "欧阳" not in redact(sql) and "[parameters hidden]" in redact(sql)


def test_a_form_refused_by_the_csrf_check_is_logged_as_the_403_it_answers(client, caplog):
    client.get("/track")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="odr.access"):
        refused = client.client.post(
            "/track",
            data={"_csrf_token": "stale", "number": "X"},
            headers={"X-Request-ID": "csrf-1"},
        )
    assert refused.status_code == 403 and "页面已过期" in refused.text
    assert refused.headers["x-request-id"] == "csrf-1"
    access = [r for r in caplog.records if r.name == "odr.access"]
    assert [(r.status, r.route, r.request_id) for r in access] == [(403, "/track", "csrf-1")]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_text_log_lines_name_their_request(captured, client):
    _, text_out = captured
    client.get("/track", headers={"X-Request-ID": "req-text-7"})
    access = [line for line in text_out.getvalue().splitlines() if "odr.access" in line]
    assert access and all("[req-text-7]" in line for line in access), access
    assert "GET /track 200" in access[-1]
