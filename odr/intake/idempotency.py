"""Idempotency-Key for every POST of the API: a retried request gets the first answer and
creates nothing (draft-ietf-httpapi-idempotency-key-header).

The first request with a key claims it in the database before it runs; the answer is stored when
it is done (a 5xx frees the key for a retry). Claims and answers are written through the
process's group commit (odr/db/group_commit.py), many requests' to a transaction. A key
belongs to the caller's credentials, or for an anonymous caller to the request itself
(client_scope): the same key with another body is refused (422) for a caller with credentials
and is another key for an anonymous one; a retry while the first is still running gets 409. A claim with no answer after its lease
(ODR_IDEMPOTENCY_LEASE, 60 s) belongs to a process that died mid-request (SIGKILL, power): a retry takes it over and runs the
request again. A complaint the dead process had already filed is then found as the same open
case (odr/cases/service.py's duplicate rule) and answered with its number, not filed twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPDisconnectEvent,
    HTTPRequestEvent,
    Message,
    Receive,
    Scope,
    Send,
)
from sqlalchemy import CursorResult, bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from odr.clock import utcnow
from odr.db.engine import database_unavailable
from odr.db.group_commit import GroupCommit
from odr.intake.models import IdempotencyKey

log = logging.getLogger("odr.intake")
HEADER = b"idempotency-key"
MAX_KEY = 200


def request_digest(path: str, body: bytes) -> str:
    """SHA-256 of a request's path and body: a key's retries must send the same."""
    return hashlib.sha256(path.encode() + b"\n" + body).hexdigest()


def client_scope(authorization: bytes | None, digest: str) -> str:
    """Whose key it is. A caller with credentials: the credentials. An anonymous caller: the
    request itself (path and body, which holds the complainant's phone), since anyone may send
    an anonymous key: another caller who guessed or saw a key would otherwise be answered with
    the first caller's access code, or squat the key (422 for the rightful caller)."""
    if authorization:
        return hashlib.sha256(authorization).hexdigest()
    return hashlib.sha256(b"anonymous\n" + digest.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    client: str
    key: str
    path: str
    digest: str  # of the request's path and body
    lease: timedelta


def claim_keys(session: Session, claims: Sequence[Claim]) -> list[IdempotencyKey | None]:
    """For each claim: None when the request is to run (its key is new, or a claim left
    unanswered past its lease by a dead process is taken over), or the row of the request that
    claimed the key first. The same key twice in one batch: the second finds the first's claim.
    Two processes claiming one key at once: the later insert fails (IntegrityError), and the
    group commit tries each claim of its batch again alone."""
    now = utcnow()
    # One query for the batch: an anonymous caller's keys each have a client of their own.
    pairs = sorted({(claim.client, claim.key) for claim in claims})
    stored: dict[tuple[str, str], IdempotencyKey] = {
        (row.client, row.key): row
        for row in session.scalars(
            select(IdempotencyKey).where(
                tuple_(IdempotencyKey.client, IdempotencyKey.key).in_(pairs)
            )
        )
    }
    results: list[IdempotencyKey | None] = []
    new: list[dict[str, Any]] = []
    for claim in claims:
        first = stored.get((claim.client, claim.key))
        if first is None:
            values: dict[str, Any] = {
                "client": claim.client,
                "key": claim.key,
                "method": "POST",
                "path": claim.path,
                "request_sha256": claim.digest,
                "created_at": now,
            }
            new.append(values)
            stored[(claim.client, claim.key)] = IdempotencyKey(**values)  # a repeat finds it
            results.append(None)
        elif (
            first.status is None
            and first.request_sha256 == claim.digest
            and (first.created_at <= now - claim.lease)
        ):
            results.append(_take_over(session, first, now))
        else:
            results.append(first)  # answered, still running, or another request's
    if new:  # one executemany (the ORM's flush cost more than the rest of the claim)
        session.execute(insert(IdempotencyKey.__table__), new)
    return results


def _take_over(session: Session, dead: IdempotencyKey, now: datetime) -> IdempotencyKey | None:
    """One retry takes a dead claim over: the claim's moment is the compare-and-set."""
    taken = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.client == dead.client, IdempotencyKey.key == dead.key)
        .where(IdempotencyKey.status.is_(None), IdempotencyKey.created_at == dead.created_at)
        .values(created_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], taken).rowcount != 1:
        return dead
    dead.created_at = now  # a retry later in the batch finds it running
    return None


