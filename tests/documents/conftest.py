"""A real SMTP server (aiosmtpd) for the papers' e-mail, and more browsers for the parties."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import TestClient
from peers import Inbox, free_port
from web_client import Browser


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def browser(app: Litestar) -> Callable[[], AbstractContextManager[Browser]]:
    """Another person's browser, with cookies of their own."""

    @contextmanager
    def opened() -> Iterator[Browser]:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield Browser(client)

    return opened
