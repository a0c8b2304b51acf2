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


class Signal:
    """A reusable wake-up for one waiting task, cheaper than an `anyio.Event` per wait.

    `set()` may be called any number of times from the event loop's thread; `wait(timeout)`
    returns once it has been set (or the timeout passed) and clears it. The sender and the
    connection writers wait on one of these in every round, thousands of times per second at
    linger 0, so it talks to the event loop directly instead of going through anyio's layers
    (each of which looks the running library up again).
    """

    __slots__ = ("_is_set", "_loop", "_trio_event", "_waiter")

    def __init__(self) -> None:
        self._is_set = False
        # Bound on the first wait: the object may be created outside the event loop.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._trio_event: anyio.Event | None = None

    def set(self) -> None:
        if self._is_set:
            return
        self._is_set = True
        waiter = self._waiter
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(None)
        elif self._trio_event is not None:
            self._trio_event.set()

    async def wait(self, timeout: float | None = None) -> None:
        """Waits until set or ``timeout`` seconds have passed; then clears the signal."""
        if not self._is_set:
            loop = self._loop
            if loop is None:
                if sniffio.current_async_library() == "asyncio":
                    loop = self._loop = asyncio.get_running_loop()
                else:
                    await self._wait_other(timeout)
                    self._is_set = False
                    return
            waiter = self._waiter = loop.create_future()
            timer = None if timeout is None else loop.call_later(timeout, _resolve, waiter)
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        self._is_set = False

    async def _wait_other(self, timeout: float | None) -> None:
        event = self._trio_event = anyio.Event()
        try:
            with anyio.move_on_after(timeout):
                await event.wait()
        finally:
            self._trio_event = None


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
