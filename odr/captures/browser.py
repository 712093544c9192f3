"""One capture: Debian's Chromium, through Playwright, loads a URL behind the gate (gate.py) and
gives back a full-page screenshot, the responses as a WARC, and what the page said about itself.

Every request the page makes is checked twice: Playwright's route interception resolves and
checks its host before the browser sends it (blocked otherwise), and the browser can only
reach the network through the gate, which resolves, checks and pins each host again and
connects to the checked address alone. Redirects, which route interception does not see, and
WebSockets meet the gate. No downloads, no pop-ups, no service workers, no UDP (WebRTC).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FloatRect, Page, Request, Response, Route, sync_playwright
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from odr.captures.addresses import AddressRefused, Resolver, check_url
from odr.captures.gate import Gate, serving
from odr.clock import utcnow

log = logging.getLogger("odr.captures")

# The tallest screenshot taken (CSS pixels): a longer page is cut there, and the record says so.
MAX_SCREENSHOT_HEIGHT = 16_000
VIEWPORT = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-features=MediaRouter,DnsOverHttps,OptimizationHints",
    # WebRTC would send UDP around the proxy.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    # Chromium sends loopback straight out unless told otherwise: through the gate too.
    "--proxy-bypass-list=<-loopback>",
    # The browser resolves no name (SOCKS5 hands names to the gate); the gate's own address
    # is a literal.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@dataclass
class Limits:
    seconds: float
    bytes: int
    chromium: Path
    allow_loopback: bool = False


@dataclass
class Captured:
    """What a capture gives: the files (bytes) and the facts, or why it failed."""

    url: str
    status: str  # done / failed / refused
    error: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    redirects: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, str]] = field(default_factory=list)
    tls: dict[str, Any] | None = None
    server_address: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    browser_version: str | None = None
    odr_version: str = ""
    screenshot: bytes | None = None
    screenshot_cut: bool = False
    warc: bytes | None = None
    received_bytes: int = 0


def odr_version() -> str:
    try:
        return metadata.version("odr")
    except metadata.PackageNotFoundError:
        return "unknown"


def _launch_args(gate_port: int) -> list[str]:
    # Chromium will not start as root with its sandbox: run the worker as a user of its own,
    # and the pages it captures stay in the sandbox.
    as_root = ["--no-sandbox"] if os.geteuid() == 0 else []
    return [*CHROMIUM_ARGS, *as_root, f"--proxy-server=socks5://127.0.0.1:{gate_port}"]


def _route_check(gate: Gate, blocked: list[dict[str, str]]) -> Any:
    """The route handler: each request's URL checked (and its host resolved, pinned) first."""

    def handle(route: Route) -> None:
        url = route.request.url
        try:
            _, host, port = check_url(url)
            gate.address_of(host, port, record=False)
        except AddressRefused as exc:
            blocked.append({"url": url[:500], "reason": str(exc)})
            route.abort("blockedbyclient")
            return
        route.continue_()

    return handle


def _redirect_chain(response: Response) -> list[dict[str, Any]]:
    """The hops before the final response, first to last: (url, status, location)."""
    hops = []
    request: Request | None = response.request.redirected_from
    while request is not None:
        earlier = request.response()
        hops.append(
            {
                "url": request.url,
                "status": earlier.status if earlier else None,
                "location": earlier.headers.get("location") if earlier else None,
            }
        )
        request = request.redirected_from
    return list(reversed(hops))


