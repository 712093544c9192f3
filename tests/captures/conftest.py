"""Web capture tests: every one runs under the loopback guard (tests/capture_net.py)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from capture_net import Guard, Pages, StubResolver, loopback_only, serving_pages

from odr.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(autouse=True)
def guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    with loopback_only(monkeypatch) as watching:
        yield watching


@pytest.fixture
def resolver() -> StubResolver:
    return StubResolver()


@pytest.fixture
def pages() -> Iterator[Pages]:
    with serving_pages() as served:
        yield served


@pytest.fixture
def capture_settings(settings: Settings) -> Settings:
    """The test settings with loopback allowed and small limits."""
    if not CHROMIUM.exists():
        reason = "web capture tests need Chromium at /usr/bin/chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true must not skip them; {reason}", pytrace=False)
        pytest.skip(reason)
    return dataclasses.replace(
        settings,
        capture_allow_loopback=True,
        capture_time_limit_seconds=40.0,  # a loaded test machine; the slow page sets its own
        capture_max_bytes=1024 * 1024,
        capture_browser=CHROMIUM,
    )
