"""Background tasks that outlive the call that starts them, under asyncio and trio alike.

A producer is started in one call and closed in another, often from different tasks (a web
framework's startup and shutdown hooks), so its sender and connection readers cannot live in an
`async with` task group. Each runs as a detached task of the running event loop (a system task
under trio) inside its own cancel scope, and reports its end through an event that `join()` awaits.
That loop owns the producer from then on: `LoopOwner` tells a call from it from any other.

This module is also the one place that decides which event loop library runs the caller:
`running_loop()` returns the asyncio loop, and None under trio (the other library anyio runs
on) or outside any loop. Every asyncio fast path of the package asks it and nothing else.
"""

from __future__ import annotations

import _thread
import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel
import sniffio

from ferrokafka._logging import UNNAMED, ClientLog
from ferrokafka.errors import IllegalStateError

# The C function behind asyncio.get_running_loop, without its exception when no loop runs
# (None instead). On CPython 3.11 each call also makes a getpid() system call (~0.1 µs), so the
# per-record paths compare `current_thread()` (~0.03 µs) and leave this to the per-batch and
# per-call checks.
running_loop: Callable[[], asyncio.AbstractEventLoop | None] = asyncio._get_running_loop
current_thread = _thread.get_ident

#: What `running_loop()` returns under trio is None; this is returned by nothing: the value a
#: per-batch ``running_loop() is owner_value`` test compares with for a producer started under
#: trio, so that the test always falls through to the full check (`LoopOwner.is_current`).
NOT_ASYNCIO = object()


def current_library() -> str | None:
    """``"asyncio"``, ``"trio"``, or None outside any event loop: for messages only (the
    branches of the code test `running_loop()`)."""
    if running_loop() is not None:
        return "asyncio"
    try:
        return sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return None


def turn_giver() -> Callable[[], Awaitable[None]]:
    """What gives the other tasks of the running loop one turn: anyio's checkpoint, which
    looks the running library up on every call (~1 µs), or under asyncio what it comes down
    to, ``asyncio.sleep(0)``. For a task that gives turns all the time on one loop."""
    if running_loop() is not None:
        return _asyncio_turn
    return anyio.lowlevel.checkpoint


async def _asyncio_turn() -> None:
    await asyncio.sleep(0)


def now_ms() -> int:
    """Monotonic milliseconds: every deadline of the producer is on this clock."""
    return time.monotonic_ns() // 1_000_000


def wall_ms() -> int:
    """Wall-clock milliseconds: record timestamps."""
    return time.time_ns() // 1_000_000


class BackgroundTask:
    """A detached task with `cancel()` and `join()`; it never raises into the event loop."""

    def __init__(
        self,
        fn: Callable[[], Awaitable[None]],
        name: str,
        on_exit: Callable[[], None] | None = None,
        log: ClientLog = UNNAMED,
    ) -> None:
        self.name = name
        self._log = log
        self._fn = fn
        # Called when the task ends for any reason, its loop's shutdown included.
        self._on_exit = on_exit
        self._scope = anyio.CancelScope()
        self._done = anyio.Event()
        self._asyncio_task: asyncio.Task[None] | None = None
        loop = running_loop()
        if loop is None:
            import trio

            trio.lowlevel.spawn_system_task(self._run, name=name)
        else:
            # Keep a reference: the loop holds tasks weakly.
            self._asyncio_task = loop.create_task(self._run(), name=name)

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
            self._log.exception("background task %s failed", self.name)
        finally:
            if self._on_exit is not None:
                self._on_exit()
            self._done.set()


