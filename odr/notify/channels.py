"""Delivery channels: SMTP e-mail, an SMS gateway (or the console), signed webhooks."""

from __future__ import annotations

import email.policy
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache
from typing import Any

import httpx

from odr.masking import mask_access_codes, mask_phone
from odr.notify.templates import Message
from odr.settings import Settings

log = logging.getLogger("odr.notify")
# The console channels print whole messages (the access code masked): development only, kept out
# of JSON logs (odr/ops/logging.py).
console_log = logging.getLogger("odr.dev.console")
SIGNATURE_HEADER = "X-ODR-Signature"
TIMESTAMP_HEADER = "X-ODR-Timestamp"


class DeliveryError(Exception):
    """A channel could not deliver; the dispatcher retries later."""


@cache
def http_client() -> httpx.Client:
    """One pooled client per process: building one per request costs an SSL context each."""
    return httpx.Client(follow_redirects=False)


# Mail for a server that takes 8-bit bodies (RFC 6152 8BITMIME), and for one that does not: then
# every part is base64 or quoted-printable, never a bare 8bit part it may mangle or refuse.
EIGHT_BIT = email.policy.default
SEVEN_BIT = email.policy.default.clone(cte_type="7bit")


@dataclass(frozen=True)
class MailAttachment:
    """A file sent with a mail (a paper, 文书, as PDF)."""

    filename: str
    data: bytes
    content_type: str = "application/pdf"


def email_message(
    settings: Settings,
    to: str,
    message: Message,
    message_id: str,
    eight_bit: bool,
    attachments: Sequence[MailAttachment] = (),
) -> EmailMessage:
    """A multipart mail (plain text and HTML, then the attachments) with UTF-8 headers; 8-bit
    parts only when the server offers 8BITMIME (`eight_bit`), else 7-bit transfer encodings."""
    mail = EmailMessage(policy=EIGHT_BIT if eight_bit else SEVEN_BIT)
    mail["Subject"] = message.subject
    mail["From"] = Address("odr 在线消费纠纷解决", addr_spec=settings.mail_from)
    mail["To"] = to
    mail["Message-ID"] = make_msgid(idstring=message_id, domain="odr.local")
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    for attached in attachments:
        maintype, subtype = attached.content_type.split("/", 1)
        mail.add_attachment(
            attached.data, maintype=maintype, subtype=subtype, filename=attached.filename
        )
    return mail


def send_email(
    settings: Settings,
    to: str,
    message: Message,
    message_id: str,
    attachments: Sequence[MailAttachment] = (),
) -> None:
    """The mail over SMTP, as 8-bit (BODY=8BITMIME) when the server offers it."""
    if not settings.smtp_host:
        console_log.info("email (no SMTP host set) to %s: %s", to, message.subject)
        return
    # smtplib's own default context does not check the server's certificate: ours does.
    context = ssl.create_default_context(cafile=settings.smtp_ca_file)
    try:
        smtp: smtplib.SMTP
        if settings.smtp_tls:
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=30, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with smtp:
            if settings.smtp_starttls and not settings.smtp_tls:
                smtp.starttls(context=context)
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.ehlo_or_helo_if_needed()  # what the server offers (again after STARTTLS)
            eight_bit = smtp.has_extn("8bitmime")
            mail = email_message(settings, to, message, message_id, eight_bit, attachments)
            smtp.send_message(mail, mail_options=("BODY=8BITMIME",) if eight_bit else ())
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def send_sms(settings: Settings, phone: str, text: str) -> None:
    """The console provider logs; the http provider posts to the configured gateway."""
    if settings.sms_provider == "console" or not settings.sms_url:
        console_log.info("sms to %s: %s", mask_phone(phone), mask_access_codes(text))
        return
    body = {
        "phone": phone,
        "template_id": settings.sms_template_id,
        "sign_name": settings.sms_signature,
        "params": {"content": text},
    }
    headers = {"Authorization": f"Bearer {settings.sms_token}"} if settings.sms_token else {}
    try:
        response = http_client().post(
            settings.sms_url, json=body, headers=headers, timeout=settings.http_timeout_seconds
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"SMS gateway: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"SMS gateway answered {response.status_code}: {response.text[:200]}")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of "<timestamp>.<body>" with the enterprise's secret, as hex."""
    signed = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def send_webhook(
    settings: Settings, url: str, secret: str, event: str, delivery_id: str, payload: Any
) -> bytes:
    """POST the event as JSON, signed; return the body sent."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: "sha256=" + sign(secret, timestamp, body),
        "X-ODR-Event": event,
        "X-ODR-Delivery": delivery_id,
    }
    try:
        response = http_client().post(
            url, content=body, headers=headers, timeout=settings.http_timeout_seconds
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"webhook answered {response.status_code}")
    return body
