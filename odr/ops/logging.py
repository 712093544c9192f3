"""Logs: text for people, or JSON lines (ODR_LOG_FORMAT=json) for machines, without personal data.

A JSON line has time, level, logger and message; `case` when the record names a case number;
`request_id` while a request is being answered; access lines add method, route (the template, not
the raw path), status and duration_ms. What must never appear: names, phone numbers, addresses,
e-mail addresses, access codes. odr's own log calls name cases by number only. As a second line
of defence the JSON formatter masks phone numbers, e-mail addresses and the SQL parameters
SQLAlchemy puts in its error messages. The development channels (console SMS and e-mail, which
print the whole message, access code included) log to `odr.dev`, which JSON logging drops.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("odr_request_id", default=None)
access_log = logging.getLogger("odr.access")
DEV_LOGGER = "odr.dev"  # output meant for a developer's terminal only

CASE_NUMBER = re.compile(r"\bODR\d{14}\b")
_PHONE = re.compile(r"(?<![\dA-Za-z])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL)
_REQUEST_ID = re.compile(r"^[\w.:-]{1,64}$")


def redact(text: str) -> str:
    """Mask what looks like personal data: phone numbers, e-mail addresses, SQL parameters."""
    text = _SQL_PARAMETERS.sub("[parameters hidden]", text)
    text = _EMAIL.sub("[e-mail]", text)
    return _PHONE.sub("[phone]", text)


class ContextFilter(logging.Filter):
    """Adds the request id and, when the message names one, the case number."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (rid := getattr(record, "request_id", None)) is None:
            rid = record.request_id = request_id.get()
        # The text format shows the id in brackets; lines outside a request have none.
        record.request_tag = f" [{rid}]" if rid else ""
        if getattr(record, "case", None) is None:
            found = CASE_NUMBER.search(record.getMessage())
            record.case = found.group(0) if found else None
        return True


class DropDevelopment(logging.Filter):
    """JSON logs are for production: the development channels' output stays out."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == DEV_LOGGER or record.name.startswith(DEV_LOGGER + "."))


class OdrJsonFormatter(JsonFormatter):
    """One JSON object a line: time, level, logger, message, then the context fields."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = time.gmtime(record.created)
        return time.strftime("%Y-%m-%dT%H:%M:%S", moment) + f".{int(record.msecs):03d}Z"

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {
            key: redact(value) if isinstance(value, str) else value
            for key, value in log_data.items()
            # uvicorn's ANSI copy of the message; the text format's copy of the request id
            if value is not None and key not in {"color_message", "request_tag"}
        }


def make_handler(log_format: str = "text", stream: Any = None) -> logging.Handler:
    """A handler writing text, or JSON lines without the development channels, to `stream`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    if log_format == "json":
        handler.setFormatter(OdrJsonFormatter())
        handler.addFilter(DropDevelopment())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s")
        )
    return handler


def configure_logging(log_format: str = "text", verbose: bool = False) -> None:
    """The root handler on stderr, as text or JSON lines; quiet chatty libraries."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(log_format))
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


class AccessLogMiddleware:
    """Gives each request an id (X-Request-ID, echoed back) and logs one access line for it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders(message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("path_template") or "(unrouted)"
            number = (scope.get("path_params") or {}).get("number")
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                    "case": number if isinstance(number, str) else None,
                    # On the record itself, whatever handler formats it (not only ours).
                    "request_id": rid,
                },
            )
            request_id.reset(token)
