"""The dispatcher delivers the outbox through real channels, retries, and gives up into 'dead'."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace
from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr

from complaints import complaint_form
from peers import free_port
from sqlalchemy import select

from odr.clock import utcnow
from odr.db.engine import transaction
from odr.notify.dispatcher import _claim, _record, backoff, dispatch
from odr.notify.models import Notification
from odr.notify.service import UNREAD_CAP


def decoded(header: str) -> str:
    return str(make_header(decode_header(header)))


def rows(factory, **where):  # type: ignore[no-untyped-def]
    with factory() as session:
        statement = select(Notification).order_by(Notification.id)
        for name, value in where.items():
            statement = statement.where(getattr(Notification, name) == value)
        return session.scalars(statement).all()


def test_mail_has_chinese_subject_and_both_parts(file_complaint, factory, settings, smtp_server):
    controller, inbox = smtp_server
    number, code = file_complaint(complainant_email="zhang.san@example.com")
    smtp = replace(settings, smtp_host="127.0.0.1", smtp_port=controller.port)
    assert dispatch(factory, smtp) == 3  # SMS, e-mail, the enterprise's in-app notice
    assert dispatch(factory, smtp) == 0  # nothing twice

    [mail] = inbox.messages
    assert decoded(mail["Subject"]) == f"您的投诉已登记：{number}"
    name, address = parseaddr(decoded(mail["From"]))
    assert name == "odr 在线消费纠纷解决" and address == settings.mail_from
    assert mail.get_content_type() == "multipart/alternative"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode(p.get_content_charset())
        for p in mail.walk()
        if not p.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    assert f"查询码 {code}" in parts["text/plain"] and "美团优选（南宁）" in parts["text/plain"]
    assert "<html" in parts["text/html"] and code in parts["text/html"]


def test_access_code_reaches_only_the_consumer_and_is_not_kept(file_complaint, factory, settings):
    number, code = file_complaint()
    enterprise_row = rows(factory, audience="enterprise")[0]
    assert "access_code" not in enterprise_row.context
    dispatch(factory, settings)
    for row in rows(factory):
        assert row.status == "sent"
        assert code not in (row.body or "") and "access_code" not in row.context
    [sms] = rows(factory, channel="sms")
    assert "******" in sms.body and number in sms.body


def test_failed_delivery_backs_off_then_dies(file_complaint, factory, settings):
    file_complaint(complainant_email="li@example.com")
    unreachable = replace(
        settings, smtp_host="127.0.0.1", smtp_port=free_port(), dispatch_max_attempts=3
    )
    now = utcnow()
    assert dispatch(factory, unreachable, now=now) == 2  # SMS and in-app go; e-mail fails
    [mail] = rows(factory, channel="email")
    assert (mail.status, mail.attempts) == ("pending", 1) and "SMTP" in mail.last_error
    assert mail.next_attempt_at == now + timedelta(minutes=1)

    assert dispatch(factory, unreachable, now=now + timedelta(seconds=30)) == 0  # not due yet
    dispatch(factory, unreachable, now=now + timedelta(minutes=2))
    dispatch(factory, unreachable, now=now + timedelta(hours=1))
    [mail] = rows(factory, channel="email")
    assert (mail.status, mail.attempts) == ("dead", 3)


def test_backoff_grows_from_a_minute_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 5)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=16),
    ]
    assert backoff(20) == timedelta(hours=6)


def test_sms_gateway_receives_the_message(file_complaint, factory, settings, http_receiver):
    number, _ = file_complaint(complainant_phone="139 0013 9000")
    gateway = replace(
        settings,
        sms_provider="http",
        sms_url=http_receiver.url + "/sms",
        sms_template_id="SMS_001",
        sms_signature="南宁市监局",
    )
    dispatch(factory, gateway)
    [request] = http_receiver.requests
    body = request.json()
    assert body["phone"] == "+8613900139000" and body["template_id"] == "SMS_001"
    assert body["sign_name"] == "南宁市监局" and number in body["params"]["content"]


def test_signed_webhook_is_retried_until_it_succeeds_once(
    file_complaint, factory, settings, other_client, demo_logins, http_receiver
):
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    page = other_client.post(
        "/enterprise/settings/webhook", {"webhook_url": http_receiver.url + "/odr-events"}
    )
    secret = page.text.split('id="webhook-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("whsec_")

    http_receiver.fail_first = 2
    number, _ = file_complaint()
    now = utcnow()
    for minutes in (0, 1, 3):  # the first two attempts fail, then the backoff has passed
        dispatch(factory, settings, now=now + timedelta(minutes=minutes, seconds=1))
    [row] = rows(factory, channel="webhook")
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(http_receiver.requests) == 3
    assert {r.headers["X-ODR-Delivery"] for r in http_receiver.requests} == {str(row.id)}
    last = http_receiver.requests[-1]
    timestamp, signature = last.headers["X-ODR-Timestamp"], last.headers["X-ODR-Signature"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + last.body, hashlib.sha256
    ).hexdigest()
    assert signature == f"sha256={expected}"
    payload = last.json()
    assert payload["event"] == "new_case" and payload["case_number"] == number
    assert "access_code" not in payload["data"]
    dispatch(factory, settings, now=now + timedelta(hours=1))
    assert len(http_receiver.requests) == 3  # recorded as sent: never again


def test_consumer_chooses_channels(file_complaint, factory):
    file_complaint(complainant_email="wang@example.com", notify_sms="0")
    assert {r.channel for r in rows(factory, audience="consumer")} == {"email"}


def test_consumer_must_choose_a_channel(client):

    response = client.post("/", complaint_form(notify_sms="0"))  # no e-mail address given
    assert response.status_code == 400 and 'id="notify_sms-error"' in response.text


def test_enterprise_recipients_per_event(file_complaint, factory, other_client, demo_logins):
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    bad = other_client.post(
        "/enterprise/settings/recipients",
        {"kind": "new_case", "channel": "email", "address": "not-mail"},
    )
    assert bad.status_code == 400 and 'id="address-error"' in bad.text
    other_client.post(
        "/enterprise/settings/recipients",
        {"kind": "new_case", "channel": "email", "address": "kefu@meituan.example"},
    )
    other_client.post(
        "/enterprise/settings/recipients",
        {"kind": "overdue", "channel": "sms", "address": "13700137000"},
    )
    file_complaint()
    enterprise = {(r.channel, r.recipient) for r in rows(factory, audience="enterprise")}
    assert ("email", "kefu@meituan.example") in enterprise
    assert ("sms", "+8613700137000") not in enterprise  # only for overdue


def test_bell_counts_unread_in_app_messages(
    file_complaint, factory, settings, other_client, demo_logins
):
    file_complaint()
    file_complaint(order_number="X-2")
    dispatch(factory, settings)
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    inbox = other_client.get("/enterprise")
    assert '<span class="count">2</span>' in inbox.text
    page = other_client.get("/enterprise/notifications")
    assert page.text.count("新投诉") == 2
    other_client.post("/enterprise/notifications/read", {})
    bell = re.search(r'class="bell">.*?</a>', other_client.get("/enterprise").text)
    assert bell and 'class="count"' not in bell.group(0)  # nothing unread: no "0" in red


def test_the_bell_shows_99_plus_beyond_99_unread(
    file_complaint, factory, settings, other_client, demo_logins
):
    file_complaint()
    dispatch(factory, settings)
    with transaction(factory) as session:
        first = session.scalar(
            select(Notification).where(
                Notification.channel == "in_app", Notification.audience == "enterprise"
            )
        )
        fields = {
            c.key: getattr(first, c.key)
            for c in Notification.__table__.columns
            if c.key not in ("id", "recipient")
        }
        session.add_all(  # unique per event and recipient: a copy per made-up recipient
            Notification(**fields, recipient=f"{first.recipient}-{i}")
            for i in range(UNREAD_CAP + 20)
        )
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    assert '<span class="count">99+</span>' in other_client.get("/enterprise").text


def test_dead_letters_page_and_retry(file_complaint, factory, settings, other_client, demo_logins):
    file_complaint(complainant_email="li@example.com")
    broken = replace(
        settings, smtp_host="127.0.0.1", smtp_port=free_port(), dispatch_max_attempts=1
    )
    dispatch(factory, broken)
    [dead] = rows(factory, status="dead")
    other_client.login("regulator", "reg450103", demo_logins["reg450103"])
    assert other_client.get("/regulator/dead-letters").status_code == 403  # not an admin
    other_client.post("/logout", {})
    other_client.login("regulator", "reg450100", demo_logins["reg450100"])
    page = other_client.get("/regulator/dead-letters")
    assert "li@example.com" in page.text and "SMTP" in page.text
    other_client.post(f"/regulator/dead-letters/{dead.id}/retry", {})
    [again] = rows(factory, id=dead.id)
    assert (again.status, again.attempts) == ("pending", 0)


def test_only_a_claim_still_held_records_its_outcome(file_complaint, factory, settings):
    """A dispatcher whose claim another took over (its lease ran out) records nothing for that
    row: the one holding the claim does."""
    file_complaint()
    now = utcnow()
    token, claimed = _claim(factory, now, batch=100)
    assert len(claimed) == 2  # the consumer's SMS and the enterprise's in-app notice
    lost, kept = claimed
    with transaction(factory) as session:
        session.get(Notification, lost.id).claim_token = "another-dispatcher"
    outcomes = [(item, {"status": "sent", "sent_at": now, "body": "送达"}) for item in claimed]
    assert _record(factory, token, outcomes) == 1
    by_id = {row.id: row for row in rows(factory)}
    assert (by_id[kept.id].status, by_id[kept.id].claim_token) == ("sent", None)
    assert (by_id[lost.id].status, by_id[lost.id].claim_token) == ("sending", "another-dispatcher")


def test_a_corrected_webhook_takes_the_retried_dead_letter_and_the_waiting_messages(
    file_complaint, factory, settings, other_client, client, demo_logins, http_receiver
):
    """Messages keep the address they were queued with, for the record, but go where the
    enterprise's webhook points when they are sent: a dead letter the regulator retries, and
    the messages still waiting, reach the corrected address, not the dead one."""
    dead_url = f"http://127.0.0.1:{free_port()}/gone"  # nothing listens there
    other_client.login("enterprise", "meituan", demo_logins["meituan"])
    other_client.post("/enterprise/settings/webhook", {"webhook_url": dead_url})
    file_complaint(order_number="WH-1")
    dispatch(factory, replace(settings, dispatch_max_attempts=1))
    [dead] = rows(factory, channel="webhook")
    assert dead.status == "dead" and dead.recipient == dead_url
    file_complaint(order_number="WH-2")  # queued for the dead address, not yet sent
    corrected = http_receiver.url + "/odr-events"
    other_client.post("/enterprise/settings/webhook", {"webhook_url": corrected})

    client.login("regulator", "reg450100", demo_logins["reg450100"])
    client.post(f"/regulator/dead-letters/{dead.id}/retry", {})
    assert dispatch(factory, settings) >= 2
    webhooks = rows(factory, channel="webhook")
    assert [row.status for row in webhooks] == ["sent", "sent"]
    assert {row.recipient for row in webhooks} == {dead_url}  # as queued, for the record
    assert [r.path for r in http_receiver.requests] == ["/odr-events", "/odr-events"]
    assert {r.headers["X-ODR-Delivery"] for r in http_receiver.requests} == {
        str(row.id) for row in webhooks
    }
