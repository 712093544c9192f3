"""Chinese mail over SMTP: 8-bit parts only to a server that offers 8BITMIME (RFC 6152), and
then announced with BODY=8BITMIME; base64 or quoted-printable to any other."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from peers import free_port

from odr.notify.channels import send_email
from odr.notify.dispatcher import dispatch
from odr.notify.templates import Message as Mail


class RawInbox:
    """Keeps each mail as sent, with the MAIL FROM options; offers 8BITMIME or not."""

    def __init__(self, offer_8bitmime: bool) -> None:
        self.offer_8bitmime = offer_8bitmime
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]  # noqa: N802 (aiosmtpd's name)
        session.host_name = hostname
        if self.offer_8bitmime:
            return responses
        return [line for line in responses if "8BITMIME" not in line.upper()]

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        self.received.append((list(envelope.mail_options), envelope.original_content))
        return "250 OK"


@pytest.fixture(params=[True, False], ids=["8bitmime", "7bit-only"])
def raw_smtp(request: pytest.FixtureRequest) -> Iterator[tuple[int, RawInbox]]:
    inbox = RawInbox(offer_8bitmime=request.param)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def _parts(raw: bytes) -> list[Message]:
    return [p for p in email.message_from_bytes(raw).walk() if not p.is_multipart()]


def test_a_short_chinese_mail_is_8bit_only_to_a_server_that_offers_8bitmime(settings, raw_smtp):
    """Short lines of Chinese fit a line: left to itself, the email package sends them 8bit."""
    port, inbox = raw_smtp
    short = Mail(
        subject="投诉已受理", text="您的投诉已受理。\n谢谢。", html="<p>您的投诉已受理。</p>"
    )
    send_email(
        replace(settings, smtp_host="127.0.0.1", smtp_port=port), "a@example.cn", short, "t-1"
    )
    [(options, raw)] = inbox.received
    parts = _parts(raw)
    if inbox.offer_8bitmime:
        assert "BODY=8BITMIME" in options
    else:
        assert "BODY=8BITMIME" not in options
        assert {p["Content-Transfer-Encoding"] for p in parts} <= {"base64", "quoted-printable"}
        assert all(byte < 128 for byte in raw)  # nothing 8-bit on the wire
    texts = [p.get_payload(decode=True).decode(p.get_content_charset()) for p in parts]
    assert (
        texts[0].splitlines() == ["您的投诉已受理。", "谢谢。"]
        and "<p>您的投诉已受理。</p>" in texts[1]
    )


def test_the_dispatched_mail_follows_the_server(file_complaint, settings, factory, raw_smtp):
    port, inbox = raw_smtp
    number, code = file_complaint(complainant_email="wang.wu@example.com")
    assert dispatch(factory, replace(settings, smtp_host="127.0.0.1", smtp_port=port)) == 3
    [(options, raw)] = inbox.received
    assert ("BODY=8BITMIME" in options) == inbox.offer_8bitmime
    if not inbox.offer_8bitmime:
        assert all(byte < 128 for byte in raw)
    texts = [p.get_payload(decode=True).decode(p.get_content_charset()) for p in _parts(raw)]
    assert all(code in text and number in text for text in texts)
