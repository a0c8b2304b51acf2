"""The Python side of one record batch: who waits for it and how it ended.

The Rust accumulator owns the batch's bytes; this object owns its waiters. Every record of a
batch shares one `PendingBatch`, so a batch's acknowledgement wakes all of its awaiters with one
event and runs its callbacks in one pass, instead of one future and one loop callback per record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from ferrokafka.errors import KafkaError
    from ferrokafka.records import DeliveryFuture

log = logging.getLogger("ferrokafka.producer")

DoneCallback = Callable[["DeliveryFuture"], Any]


class PendingBatch:
    """Waiters and outcome of one batch (or of one record sent with acks=0 semantics alike)."""

    __slots__ = (
        "_event",
        "base_offset",
        "callbacks",
        "error",
        "log_append_time_ms",
        "partition",
        "resolved",
        "topic",
    )

    def __init__(self, topic: str, partition: int) -> None:
        self.topic = topic
        self.partition = partition
        # -1 until acknowledged; stays -1 with acks=0, where the broker returns nothing.
        self.base_offset = -1
        # -1 means CreateTime: each record keeps the timestamp it was sent with.
        self.log_append_time_ms = -1
        self.error: KafkaError | None = None
        self.resolved = False
        # Created on first await only: most fire-and-forget records are never awaited.
        self._event: anyio.Event | None = None
        # (future, callback) pairs, run once when the batch ends.
        self.callbacks: list[tuple[DeliveryFuture, DoneCallback]] | None = None

    async def wait(self) -> None:
        if self.resolved:
            return
        if self._event is None:
            self._event = anyio.Event()
        await self._event.wait()

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

    def _finish(self) -> None:
        self.resolved = True
        if self._event is not None:
            self._event.set()
        callbacks, self.callbacks = self.callbacks, None
        if callbacks:
            for future, callback in callbacks:
                run_callback(callback, future)


def run_callback(callback: DoneCallback, future: DeliveryFuture) -> None:
    """Runs a user's delivery callback; its exceptions are logged, never raised into the sender."""
    try:
        callback(future)
    except Exception:
        log.exception("delivery callback %r raised", callback)
