"""A request's session: GET and HEAD read without the write lock; commits run off the handler
threads.

A page read (GET, HEAD) begins its transaction as one that only reads (odr.db.engine.READS_ONLY):
on SQLite it never waits for a writer. A handler of those methods that writes says so with
`opt={"writes": True}`, and its transaction takes the write lock as every other does.

advanced-alchemy commits (or rolls back) a request's session in a before-send hook, and litestar
runs a sync hook on the same few threads as the sync handlers (min(32, CPUs + 4)). With more
writing requests at once than those threads, each thread waited in BEGIN IMMEDIATE for the write
lock held by a finished handler's transaction, whose commit waited for a thread: a stall until the
lock's wait ran out, then 500s. The hook runs on threads of its own, so a commit never waits
behind the handlers it would let through.

Reads that may lag a few seconds (dashboards, reports, public pages, search) declare the
`lagging_session` dependency instead of `db_session`: with a read replica
(ODR_DATABASE_REPLICA_URL) it is a session of the replica that only reads, opened for the request
and closed with it; without one, it is the request's own `db_session`. Everything else, writes
and the pages that show someone what they just did, reads the primary through `db_session`. (The
read/write routing of advanced-alchemy chooses an engine per statement and sends reads to a
replica unless told otherwise; here a request chooses once, the primary unless it says so, and a
transaction never mixes the two.)
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from advanced_alchemy.extensions.litestar import (
    SQLAlchemySyncConfig,
    sync_autocommit_handler_maker,
)
from litestar.datastructures import State
from litestar.types import Scope
from sqlalchemy.orm import Session, sessionmaker

from odr.db.engine import reads_only

READING_METHODS = frozenset({"GET", "HEAD"})
# Set in a request's ASGI scope once the request has a session: only such a request's commit
# hook takes a thread (the APIs and the probes open none).
SESSION_OPENED = "odr.session_opened"
# The dependency of reads that may lag a few seconds, and where its replica session is kept.
LAGGING_SESSION = "lagging_session"
_LAGGING_SCOPE_KEY = "odr.lagging_session"
# The ASGI messages after which a request's sessions are done with (as advanced-alchemy's hook).
_SESSION_ENDS = frozenset({"http.response.start", "http.disconnect"})

_COMMITS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="odr-commit")


@dataclass
class RequestSessions(SQLAlchemySyncConfig):
    """advanced-alchemy's session per request, its transaction reading only on GET and HEAD
    (unless the handler's opt says it writes), committed off the handler threads; with
    `lagging_reads` (a read replica's sessions), the `lagging_session` of reads that may lag."""

    lagging_reads: sessionmaker[Session] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.before_send_handler = _commit_off_handler_threads(self.session_scope_key)

    def provide_session(self, state: State, scope: Scope) -> Session:
        session = super().provide_session(state, scope)
        if SESSION_OPENED not in scope:
            scope[SESSION_OPENED] = True  # type: ignore[literal-required]  # our own key
            handler = scope.get("route_handler")
            writes = handler is not None and handler.opt.get("writes", False)
            if scope.get("method") in READING_METHODS and not writes:
                reads_only(session)
        return session

    def provide_lagging_session(self, state: State, scope: Scope) -> Session:
        """A session for reads that may lag a few seconds: the replica's, that only reads
        (closed when the response starts), or without a replica the request's own session."""
        if self.lagging_reads is None:
            return self.provide_session(state, scope)
        opened: Session | None = scope.get(_LAGGING_SCOPE_KEY)  # type: ignore[assignment]
        if opened is None:
            opened = reads_only(self.lagging_reads())
            scope[_LAGGING_SCOPE_KEY] = opened  # type: ignore[literal-required]  # our own key
            scope[SESSION_OPENED] = True  # type: ignore[literal-required]
        return opened


def _commit_off_handler_threads(session_scope_key: str) -> Callable[[Any, Any], Any]:
    """advanced-alchemy's autocommit hook (a 2xx or 3xx commits, anything else rolls back),
    run on the commit threads, for the config whose sessions live under this scope key (each
    config of a process has its own: a hook reading another's would leave every transaction
    open)."""
    commit_or_rollback = sync_autocommit_handler_maker(
        commit_on_redirect=True, session_scope_key=session_scope_key
    )

    def end(message: Any, scope: Any) -> None:
        try:
            commit_or_rollback(message, scope)
        finally:
            if message["type"] in _SESSION_ENDS and (
                lagging := scope.pop(_LAGGING_SCOPE_KEY, None)
            ):
                lagging.close()  # it only read: its transaction rolls back

    async def hook(message: Any, scope: Any) -> None:
        if SESSION_OPENED not in scope:
            return  # the request opened no session: no thread hop
        bound = partial(contextvars.copy_context().run, end, message, scope)
        await asyncio.get_running_loop().run_in_executor(_COMMITS, bound)

    return hook