def _warc(responses: list[Response], gate: Gate, about: dict[str, str]) -> bytes:
    """The responses as a gzipped WARC: a warcinfo record, then request and response records.
    Bodies are as the browser decoded them, so Content-Encoding is left out of their headers
    (and kept under X-Odr-Original-Content-Encoding)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("odr-capture.warc.gz", about))
    for response in responses:
        request = response.request
        try:
            body = b"" if 300 <= response.status < 400 else response.body()
        except PlaywrightError:
            body = b""  # gone (a redirected or aborted response): headers only
        headers = []
        for header in response.headers_array():
            name, value = header["name"], header["value"]
            lower = name.lower()
            if lower == "content-encoding":
                headers.append(("X-Odr-Original-Content-Encoding", value))
            elif lower not in ("content-length", "transfer-encoding"):
                headers.append((name, value))
        headers.append(("Content-Length", str(len(body))))
        host = urlsplit(response.url).hostname or ""
        warc_headers = {}
        if (address := gate.pinned.get(host.lower())) is not None:
            warc_headers["WARC-IP-Address"] = str(address)
        status = StatusAndHeaders(
            f"{response.status} {response.status_text or 'OK'}", headers, protocol="HTTP/1.1"
        )
        record = writer.create_warc_record(
            response.url,
            "response",
            payload=io.BytesIO(body),
            http_headers=status,
            warc_headers_dict=warc_headers,
        )
        writer.write_record(record)
        path = urlsplit(request.url)
        target = (path.path or "/") + (f"?{path.query}" if path.query else "")
        request_headers = StatusAndHeaders(
            f"{request.method} {target} HTTP/1.1",
            [(h["name"], h["value"]) for h in request.headers_array()],
            is_http_request=True,
        )
        request_record = writer.create_warc_record(
            request.url,
            "request",
            payload=io.BytesIO(request.post_data_buffer or b""),
            http_headers=request_headers,
            warc_headers_dict={"WARC-Concurrent-To": record.rec_headers["WARC-Record-ID"]},
        )
        writer.write_record(request_record)
    return out.getvalue()


def peer_certificate(host: str, port: int, address: str, timeout: float) -> dict[str, Any]:
    """The certificate the server at the checked address shows for the host: subject, issuer,
    validity and SHA-256 fingerprint (of its DER). A handshake of its own beside the browser's
    (whose certificate Playwright describes without its bytes), to the same pinned address."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the browser judged trust; here we only read it
    with (
        socket.create_connection((address, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        return {}
    cert = x509.load_der_x509_certificate(der)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "sha256": hashlib.sha256(der).hexdigest(),
    }


def _screenshot(page: Page, timeout_ms: float) -> tuple[bytes, bool]:
    """A full-page PNG, cut at MAX_SCREENSHOT_HEIGHT; (png, whether it was cut)."""
    height = page.evaluate(
        "Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"
    )
    if isinstance(height, int | float) and height > MAX_SCREENSHOT_HEIGHT:
        clip: FloatRect = {
            "x": 0,
            "y": 0,
            "width": VIEWPORT["width"],
            "height": MAX_SCREENSHOT_HEIGHT,
        }
        return page.screenshot(full_page=True, clip=clip, timeout=timeout_ms), True
    return page.screenshot(full_page=True, timeout=timeout_ms, animations="disabled"), False


def capture(url: str, limits: Limits, resolver: Resolver) -> Captured:
    """Capture a URL within the limits; never raises for what the page does. Playwright's
    sync API runs in a thread of its own, so that the caller may have an event loop."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="odr-capture-browser") as one:
        return one.submit(_capture, url, limits, resolver).result()


def _capture(url: str, limits: Limits, resolver: Resolver) -> Captured:
    result = Captured(url=url, status="failed", odr_version=odr_version())
    result.started_at = utcnow()
    try:
        _, host, port = check_url(url)
    except AddressRefused as exc:
        result.status, result.error = "refused", str(exc)
        result.finished_at = utcnow()
        return result
    gate = Gate(resolver, limits.allow_loopback, limits.bytes)
    deadline = time.monotonic() + limits.seconds
    try:
        gate.address_of(host, port)
        with serving(gate) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(limits.chromium),
                headless=True,
                args=_launch_args(server.port),
                timeout=limits.seconds * 1000,
            )
            try:
                result.browser_version = f"Chromium {browser.version}"
                _load(browser, url, limits, gate, result, deadline)
            finally:
                browser.close()
    except AddressRefused as exc:
        result.status, result.error = "refused", str(exc)
    except Exception as exc:  # the browser did not start, crashed, ...: a failed capture
        log.warning("capture of %s failed: %s", url, exc)
        result.status, result.error = "failed", f"{type(exc).__name__}: {str(exc)[:300]}"
    result.received_bytes = gate.received
    if gate.over_limit:
        result.status = "failed"
        result.error = f"size limit: the page sent more than {limits.bytes} bytes"
        result.screenshot = result.warc = None
    result.finished_at = utcnow()
    return result


def _remaining_ms(deadline: float) -> float:
    return max(1.0, (deadline - time.monotonic()) * 1000)


def _load(
    browser: Any, url: str, limits: Limits, gate: Gate, result: Captured, deadline: float
) -> None:
    context = browser.new_context(
        viewport=VIEWPORT,
        accept_downloads=False,
        service_workers="block",  # a service worker's requests would escape the route check
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.route("**/*", _route_check(gate, result.blocked))
    responses: list[Response] = []
    page = context.new_page()
    context.on("page", lambda popup: popup.close())  # no pop-ups: the first page only
    page.on("response", lambda response: responses.append(response))
    # The hosts the main frame's navigation went to, redirects included (route interception
    # sees no redirect; the gate does, and refuses it there).
    navigated: set[str] = set()

    def navigation(request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            navigated.add((urlsplit(request.url).hostname or "").lower())

    page.on("request", navigation)
    try:
        response = page.goto(url, wait_until="load", timeout=_remaining_ms(deadline))
    except PlaywrightError as exc:
        refused = [why for host, why in gate.refused if host in navigated]
        if refused:
            result.status, result.error = "refused", refused[-1]
        elif gate.over_limit:
            result.status = "failed"
        elif "Timeout" in type(exc).__name__ or "Timeout" in str(exc)[:40]:
            result.status = "failed"
            result.error = f"time limit: the page did not finish loading in {limits.seconds:g} s"
        else:
            result.status, result.error = "failed", str(exc).splitlines()[0][:300]
        context.close()
        return
    if response is None:
        result.status, result.error = "failed", "no response"
        context.close()
        return
    result.final_url = page.url
    result.http_status = response.status
    result.headers = [(h["name"], h["value"]) for h in response.headers_array()]
    result.redirects = _redirect_chain(response)
    final_host = (urlsplit(page.url).hostname or "").lower()
    if (address := gate.pinned.get(final_host)) is not None:
        result.server_address = str(address)
    result.screenshot, result.screenshot_cut = _screenshot(page, _remaining_ms(deadline))
    if urlsplit(page.url).scheme == "https" and result.server_address:
        try:
            details = response.security_details() or {}
            result.tls = {
                "browser": {k: details.get(k) for k in ("subjectName", "issuer", "protocol")},
                **peer_certificate(
                    final_host,
                    urlsplit(page.url).port or 443,
                    result.server_address,
                    max(1.0, deadline - time.monotonic()),
                ),
            }
        except (OSError, ValueError) as exc:
            result.tls = {"error": str(exc)[:200]}
    about = {
        "software": f"odr {result.odr_version}; {result.browser_version}",
        "format": "WARC File Format 1.1",
        "odr-capture-url": url,
        "odr-final-url": result.final_url or "",
    }
    result.warc = _warc(responses, gate, about)
    context.close()
    if time.monotonic() > deadline:
        result.status = "failed"
        result.error = f"time limit: the capture took longer than {limits.seconds:g} s"
        return
    result.status = "done"
