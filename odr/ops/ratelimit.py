"""Rate limits on guessing: failed logins and tracking lookups, per address and per account/case.

A failure (a wrong password, a wrong case number or access code) counts against the client's
address, and against the account or case it tried *from that address*; past either limit, that
address is refused with 429 until the window ends, a right answer too (else the 429 would only
hide the failures). The count on an account or case is per address so that a stranger who
guesses at a case number cannot lock its owner out: the owner, from anywhere else, still gets in.
What keeps guessing infeasible is the size of the secret against the attempts an address may
make (the README's Security section has the arithmetic); IPv6 addresses count by their /64, the
block one subscriber gets, so a single machine cannot multiply its allowance.
Only failures count: fifty colleagues behind one office NAT log in at nine without tripping it.
The account lockout in odr/auth/service.py still applies on top (it lives in the database).

Not litestar's RateLimitMiddleware: it counts every request by one identifier, and its
read-then-write of the store is not atomic across processes; ours is an INCR (odr/ops/stores.py).
The attempt is counted before the handler runs and given back when it succeeds, so a burst of
parallel guesses cannot all slip through before the first is counted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from odr.ops import pages
from odr.ops.metrics import RATE_LIMITED
from odr.settings import Settings

Subject = Callable[[Request], Awaitable[str]]


async def _form_field(request: Request, name: str) -> str:
    form = await request.form()  # litestar keeps the parsed form: the handler reads it again
    return str(form.get(name, "")).strip().lower()[:80]


async def login_account(request: Request) -> str:
    return await _form_field(request, "username")


async def tracked_case(request: Request) -> str:
    """The case number of a lookup: from the path (API) or from the /track form."""
    number = request.path_params.get("number")
    if number is None:
        number = await _form_field(request, "number")
    return str(number).strip().lower()[:32]


def client_address(request: Request) -> str:
    # Behind a proxy uvicorn puts the forwarded address here (--forwarded-allow-ips).
    return address_block(request.client.host if request.client else "unknown")


def address_block(host: str) -> str:
    """The addresses whose failures count together: one IPv4 address, or an IPv6 /64."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def rate_limited(
    name: str, subject: Subject, failures: frozenset[int] = frozenset({400, 401, 404})
) -> Callable[[ASGIApp], ASGIApp]:
    """Route middleware: refuse with 429 after too many failed attempts (statuses in `failures`)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            litestar_app = scope["litestar_app"]
            settings: Settings = litestar_app.state["settings"]
            counters = litestar_app.state["rate_limit_counters"]
            request: Request[Any, Any, Any] = litestar_app.request_class(scope, receive)
            window = settings.rate_limit_window_seconds
            address = client_address(request)
            keys = {f"{name}:address:{address}": settings.rate_limit_per_address}
            if tried := await subject(request):  # an empty form names no account or case
                keys[f"{name}:subject:{tried}:from:{address}"] = settings.rate_limit_per_subject
            retry_after = 0
            for key, limit in keys.items():
                hits, seconds_left = await counters.hit(key, window)
                if hits > limit:
                    retry_after = max(retry_after, seconds_left)
            if retry_after:
                RATE_LIMITED.labels(name).inc()
                await pages.too_many_requests(request, retry_after)(scope, receive, send)
                return
            status = 500

            async def remember_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            await app(scope, receive, remember_status)
            if status not in failures:
                for key in keys:
                    await counters.undo(key)

        return limited

    return middleware


login_limit = rate_limited("login", login_account)
tracking_limit = rate_limited("tracking", tracked_case)