@dataclass(frozen=True)
class Answer:
    client: str
    key: str
    status: int
    content_type: str | None
    body: bytes


def store_answers(session: Session, answers: Sequence[Answer]) -> list[None]:
    """Keep each request's answer for its retries; a 5xx frees its key for a retry instead."""
    table = IdempotencyKey.__table__
    where = (table.c.client == bindparam("w_client"), table.c.key == bindparam("w_key"))
    failed = [{"w_client": a.client, "w_key": a.key} for a in answers if a.status >= 500]
    done = [
        {
            "w_client": a.client,
            "w_key": a.key,
            "status": a.status,
            "content_type": a.content_type,
            "body": a.body,
        }
        for a in answers
        if a.status < 500
    ]
    connection = session.connection()
    if failed:
        connection.execute(delete(table).where(*where), failed)
    if done:
        connection.execute(update(table).where(*where), done)
    return [None] * len(answers)


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
    await send({"type": "http.response.body", "body": body, "more_body": False})


class IdempotencyMiddleware:
    """ASGI middleware for POST requests under /api/ that carry an Idempotency-Key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
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
            if message["type"] != "http.request":  # the client left: the body ends here
                break
            chunks.append(message["body"])
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        digest = request_digest(scope["path"], body)
        client = client_scope(headers.get(b"authorization"), digest)
        state = scope["app"].state
        group_commit: GroupCommit = state["group_commit"]
        lease = timedelta(seconds=state["settings"].idempotency_lease_seconds)
        try:
            first = await group_commit.run(
                claim_keys, Claim(client, key, scope["path"], digest, lease)
            )
        except IntegrityError:  # another process claimed it a moment ago
            await _problem(send, 409, "the first request with this key is still running")
            return
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
                await send(
                    {"type": "http.response.body", "body": first.body or b"", "more_body": False}
                )
            return

        sent = False

        async def replay_body() -> HTTPRequestEvent | HTTPDisconnectEvent:
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
            await _store(group_commit, Answer(client, key, status, content_type, bytes(answer)))


# Answers kept for their keys while the database is away (a reference, or the task is lost).
_storing: set[asyncio.Task[None]] = set()
STORE_RETRY_FIRST, STORE_RETRY_MAX = 0.5, 10.0  # seconds between tries, doubling


async def _store(group_commit: GroupCommit, answer: Answer) -> None:
    """Keep the answer for the key's retries (or free the key after a 5xx). The answer may have
    gone out already when the database went away: the key would then answer 409 until its
    lease ran out, and the retry after it would find the case as a duplicate, without the
    access code of the first answer. So it is stored once the database answers again, by a
    task of its own (the request is done), never left half-claimed while the process lives."""
    try:
        await group_commit.run(store_answers, answer)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        log.warning("Idempotency-Key answer not stored, the database is away: storing it later")
        task = asyncio.get_running_loop().create_task(_store_when_back(group_commit, answer))
        _storing.add(task)
        task.add_done_callback(_storing.discard)


async def _store_when_back(group_commit: GroupCommit, answer: Answer) -> None:
    delay = STORE_RETRY_FIRST
    while True:
        await asyncio.sleep(delay)
        try:
            await group_commit.run(store_answers, answer)
        except Exception as exc:
            if not database_unavailable(exc):
                log.exception("Idempotency-Key answer not stored")
                return
            delay = min(delay * 2, STORE_RETRY_MAX)
        else:
            log.info("Idempotency-Key answer stored now that the database answers again")
            return


def purge_replays(
    factory: sessionmaker[Session], cutoff: datetime, *, dry_run: bool = False, batch: int = 1000
) -> int:
    """Delete the stored answers claimed before `cutoff` (they keep response bodies, personal
    data: `odr privacy purge` ends them with the cases); how many (would) go."""
    old = IdempotencyKey.created_at < cutoff
    if dry_run:
        with factory() as session:
            return session.scalar(select(func.count()).where(old)) or 0
    deleted = 0
    while True:  # a batch a transaction: no lock held on many rows for long
        with factory() as session, session.begin():
            ids = select(IdempotencyKey.id).where(old).order_by(IdempotencyKey.id).limit(batch)
            done = session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids)))
            deleted += cast(CursorResult[Any], done).rowcount
        if cast(CursorResult[Any], done).rowcount < batch:
            return deleted
