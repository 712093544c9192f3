"""Idempotency-Key for every POST of the API: a retried request gets the first answer and
creates nothing (draft-ietf-httpapi-idempotency-key-header).

The first request with a key claims it in the database before it runs; the answer is stored when
it is done (a 5xx frees the key for a retry). The same key with another body is refused (422),
and a retry while the first is still running gets 409. A claim with no answer after its lease
(ODR_IDEMPOTENCY_LEASE, 60 s) belongs to a process that died mid-request (SIGKILL, power): a retry takes it over and runs the
request again. A complaint the dead process had already filed is then found as the same open
case (odr/cases/service.py's duplicate rule) and answered with its number, not filed twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from odr.intake.models import IdempotencyKey

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
HEADER = b"idempotency-key"
MAX_KEY = 200


def _claim(
    factory: sessionmaker[Session],
    client: str,
    key: str,
    method: str,
    path: str,
    digest: str,
    lease: timedelta,
) -> IdempotencyKey | None:
    """Claim the key (None), or return the row of the request that claimed it first. A claim
    left unanswered past its lease by a dead process is taken over (None)."""
    now = datetime.now(UTC)
    try:
        with factory() as session, session.begin():
            session.add(
                IdempotencyKey(
                    client=client,
                    key=key,
                    method=method,
                    path=path,
                    request_sha256=digest,
                    created_at=now,
                )
            )
        return None
    except IntegrityError:
        pass
    with factory() as session, session.begin():
        where = (IdempotencyKey.client == client, IdempotencyKey.key == key)
        first = session.scalar(select(IdempotencyKey).where(*where))
        if first is None or first.status is not None or first.request_sha256 != digest:
            return first
        if first.created_at > now - lease:
            return first  # still running
        # One retry takes the dead claim over: the claim's moment is the compare-and-set.
        taken = session.execute(
            update(IdempotencyKey)
            .where(*where, IdempotencyKey.status.is_(None))
            .where(IdempotencyKey.created_at == first.created_at)
            .values(created_at=now)
            .execution_options(synchronize_session=False)
        )
        return None if taken.rowcount == 1 else first


def _finish(
    factory: sessionmaker[Session],
    client: str,
    key: str,
    status: int,
    content_type: str | None,
    body: bytes,
) -> None:
    with factory() as session, session.begin():
        where = (IdempotencyKey.client == client, IdempotencyKey.key == key)
        if status >= 500:  # the request failed: let a retry run it again
            session.execute(delete(IdempotencyKey).where(*where))
        else:
            session.execute(
                update(IdempotencyKey)
                .where(*where)
                .values(status=status, content_type=content_type, body=body)
            )


async def _problem(send: Send, status: int, detail: str) -> None:
    body = json.dumps(
        {"type": "about:blank", "title": "Idempotency-Key", "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/problem+json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    """ASGI middleware for POST requests under /api/ that carry an Idempotency-Key."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        raw_key = headers.get(HEADER)
        if raw_key is None or scope["method"] != "POST" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY:
            await _problem(send, 400, f"Idempotency-Key must be 1 to {MAX_KEY} characters")
            return

        chunks: list[bytes] = []
        while True:  # the body is read once here and handed on unchanged
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        digest = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()
        client = hashlib.sha256(headers.get(b"authorization", b"public")).hexdigest()
        factory = scope["app"].state["session_factory"]
        lease = timedelta(seconds=scope["app"].state["settings"].idempotency_lease_seconds)

        first = await to_thread.run_sync(
            _claim, factory, client, key, "POST", scope["path"], digest, lease
        )
        if first is not None:
            if first.request_sha256 != digest:
                await _problem(send, 422, "this Idempotency-Key was used for another request")
            elif first.status is None:
                await _problem(send, 409, "the first request with this key is still running")
            else:
                reply_headers = [(b"idempotent-replayed", b"true")]
                if first.content_type:
                    reply_headers.append((b"content-type", first.content_type.encode()))
                await send(
                    {
                        "type": "http.response.start",
                        "status": first.status,
                        "headers": reply_headers,
                    }
                )
                await send({"type": "http.response.body", "body": first.body or b""})
            return

        sent = False

        async def replay_body() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status, content_type, answer = 500, None, bytearray()

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                answer.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            await to_thread.run_sync(
                _finish, factory, client, key, status, content_type, bytes(answer)
            )
