"""Where sessions and rate-limit counters live: Redis when ODR_REDIS_URL is set, else here.

Without Redis, sessions are signed cookies (nothing kept on the server) and the counters live in
this process, which is right for one process. Several `odr serve` processes behind a load balancer
must share them: then sessions are server-side in litestar's RedisStore and the counters are Redis
keys, so a login on one process counts, and holds, on every other.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from litestar import Litestar
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.exceptions import RedisError

from odr.settings import Settings

SESSION_COOKIE = "odr_session"
SESSION_SECONDS = 8 * 3600


class Counters(Protocol):
    """Fixed-window counters: `hit` adds one and says how many, and how long the window lasts."""

    async def hit(self, key: str, window: int) -> tuple[int, int]: ...

    async def undo(self, key: str) -> None: ...

    async def reachable(self) -> bool: ...


class RedisCounters:
    """Counters as Redis keys: INCR is atomic, so processes racing each other all count."""

    def __init__(self, redis: Redis, namespace: str):
        self.redis = redis
        self.namespace = namespace

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        name = f"{self.namespace}:{key}"
        async with self.redis.pipeline(transaction=True) as pipe:
            # SET NX starts the window once; INCR and TTL run in the same transaction.
            pipe.set(name, 0, ex=window, nx=True)
            pipe.incr(name)
            pipe.ttl(name)
            _, hits, ttl = await pipe.execute()
        return int(hits), max(int(ttl), 1)

    async def undo(self, key: str) -> None:
        name = f"{self.namespace}:{key}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.decr(name)
            pipe.ttl(name)
            left, ttl = await pipe.execute()
        if int(left) <= 0 or int(ttl) < 0:
            await self.redis.delete(name)

    async def reachable(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False


@dataclass
class MemoryCounters:
    """Counters in this process (one event loop: no await between read and write)."""

    windows: dict[str, tuple[int, float]] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        now = self.clock()
        hits, ends = self.windows.get(key, (0, now + window))
        if ends <= now:
            hits, ends = 0, now + window
        self.windows[key] = (hits + 1, ends)
        if len(self.windows) > 100_000:  # forget finished windows now and then
            self.windows = {k: v for k, v in self.windows.items() if v[1] > now}
        return hits + 1, max(int(ends - now + 0.999), 1)

    async def undo(self, key: str) -> None:
        if key in self.windows:
            hits, ends = self.windows[key]
            if hits <= 1:
                del self.windows[key]
            else:
                self.windows[key] = (hits - 1, ends)

    async def reachable(self) -> bool:
        return True


# Paths that never read a login session: the APIs take tokens, the probes nothing.
NO_SESSION = ["^/api/", "^/health/", "^/metrics$", "^/schema"]  # patterns (re.search)


@dataclass
class SessionsAndCounters:
    """The session middleware, the stores it needs, the counters, and a lifespan that closes Redis."""

    session_middleware: DefineMiddleware
    stores: dict[str, Store]
    counters: Counters
    lifespan: Callable[[Litestar], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def _nothing(_app: Litestar) -> AsyncIterator[None]:
    yield


def make_stores(settings: Settings, secret: bytes) -> SessionsAndCounters:
    """Redis-backed sessions and counters when ODR_REDIS_URL is set; otherwise cookies and memory."""
    if not settings.redis_url:
        cookie = CookieBackendConfig(
            secret=secret, key=SESSION_COOKIE, max_age=SESSION_SECONDS, exclude=NO_SESSION
        )
        return SessionsAndCounters(cookie.middleware, {}, MemoryCounters(), _nothing)
    redis = Redis.from_url(settings.redis_url)
    prefix = settings.redis_prefix

    @asynccontextmanager
    async def close_redis(_app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:  # connections belong to this event loop: drop them with it
            await redis.connection_pool.disconnect()

    server_side = ServerSideSessionConfig(
        key=SESSION_COOKIE, max_age=SESSION_SECONDS, store="sessions", exclude=NO_SESSION
    )
    return SessionsAndCounters(
        server_side.middleware,
        {"sessions": RedisStore(redis, namespace=f"{prefix}:sessions")},
        RedisCounters(redis, f"{prefix}:limits"),
        close_redis,
    )
