"""The dispatcher delivers the outbox through real channels, retries, and gives up into 'dead'."""

from __future__ import annotations

import email
import socket
from dataclasses import replace
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from odr.cases.service import utcnow
from odr.notify.dispatcher import backoff, dispatch
from odr.notify.models import Notification


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_consumer_email_and_sms_are_delivered(file_complaint, factory, settings, smtp_server):
    controller, inbox = smtp_server
    number, _ = file_complaint(complainant_email="zhang.san@example.com")
    smtp_settings = replace(settings, smtp_host="127.0.0.1", smtp_port=controller.port)
    assert dispatch(factory, smtp_settings) == 3  # SMS, e-mail, the enterprise's in-app notice
    assert dispatch(factory, smtp_settings) == 0  # nothing is sent twice

    [mail] = inbox.messages
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == f"odr 投诉 {number}：企业协商中"
    assert mail["To"] == "zhang.san@example.com"
    body = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert "美团优选（南宁）" in body
    with factory() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert {r.status for r in rows} == {"sent"}
    in_app = next(r for r in rows if r.channel == "in_app")
    assert number in in_app.body and in_app.recipient.startswith("enterprise:")


def test_failed_delivery_backs_off_then_dies(file_complaint, factory, settings):
    file_complaint(complainant_email="li@example.com")
    unreachable = replace(
        settings, smtp_host="127.0.0.1", smtp_port=free_port(), dispatch_max_attempts=3
    )
    now = utcnow()
    assert dispatch(factory, unreachable, now=now) == 2  # SMS and in-app go; e-mail fails
    with factory() as session:
        mail = session.scalar(select(Notification).where(Notification.channel == "email"))
    assert mail.status == "pending" and mail.attempts == 1 and "SMTP" in mail.last_error
    assert mail.next_attempt_at == now + timedelta(minutes=1)

    assert dispatch(factory, unreachable, now=now + timedelta(seconds=30)) == 0  # not due yet
    dispatch(factory, unreachable, now=now + timedelta(minutes=2))
    dispatch(factory, unreachable, now=now + timedelta(hours=1))
    with factory() as session:
        mail = session.scalar(select(Notification).where(Notification.channel == "email"))
    assert (mail.status, mail.attempts) == ("dead", 3)


def test_backoff_grows_to_six_hours():
    assert backoff(1) == timedelta(minutes=1)
    assert backoff(2) == timedelta(minutes=2)
    assert backoff(5) == timedelta(minutes=16)
    assert backoff(20) == timedelta(hours=6)
