"""Apps of our own for the operations tests: low rate limits, Redis, a database at an old revision."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import TestClient

from odr.app import create_app
from odr.settings import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("ODR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class FormClient:
    """A TestClient that echoes the CSRF cookie in its forms, as a browser's form would."""

    def __init__(self, client: TestClient):
        self.client = client

    def post(self, url: str, data: dict[str, Any], **kwargs: Any):  # type: ignore[no-untyped-def]
        if "odr_csrf" not in self.client.cookies:
            self.client.get("/track")
        form = {"_csrf_token": self.client.cookies["odr_csrf"], **data}
        return self.client.post(url, data=form, **kwargs)

    def get(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kwargs)


@pytest.fixture
def make_app(settings: Settings, demo_logins: dict[str, str]) -> Callable[..., Litestar]:
    """create_app with some settings changed (the shared test database and demo users)."""

    def make(**changes: Any) -> Litestar:
        return create_app(replace(settings, **changes))

    return make


@pytest.fixture
def open_client() -> Iterator[Callable[[Litestar], FormClient]]:
    """Open TestClients (lifespan running) on apps; all closed at the end of the test."""
    opened: list[TestClient] = []

    def open_(app: Litestar) -> FormClient:
        client = TestClient(app, base_url="http://127.0.0.1")
        client.__enter__()
        opened.append(client)
        return FormClient(client)

    yield open_
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def run_async() -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """Run a coroutine in a fresh event loop of its own thread (browser tests keep one running)."""

    def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    return run


@pytest.fixture
def redis_url(redis_prefix: str) -> str:
    """The real Redis of the tests (needs redis_prefix: skips, or fails under CI, without one)."""
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test on the real Redis (skip without one, except under CI=true)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        client.close()
        if IN_CI:
            pytest.fail(f"CI=true needs Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"needs Redis at {REDIS_URL} (set ODR_TEST_REDIS_URL): {exc}")
    prefix = f"odr-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Litestar], str]]:
    """Serve apps with uvicorn on free local ports (a real peer address per client); base URLs."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: Litestar) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


class PeerClient:
    """An HTTP client whose connections come from one loopback address (127.0.0.2, ...)."""

    def __init__(self, base_url: str, address: str):
        transport = httpx.HTTPTransport(local_address=address)
        self.client = httpx.Client(base_url=base_url, transport=transport)

    def post(self, url: str, data: dict[str, Any], **kwargs: Any) -> httpx.Response:
        if "odr_csrf" not in self.client.cookies:
            self.client.get("/track")
        form = {"_csrf_token": self.client.cookies["odr_csrf"], **data}
        return self.client.post(url, data=form, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)
