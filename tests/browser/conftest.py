"""Browser tests: the app served by uvicorn on a free local port, driven by Debian's Chromium.

One server and one Chromium per pytest process (per xdist worker, each with its own database
from the root conftest). Playwright's sync API runs in the main thread; uvicorn runs its own
event loop in a background thread.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from odr.app import create_app
from odr.settings import Settings

# ODR_CHROMIUM only exists to try the skip/fail logic against a missing browser.
CHROMIUM = Path(os.environ.get("ODR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
# The README's screenshots are retaken with ODR_SCREENSHOTS=1; otherwise they go to a temporary
# folder, so a test run never changes the work tree.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TIMEOUT_MS = 10_000
MAX_SCREENSHOT_BYTES = 200 * 1024


_PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    item.stash.setdefault(_PHASE_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium: Python Playwright cannot download its own browsers here."""
    if not CHROMIUM.exists():
        reason = (
            f"browser tests need Chromium at {CHROMIUM}: "
            "apt-get install chromium fonts-wqy-microhei"
        )
        if IN_CI:
            pytest.fail(f"CI=true must not skip browser tests; {reason}", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(settings: Settings, demo_logins: dict[str, str]) -> Iterator[str]:
    """Base URL of create_app(settings) served by uvicorn in a background thread."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_config=None,  # leave logging to pytest, which shows the app's errors on failure
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="odr-live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/health/live", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the live server on port {port} did not start")
        time.sleep(0.05)
    yield base_url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    # Main thread, no running asyncio loop: the sync API starts its own.
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: Path) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def new_context(
    browser: Browser, live_server: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., BrowserContext]]:
    """Open a fresh browser context (its own cookies): `new_context(phone=True)` for the phone.

    Contexts close after the test; if the test failed, each open page is saved as a PNG first.
    """
    contexts: list[BrowserContext] = []

    def open_context(phone: bool = False, **options: Any) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **(PHONE if phone else DESKTOP),
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context

    reports = request.node.stash.get(_PHASE_REPORTS, {})
    failed = any(report.failed for report in reports.values())
    for c, context in enumerate(contexts):
        if failed:
            for p, page in enumerate(context.pages):
                path = tmp_path / f"failure-context{c}-page{p}.png"
                try:
                    page.screenshot(path=path, full_page=True)
                    print(f"browser page at failure ({page.url}): {path}")
                except Exception as exc:  # a crashed page must not hide the real failure
                    print(f"no screenshot of {page.url}: {exc}")
        context.close()


@pytest.fixture
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Page, str], Path]:
    """Save the visible part of a page (docs/screenshots/<name>.png with ODR_SCREENSHOTS=1).

    Pages are taken at their device pixel ratio (crisp phone shots) unless that makes the PNG
    bigger than MAX_SCREENSHOT_BYTES, in which case they are retaken at CSS pixels.
    """

    def take(page: Page, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise ValueError(f"screenshot names are lower-case words and dashes: {name!r}")
        folder = (
            DOCS_SCREENSHOTS
            if os.environ.get("ODR_SCREENSHOTS") == "1"
            else tmp_path_factory.getbasetemp() / "screenshots"
        )
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        options: dict[str, Any] = {"path": path, "animations": "disabled", "caret": "hide"}
        page.screenshot(scale="device", **options)
        if path.stat().st_size > MAX_SCREENSHOT_BYTES:
            page.screenshot(scale="css", **options)
        return path

    return take
