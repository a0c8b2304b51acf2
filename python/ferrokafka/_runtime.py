"""Background tasks that outlive the call that starts them, under asyncio and trio alike.

A producer is started in one call and closed in another, often from different tasks (a web
framework's startup and shutdown hooks), so its sender and connection readers cannot live in an
`async with` task group. Each runs as a detached task of the running event loop (a system task
under trio) inside its own cancel scope, and reports its end through an event that `join()` awaits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import anyio
import sniffio

log = logging.getLogger("ferrokafka")


def now_ms() -> int:
    """Monotonic milliseconds: every deadline of the producer is on this clock."""
    return time.monotonic_ns() // 1_000_000


def wall_ms() -> int:
    """Wall-clock milliseconds: record timestamps."""
    return time.time_ns() // 1_000_000


class BackgroundTask:
    """A detached task with `cancel()` and `join()`; it never raises into the event loop."""

    def __init__(self, fn: Callable[[], Awaitable[None]], name: str) -> None:
        self.name = name
        self._fn = fn
        self._scope = anyio.CancelScope()
        self._done = anyio.Event()
        self._asyncio_task: asyncio.Task[None] | None = None
        if sniffio.current_async_library() == "trio":
            import trio

            trio.lowlevel.spawn_system_task(self._run, name=name)
        else:
            # Keep a reference: the loop holds tasks weakly.
            self._asyncio_task = asyncio.get_running_loop().create_task(self._run(), name=name)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        self._scope.cancel()

    async def join(self) -> None:
        await self._done.wait()

    async def _run(self) -> None:
        try:
            with self._scope:
                await self._fn()
        except Exception:
            log.exception("background task %s failed", self.name)
        finally:
            self._done.set()
