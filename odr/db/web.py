"""A request's unit of work, committed off the handler threads.

advanced-alchemy commits (or rolls back) a request's session in a before-send hook, and litestar
runs a sync hook on the same few threads as the sync handlers (min(32, CPUs + 4)). With more
requests at once than those threads, each thread waited in BEGIN IMMEDIATE for the write lock
held by a finished handler's transaction, whose commit waited for a thread: a stall until the
lock's wait ran out, then 500s. The hook now runs on threads of its own, so a commit never
waits behind the handlers it would let through.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from advanced_alchemy.extensions.litestar.plugins.init.config.sync import (
    autocommit_handler_maker,
)

_COMMITS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="odr-commit")


def autocommit_off_handler_threads(session_scope_key: str) -> Callable[[Any, Any], Any]:
    """advanced-alchemy's autocommit hook (a 2xx or 3xx commits, anything else rolls back),
    run on the commit threads, for the config whose sessions live under this scope key (each
    config of a process has its own: a hook reading another's would leave every transaction
    open)."""
    commit_or_rollback = autocommit_handler_maker(
        commit_on_redirect=True, session_scope_key=session_scope_key
    )

    async def hook(message: Any, scope: Any) -> None:
        if get_aa_scope_state(scope, session_scope_key) is None:
            return  # the request opened no session (the APIs, the probes): no thread hop
        bound = partial(contextvars.copy_context().run, commit_or_rollback, message, scope)
        await asyncio.get_running_loop().run_in_executor(_COMMITS, bound)

    return hook
