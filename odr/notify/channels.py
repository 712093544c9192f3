"""Delivery channels: SMTP e-mail, an SMS provider (console by default), in-app."""

from __future__ import annotations

import logging
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from odr.notify.models import Notification
from odr.settings import Settings

log = logging.getLogger("odr.notify")


class DeliveryError(Exception):
    """A channel could not deliver; the dispatcher retries later."""


def send_email(settings: Settings, notification: Notification, subject: str, body: str) -> None:
    if not settings.smtp_host:
        log.info("email (no SMTP host set) to %s: %s", notification.recipient, subject)
        return
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = Address("odr 在线消费纠纷解决", addr_spec=settings.mail_from)
    message["To"] = notification.recipient
    message["Message-ID"] = make_msgid(idstring=f"odr-{notification.id}")
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def send_sms(settings: Settings, notification: Notification, body: str) -> None:
    """The console provider: development and demo installations log the message."""
    masked = notification.recipient[:-8] + "****" + notification.recipient[-4:]
    log.info("sms to %s: %s", masked, body)
