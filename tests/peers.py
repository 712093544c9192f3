"""Real peers for odr's channels: an SMTP inbox (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message as EmailMessage

from aiosmtpd.handlers import Message


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (aiosmtpd cannot bind port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox(Message):
    """Keeps every mail the SMTP server receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[EmailMessage] = []

    def handle_message(self, message: EmailMessage) -> None:
        self.messages.append(message)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Answers `fail_first` requests with 500, then 200; records every request."""

    url: str = ""
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
