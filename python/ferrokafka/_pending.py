"""The Python side of one record batch: who waits for it and how it ended.

The Rust accumulator owns the batch's bytes; this object owns its waiters and its outcome. Every
record of a batch shares one `PendingBatch`, so a batch's acknowledgement wakes all of its
awaiters with one event and runs its callbacks in one pass, instead of one future and one loop
callback per record.

Where the batch is in its life (registered, in flight, retried, split) is the registry's
(`ferrokafka._inflight.InFlight`): it alone writes ``in_flight``, ``attempts``, ``placed``,
``maybe_written`` and ``parts``. A `DeliveryFuture` (native) reads a batch only through the
methods `done`, `record_metadata`, `record_error`, `add_done_callback`,
`remove_done_callback`, `cancel_future`, `asyncio_waiter` and the attribute ``loop``.

Done callbacks follow asyncio's rules, which its helpers (`asyncio.wait`, `as_completed`,
`gather`, `shield`, `wait_for`) rely on: one added to a finished future is scheduled with the
loop's ``call_soon``, never called from inside ``add_done_callback``; a context given with it is
the one it runs in. At the batch's end they run in one pass, from the sender's own callback.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import anyio

from ferrokafka import _native
from ferrokafka._logging import UNNAMED, ClientLog
from ferrokafka._runtime import current_thread, running_loop
from ferrokafka.errors import IllegalStateError
from ferrokafka.records import DeliveryFuture, DeliveryReport, InvalidStateError, RecordMetadata

if TYPE_CHECKING:
    from ferrokafka.errors import KafkaError

DoneCallback = Callable[[DeliveryFuture], Any]
# A done callback as stored: the future it was added to, the callback, and the context it runs
# in (None: the current one when it runs).
CallbackEntry = tuple[DeliveryFuture, DoneCallback, contextvars.Context | None]

# tuple.__new__(RecordMetadata, fields): the named tuple without its Python-level __new__ (one
# is built per awaited record).
_new_tuple = tuple.__new__
# The default of a PendingBatch's loop: the one running when it is made.
RUNNING_LOOP = object()


class PendingBatch:
    """Waiters and outcome of one batch (or of one record sent with acks=0 semantics alike)."""

    __slots__ = (
        "_event",
        "_open_parts",
        "attempts",
        "base_offset",
        "callbacks",
        "deadline_ms",
        "error",
        "in_flight",
        "last_error",
        "log",
        "log_append_time_ms",
        "loop",
        "maybe_written",
        "parent",
        "partition",
        "parts",
        "placed",
        "resolved",
        "thread",
        "topic",
        "waiters",
    )

    def __init__(
        self,
        topic: str,
        partition: int,
        deadline_ms: int,
        log: ClientLog = UNNAMED,
        loop: asyncio.AbstractEventLoop | object | None = RUNNING_LOOP,
    ) -> None:
        self.topic = topic
        # Its producer's: a delivery callback that raises is logged under its client id.
        self.log = log
        self.partition = partition
        # The asyncio loop the batch was opened on (the producer's; None under trio): what its
        # futures' get_loop() returns, where callbacks added late are scheduled, and the only
        # loop whose tasks may wait on it. Given by a caller that has just asked for it:
        # running_loop() makes a system call per call on CPython 3.11.
        if loop is RUNNING_LOOP:
            loop = running_loop()
        self.loop = cast("asyncio.AbstractEventLoop | None", loop)
        # The thread that opened it: its loop is `loop` as long as that loop runs, the cheap
        # test of every await.
        self.thread = current_thread()
        # delivery_timeout_ms after the first record: every record ends by then.
        self.deadline_ms = deadline_ms
        # Produce requests that carried this batch and failed (retries so far).
        self.attempts = 0
        self.in_flight = False
        # Has a place in its partition's order of unsettled batches (went out at least once).
        self.placed = False
        # May be in the log: sent, and not refused by sequence since (see _inflight).
        self.maybe_written = False
        # The latest broker or connection error, reported if the batch times out.
        self.last_error: KafkaError | None = None
        # After a split (MESSAGE_TOO_LARGE): (first index, count, piece) in index order. The
        # records' futures still point here and find their piece through it.
        self.parts: list[tuple[int, int, PendingBatch]] | None = None
        self._open_parts = 0
        self.parent: PendingBatch | None = None
        # -1 until acknowledged; stays -1 with acks=0, where the broker returns nothing.
        self.base_offset = -1
        # -1 means CreateTime: each record keeps the timestamp it was sent with.
        self.log_append_time_ms = -1
        self.error: KafkaError | None = None
        self.resolved = False
        # Created on first await only: most fire-and-forget records are never awaited.
        self._event: anyio.Event | None = None
        # What asyncio awaiters wait on, one each: futures of asyncio_waiter (`await future`,
        # from Rust too: ferrokafka._native.Awaiting), and the native waiters `await send`
        # yields to its task (ferrokafka._native.TaskWaiter), all woken by `wake`.
        self.waiters: list[asyncio.Future[None] | _native.TaskWaiter] | None = None
        # Done callbacks, run once when the batch ends (see CallbackEntry).
        self.callbacks: list[CallbackEntry] | None = None

    async def wait(self) -> None:
        """Returns once the batch has ended (or its records moved: see `wake`)."""
        if self.resolved:
            return
        future = self.asyncio_waiter()
        if future is not None:
            await future
            return
        if self._event is None:
            self._event = anyio.Event()
        await self._event.wait()

    def asyncio_waiter(self) -> asyncio.Future[None] | None:
        """Under asyncio, a future of the caller's own that the batch's end resolves; None
        under other event loops. One plain future per awaiter is what asyncio.Event does too,
        without anyio's layers: this is the awaited-send hot path. It is the awaiter's own so
        that cancelling one awaiting task cannot cancel the others."""
        loop = self.loop
        if loop is None or current_thread() != self.thread or not loop.is_running():
            loop = running_loop()
            if loop is None:
                return None
            if loop is not self.loop and self.loop is not None:
                raise self._foreign_loop(loop)
        future: asyncio.Future[None] = loop.create_future()
        if self.waiters is None:
            self.waiters = [future]
        else:
            self.waiters.append(future)
        return future

    def wake(self) -> None:
        """Wakes the waiters without resolving: their records moved to other batches."""
        if self._event is not None:
            self._event.set()
            self._event = None
        waiters, self.waiters = self.waiters, None
        if waiters:
            _native.wake_waiters(self, waiters)

    def succeed(self, base_offset: int, log_append_time_ms: int) -> None:
        if self.resolved:
            return
        self.base_offset = base_offset
        self.log_append_time_ms = log_append_time_ms
        self._finish()

    def fail(self, error: KafkaError) -> None:
        if self.resolved:
            return
        self.error = error
        self._finish()

    def hand_over(self, parts: list[tuple[int, int, PendingBatch]]) -> None:
        """The batch was split: ``parts`` are ``(first original index, count, piece)`` in index
        order. The records' futures still point here and find their piece through them; this
        batch resolves when every piece has. Called by the registry only."""
        self.parts = parts
        self._open_parts = len(parts)

    def locate(self, index: int) -> tuple[PendingBatch, int]:
        """The batch that holds record ``index`` now, and its index there."""
        batch = self
        while batch.parts is not None:
            for first, count, piece in batch.parts:
                if first <= index < first + count:
                    batch, index = piece, index - first
                    break
            else:
                break
        return batch, index

    # --- what a DeliveryFuture asks -------------------------------------------------------

    def done(self) -> bool:
        return self.resolved

    def record_metadata(
        self, index: int, timestamp: int, key_size: int, value_size: int
    ) -> RecordMetadata:
        """The `RecordMetadata` of record ``index`` (its create ``timestamp`` and sizes as the
        future holds them), or the delivery's error raised; `InvalidStateError` while pending."""
        batch = self
        if not batch.resolved:
            raise InvalidStateError("the record is not delivered yet: await the future first")
        if batch.parts is not None:
            batch, index = batch.locate(index)
        if batch.error is not None:
            raise batch.error
        offset = -1 if batch.base_offset < 0 else batch.base_offset + index
        if batch.log_append_time_ms >= 0:
            timestamp, kind = batch.log_append_time_ms, "LogAppendTime"
        else:
            kind = "CreateTime"
        return _new_tuple(
            RecordMetadata,
            (batch.topic, batch.partition, offset, timestamp, kind, key_size, value_size),
        )

    def record_error(self, index: int) -> KafkaError | None:
        """The error record ``index`` failed with, None if delivered; `InvalidStateError`
        while pending."""
        if not self.resolved:
            raise InvalidStateError("the record is not delivered yet: await the future first")
        if self.parts is None:
            return self.error
        return self.locate(index)[0].error

    def add_done_callback(
        self,
        future: DeliveryFuture,
        callback: DoneCallback,
        context: contextvars.Context | None = None,
    ) -> None:
        """Runs ``callback(future)`` once the batch has ended; if ``future`` has ended already,
        at the loop's next turn (at once under trio, which has no call_soon)."""
        if self.resolved or future.cancelled():
            self._schedule(future, callback, context)
        elif self.callbacks is None:
            self.callbacks = [(future, callback, context)]
        else:
            self.callbacks.append((future, callback, context))

    def remove_done_callback(self, future: DeliveryFuture, callback: DoneCallback) -> int:
        """Removes every ``callback`` added for ``future``; returns how many."""
        callbacks = self.callbacks
        if not callbacks:
            return 0
        kept = [entry for entry in callbacks if entry[0] is not future or entry[1] != callback]
        self.callbacks = kept or None
        return len(callbacks) - len(kept)

    def cancel_future(self, future: DeliveryFuture) -> None:
        """``future`` was cancelled (it has ended, its record has not): its callbacks run at
        the loop's next turn, except the producer's delivery reports, which wait for the
        record's real end; its awaiters wake up and see the cancellation."""
        callbacks = self.callbacks
        if callbacks:
            kept = []
            for entry in callbacks:
                if entry[0] is future and not isinstance(entry[1], DeliveryReport):
                    self._schedule(*entry)
                else:
                    kept.append(entry)
            self.callbacks = kept or None
        self.wake()

    def _schedule(
        self, future: DeliveryFuture, callback: DoneCallback, context: contextvars.Context | None
    ) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            run_callback(callback, future, self.log, context)
        else:
            loop.call_soon(run_callback, callback, future, self.log, context)

    def _foreign_loop(self, loop: asyncio.AbstractEventLoop) -> IllegalStateError:
        return IllegalStateError(
            f"a DeliveryFuture of {self.topic!r} belongs to the event loop of its producer "
            f"({type(self.loop).__name__} {id(self.loop):#x}) and was awaited from another one "
            f"({type(loop).__name__} {id(loop):#x}): await it in the producer's loop, or use "
            "ferrokafka.sync.Producer from other threads"
        )

    def _finish(self) -> None:
        self.resolved = True
        parent = self.parent
        if parent is not None:
            parent._open_parts -= 1
            if parent._open_parts == 0:
                parent._finish()
        if self._event is not None or self.waiters is not None:
            self.wake()
        callbacks, self.callbacks = self.callbacks, None
        if callbacks:
            for future, callback, context in callbacks:
                run_callback(callback, future, self.log, context)


def run_callback(
    callback: DoneCallback,
    future: DeliveryFuture,
    log: ClientLog,
    context: contextvars.Context | None = None,
) -> None:
    """Runs a user's delivery callback; its exceptions are logged, never raised into the sender."""
    try:
        if context is None:
            callback(future)
        else:
            context.run(callback, future)
    except Exception:
        log.exception("delivery callback %r raised (the record's outcome stands)", callback)
