"""Captures by Debian's Chromium of pages served on 127.0.0.1, through the gate."""

from __future__ import annotations

import io

import pytest
from capture_net import Pages, StubResolver
from warcio.archiveiterator import ArchiveIterator

from odr.captures.browser import CHROMIUM_ARGS, Limits, _launch_args, capture
from odr.captures.gate import Gate
from odr.settings import Settings


@pytest.fixture
def limits(capture_settings: Settings) -> Limits:
    return Limits(
        seconds=capture_settings.capture_time_limit_seconds,
        bytes=capture_settings.capture_max_bytes,
        chromium=capture_settings.capture_browser,
        allow_loopback=True,
    )


def records(warc: bytes) -> list[tuple[str, str, bytes]]:
    """(type, target URI, payload) of every record of a WARC, read back with warcio."""
    found = []
    for record in ArchiveIterator(io.BytesIO(warc)):
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        found.append((record.rec_type, uri, record.content_stream().read()))
    return found


def test_the_browser_reaches_out_only_through_the_gate() -> None:
    args = _launch_args(4321)
    assert "--proxy-server=socks5://127.0.0.1:4321" in args
    assert "--proxy-bypass-list=<-loopback>" in args  # loopback through the gate too
    assert any(a.startswith("--host-resolver-rules=MAP * ~NOTFOUND") for a in CHROMIUM_ARGS)
    assert "--force-webrtc-ip-handling-policy=disable_non_proxied_udp" in args


def test_a_listing_is_kept_as_it_was_captured(
    pages: Pages, limits: Limits, resolver: StubResolver
) -> None:
    url = f"http://shop.test:{pages.port}/listing"
    first = capture(url, limits, resolver)
    assert first.status == "done", first.error
    pages.price = "199.00"  # the shop raises the price after the capture
    second = capture(url, limits, resolver)
    assert second.status == "done", second.error
    assert first.final_url == url and first.http_status == 200
    assert ("X-Shop", "test") in first.headers
    assert first.screenshot and first.screenshot.startswith(b"\x89PNG")
    assert first.browser_version and first.browser_version.startswith("Chromium")
    assert first.started_at and first.finished_at and first.started_at <= first.finished_at
    assert first.server_address == "127.0.0.1"
    kept = {uri: body for kind, uri, body in records(first.warc or b"") if kind == "response"}
    later = {uri: body for kind, uri, body in records(second.warc or b"") if kind == "response"}
    assert "¥99.00".encode() in kept[url] and "¥199.00".encode() not in kept[url]
    assert "¥199.00".encode() in later[url]
    assert f"http://shop.test:{pages.port}/logo.png" in kept  # the sub-resources too
    assert records(first.warc or b"")[0][0] == "warcinfo"


def test_a_redirect_chain_is_followed_and_recorded(
    pages: Pages, limits: Limits, resolver: StubResolver
) -> None:
    result = capture(f"http://127.0.0.1:{pages.port}/go", limits, resolver)
    assert result.status == "done", result.error
    assert result.final_url == f"http://shop.test:{pages.port}/listing"
    assert [(hop["status"], hop["url"]) for hop in result.redirects] == [
        (301, f"http://127.0.0.1:{pages.port}/go"),
        (302, f"http://shop.test:{pages.port}/hop"),
    ]
    uris = [uri for kind, uri, _ in records(result.warc or b"") if kind == "response"]
    assert f"http://127.0.0.1:{pages.port}/go" in uris


def test_a_page_that_never_finishes_meets_the_time_limit(
    pages: Pages, limits: Limits, resolver: StubResolver
) -> None:
    limits.seconds = 3.0
    result = capture(f"http://shop.test:{pages.port}/slow", limits, resolver)
    assert result.status == "failed"
    assert result.error and result.error.startswith("time limit")
    assert result.screenshot is None and result.warc is None


def test_a_huge_page_meets_the_size_limit(
    pages: Pages, limits: Limits, resolver: StubResolver
) -> None:
    result = capture(f"http://shop.test:{pages.port}/huge", limits, resolver)
    assert result.status == "failed"
    assert result.error and result.error.startswith("size limit")
    assert result.warc is None


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
def test_a_redirect_inside_the_network_is_refused(
    pages: Pages, limits: Limits, resolver: StubResolver, path: str
) -> None:
    result = capture(f"http://shop.test:{pages.port}{path}", limits, resolver)
    assert result.status == "refused", result.error
    assert result.error and ("10.0.0.5" in result.error or "169.254.169.254" in result.error)
    assert result.screenshot is None


@pytest.mark.parametrize(
    "url", ["http://internal.test/", "http://10.0.0.5/", "http://[fd00::1]/", "file:///etc/passwd"]
)
def test_a_url_inside_the_network_is_refused_before_the_browser_starts(
    limits: Limits, resolver: StubResolver, url: str
) -> None:
    result = capture(url, limits, resolver)
    assert result.status == "refused"
    assert result.browser_version is None  # no browser was started


def test_loopback_is_refused_without_the_test_setting(
    pages: Pages, limits: Limits, resolver: StubResolver
) -> None:
    limits.allow_loopback = False
    result = capture(f"http://shop.test:{pages.port}/listing", limits, resolver)
    assert result.status == "refused" and "loopback" in (result.error or "")


def test_sub_resources_inside_the_network_are_blocked(
    pages: Pages, limits: Limits, resolver: StubResolver
) -> None:
    result = capture(f"http://shop.test:{pages.port}/with-private-parts", limits, resolver)
    assert result.status == "done", result.error
    blocked = {b["url"] for b in result.blocked}
    assert blocked == {
        "http://internal.test/secret.png",
        "http://192.168.1.1/router.png",
        "http://metadata.test/latest.js",
    }
    uris = [uri for kind, uri, _ in records(result.warc or b"") if kind == "response"]
    assert f"http://shop.test:{pages.port}/logo.png" in uris
    assert not any("internal.test" in u or "192.168" in u for u in uris)


def test_a_host_is_resolved_once_and_pinned(pages: Pages) -> None:
    """DNS rebinding: a name that answers loopback at the check and a private address later
    is still reached at the checked address (the second answer is never asked for)."""
    answers = iter([["127.0.0.1"], ["10.0.0.9"], ["10.0.0.9"]])
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    gate = Gate(rebinding, allow_loopback=True, byte_limit=10**6)
    assert str(gate.address_of("rebind.test", pages.port)) == "127.0.0.1"
    assert str(gate.address_of("rebind.test", pages.port)) == "127.0.0.1"
    assert asked == ["rebind.test"]
