"""Security headers on every response (pages, API, static files, errors), and Secure cookies.

A `before_send` hook of the app, not a route middleware: litestar runs it for every response,
including the 404 and 405 answers of its router, which route middleware never sees.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

# No inline script anywhere (odr.js is a file); style attributes are allowed (and only they):
# the server-drawn SVG charts size themselves with style="max-width:…" computed per chart, and
# a style attribute cannot run code. <style> blocks and inline event handlers stay forbidden.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}
# Browsers remember it for a year: sent only in production, where odr is served over HTTPS.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _secure_cookie(value: bytes) -> bytes:
    """A Set-Cookie value with the Secure flag (added when missing)."""
    flags = {part.strip().lower() for part in value.split(b";")[1:]}
    return value if b"secure" in flags else value + b"; Secure"


def security_headers(production: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """The hook that adds the security headers (and in production HSTS and Secure cookies)."""
    extra = {**HEADERS, **dict([HSTS])} if production else HEADERS

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers") or [])
        present = {name.lower() for name, _ in headers}
        if production:
            headers = [
                (name, _secure_cookie(value) if name.lower() == b"set-cookie" else value)
                for name, value in headers
            ]
        headers += [(name, value) for name, value in extra.items() if name not in present]
        message["headers"] = headers

    return add_headers