class Signal:
    """A reusable wake-up for one waiting task, cheaper than an `anyio.Event` per wait.

    `set()` may be called any number of times from the event loop's thread; `wait(timeout)`
    returns once it has been set (or the timeout passed) and clears it. The sender and the
    connection writers wait on one of these in every round, thousands of times per second at
    linger 0, so it talks to the event loop directly instead of going through anyio's layers
    (each of which looks the running library up again).

    A wait may return before its timeout without a `set()`: its timer is kept from one wait to
    the next while it is due no later than the next wait's end (a waiter that wakes early looks
    again and waits anew), so the usual round, woken by a response long before its timeout,
    schedules and cancels no timer of its own.
    """

    __slots__ = ("_is_set", "_loop", "_timer", "_trio_event", "_waiter")

    def __init__(self) -> None:
        self._is_set = False
        # Bound on the first wait: the object may be created outside the event loop.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future[None] | None = None
        # The timer ending the current (or a past) wait; None once it has fired.
        self._timer: asyncio.TimerHandle | None = None
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
        """Waits until set or ``timeout`` seconds have passed (or less: see the class); then
        clears the signal."""
        if not self._is_set:
            loop = self._loop
            if loop is None:
                loop = self._loop = running_loop()
                if loop is None:
                    await self._wait_other(timeout)
                    self._is_set = False
                    return
            waiter = self._waiter = loop.create_future()
            if timeout is not None:
                timer = self._timer
                deadline = loop.time() + timeout
                if timer is None or timer.when() > deadline:
                    if timer is not None:
                        timer.cancel()
                    self._timer = loop.call_at(deadline, self._time_out)
            try:
                await waiter
            finally:
                self._waiter = None
        self._is_set = False

    def _time_out(self) -> None:
        self._timer = None
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait_other(self, timeout: float | None) -> None:
        event = self._trio_event = anyio.Event()
        try:
            with anyio.move_on_after(timeout):
                await event.wait()
        finally:
            self._trio_event = None


class LoopOwner:
    """The event loop a producer was started on: its sender, connections and futures live there.

    Everything the producer does is scheduled on that loop, so a call from anywhere else cannot
    work: from a second ``asyncio.run`` the sender is gone (the records would wait forever);
    from a loop in another thread the record is sent but its future is resolved on the wrong
    loop (the ``await`` never wakes); from a plain thread the append races the sender. `check`
    turns each of these into an error that says so.
    """

    __slots__ = ("loop", "owner_value", "thread", "trio_token")

    def __init__(self) -> None:
        #: The asyncio loop, or None under trio (then `trio_token` names the run).
        self.loop = running_loop()
        #: What `running_loop()` returns inside this loop and nowhere else (`NOT_ASYNCIO` under
        #: trio): the cheap once-per-batch test, ``running_loop() is owner.owner_value``.
        self.owner_value: object = self.loop if self.loop is not None else NOT_ASYNCIO
        self.thread = threading.get_ident()
        self.trio_token: object | None = None
        if self.loop is None:
            import trio

            self.trio_token = trio.lowlevel.current_trio_token()

    def is_current(self) -> bool:
        """True when called from the owner's thread, inside that very run of its loop."""
        loop = running_loop()
        if loop is not None or self.trio_token is None:
            return loop is self.loop and loop is not None
        if threading.get_ident() != self.thread:
            return False
        import trio

        try:
            return trio.lowlevel.current_trio_token() is self.trio_token
        except RuntimeError:
            return False

    def check(self, owner: str) -> None:
        """Raises `IllegalStateError` unless `is_current`; ``owner`` names the producer."""
        if not self.is_current():
            raise self.error(owner)

    def error(self, owner: str) -> IllegalStateError:
        return IllegalStateError(
            f"{owner} belongs to the event loop it was started on ({self.describe()}), and "
            f"was used {_where()}. A producer works only inside the loop that started it: "
            "start one per event loop (e.g. in each asyncio.run), hand records to the owning "
            "loop with loop.call_soon_threadsafe / asyncio.run_coroutine_threadsafe, or use "
            "ferrokafka.sync.Producer, which may be called from any thread"
        )

    def describe(self) -> str:
        if self.loop is None:
            return f"a trio run in thread {self.thread}"
        state = (
            "closed"
            if self.loop.is_closed()
            else "running"
            if self.loop.is_running()
            else ("stopped")
        )
        return f"{type(self.loop).__name__} {id(self.loop):#x} in thread {self.thread}, {state}"


def _where() -> str:
    loop = running_loop()
    thread = threading.get_ident()
    if loop is not None:
        return f"from another event loop ({type(loop).__name__} {id(loop):#x} in thread {thread})"
    library = current_library()
    if library is None:
        return f"from thread {thread}, where no event loop runs"
    return f"from another {library} run in thread {thread}"
