"""For the web capture tests: a guard that stops any connection (or name lookup) outside
127.0.0.0/8 before a packet leaves, a resolver stub for test host names, and a local web server
with the pages the tests capture.

The guard wraps socket.socket.connect / connect_ex and socket.getaddrinfo in this process. The
capture's browser reaches the network only through the gate, a SOCKS5 proxy in this process
(odr/captures/gate.py), and resolves no name itself (its launch flags, checked in
test_capture.py): every connection it makes is one the gate makes here, under the guard.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# Test host names and what the stub answers; the *.private ones point inside a network.
TEST_HOSTS = {
    "shop.test": ["127.0.0.1"],
    "cdn.test": ["127.0.0.1"],
    "internal.test": ["10.0.0.5"],
    "metadata.test": ["169.254.169.254"],
    "mixed.test": ["127.0.0.1", "192.168.1.10"],
}


def _png() -> bytes:
    """A 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))
        )

    header = struct.pack("!IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xcc\x33\x33")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()


class OutsideLoopback(AssertionError):
    """A test tried to reach an address outside 127.0.0.0/8 (stopped before any packet)."""


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


class Guard:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    def check(self, what: str, host: str) -> None:
        if not is_loopback(host):
            self.attempts.append(f"{what} {host}")
            raise OutsideLoopback(f"{what} outside loopback attempted: {host}")


@contextlib.contextmanager
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    """Within: a connection or lookup outside loopback raises OutsideLoopback at once (before
    the real call) and is remembered; on leaving, any attempt fails the test."""
    guard = Guard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard.check("connection to", str(address[0]))
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard.check("connection to", str(address[0]))
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None:
            name = host.decode() if isinstance(host, bytes) else str(host)
            guard.check("name lookup of", name)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield guard
    monkeypatch.undo()
    assert not guard.attempts, f"connections outside loopback were attempted: {guard.attempts}"


class StubResolver:
    """The resolver the gate uses in tests: TEST_HOSTS, loopback literals; nothing else."""

    def __init__(self, hosts: dict[str, list[str]] | None = None) -> None:
        self.hosts = dict(TEST_HOSTS if hosts is None else hosts)
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host in self.hosts:
            return list(self.hosts[host])
        if host == "localhost":
            return ["127.0.0.1"]
        raise OSError(f"{host}: not a test host")


class Pages:
    """What the test server serves; `price` changes what /listing shows."""

    def __init__(self) -> None:
        self.price = "99.00"
        self.released = threading.Event()
        self.port = 0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        pages = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _html(self, body: str, status: int = 200) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Shop", "test")
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, location: str, status: int = 302) -> None:
                self.send_response(status)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/listing":
                    self._html(
                        "<!doctype html><html><head><title>阳光玫瑰葡萄</title></head><body>"
                        f"<h1>阳光玫瑰葡萄 2斤装</h1><p class='price'>价格 ¥{pages.price}</p>"
                        "<p>七天无理由退货</p><img src='/logo.png' alt=''></body></html>"
                    )
                elif path == "/logo.png":
                    data = PNG
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif path == "/go":
                    self._redirect(f"http://shop.test:{pages.port}/hop", 301)
                elif path == "/hop":
                    self._redirect("/listing", 302)
                elif path == "/to-private":
                    self._redirect("http://internal.test/admin", 302)
                elif path == "/to-metadata":
                    self._redirect("http://169.254.169.254/latest/meta-data/", 302)
                elif path == "/with-private-parts":
                    self._html(
                        "<!doctype html><html><body><h1>店铺首页</h1>"
                        "<img src='http://internal.test/secret.png' alt=''>"
                        "<img src='http://192.168.1.1/router.png' alt=''>"
                        "<script src='http://metadata.test/latest.js'></script>"
                        "<img src='/logo.png' alt=''></body></html>"
                    )
                elif path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"<!doctype html><html><body><h1>loading")
                    self.wfile.flush()
                    pages.released.wait(60)  # never finishes while the test runs
                elif path == "/huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = ("<p>" + "很长的页面 " * 2000 + "</p>").encode()
                    try:
                        for _ in range(400):  # about 10 MB
                            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.write(b"0\r\n\r\n")
                    except OSError:
                        pass  # the gate cut the connection: the size limit
                else:
                    self._html("<h1>not found</h1>", 404)

        return Handler


@contextlib.contextmanager
def serving_pages() -> Iterator[Pages]:
    """The test pages served on 127.0.0.1 (a free port) from a thread."""
    pages = Pages()
    server = ThreadingHTTPServer(("127.0.0.1", 0), pages.handler())
    server.daemon_threads = True
    pages.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="capture-test-site", daemon=True)
    thread.start()
    try:
        yield pages
    finally:
        pages.released.set()
        server.shutdown()
        server.server_close()
        time.sleep(0)
