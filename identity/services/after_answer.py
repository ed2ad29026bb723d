"""Work done after the answer: what a "same answer" route does for a known address.

Forgot-password, sign-in links and the public verification resend answer at once, before
looking the address up, so the time to answer cannot tell a known address from an unknown
one. The lookup, the token and the mail (through the outbox) follow in a task tracked here;
``settle`` waits for every such task of the running loop (the runtime, at shutdown; tests,
before they look at the outbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

_pending: set[asyncio.Task[None]] = set()


def defer(work: Coroutine[Any, Any, None], *, name: str) -> None:
    """Run ``work`` once the caller has answered; failures are logged, never raised."""
    task = asyncio.get_running_loop().create_task(_guarded(work, name), name=name)
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _guarded(work: Coroutine[Any, Any, None], name: str) -> None:
    try:
        await work
    except Exception:
        log.exception("work after the answer failed: %s", name)


async def settle() -> None:
    """Wait until every deferred task of this event loop has finished (those it starts too)."""
    loop = asyncio.get_running_loop()
    while tasks := [task for task in _pending if task.get_loop() is loop and not task.done()]:
        await asyncio.wait(tasks)
