"""The loop's side of `ferrokafka.sync.Producer`: its thread's event loop, and the handoff of
queued records to the async producer.

Callers' threads put records in the handoff queue (`_Queued`) under the producer's lock; the
loop takes the whole queue in one burst and calls the async producer's ``send_nowait`` for
each, oldest first. A full buffer holds the head record back (offered again with a growing
pause, failed after ``max_block_ms``) and everything queued after it, so order is kept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ferrokafka.errors import BufferFullError, KafkaTimeoutError
from ferrokafka.records import DeliveryFuture, RecordMetadata

if TYPE_CHECKING:
    from ferrokafka.producer import HeadersArg
    from ferrokafka.producer import Producer as AsyncProducer

# While buffer_memory is full, the head record is offered again after this pause (doubling up
# to the maximum): the async producer has no awaitable "wait for space" that would not also
# wait for the record's delivery.
_SPACE_POLL_MIN_S = 0.001
_SPACE_POLL_MAX_S = 0.05


class _Queued(NamedTuple):
    topic: str
    value: Any
    key: Any
    partition: int | None
    timestamp_ms: int | None
    headers: HeadersArg
    future: concurrent.futures.Future[RecordMetadata]
    # No headers, partition or timestamp: sent with positional arguments only.
    plain: bool


class SyncHandoff:
    # The producer's own state (ferrokafka.sync.Producer._setup describes each).
    _producer: AsyncProducer
    _loop: asyncio.AbstractEventLoop | None
    _lock: threading.Lock
    _not_full: threading.Condition
    _queue: deque[_Queued]
    _wake_pending: bool
    _queued_total: int
    _handed_total: int
    _outstanding: set[concurrent.futures.Future[RecordMetadata]]
    _blocked_since: float | None
    _poll_s: float
    _max_block_s: float

    def _run_loop(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def _drain(self) -> None:
        """Hands every queued record to the async producer, oldest first; then looks again a
        moment later, before it lets the next send wake the loop."""
        if self._hand_over():
            assert self._loop is not None
            # Senders in a burst queue more within microseconds: polling once more while busy
            # saves each of them a cross-thread wake-up (a write to the loop's self-pipe).
            self._loop.call_later(self._poll_s, self._drain_or_sleep)

    def _drain_or_sleep(self) -> None:
        with self._lock:
            if not self._queue:
                self._wake_pending = False
                return
        self._drain()

    def _hand_over(self) -> bool:
        """True once the queue is empty; False if the head record waits for buffer space (a
        later drain is scheduled)."""
        producer = self._producer
        # With interceptors, send() has run them: the producer's own method, not theirs.
        send_nowait = (
            producer.send_nowait
            if producer._interceptors is None
            else type(producer).send_nowait.__get__(producer)
        )
        while True:
            with self._lock:
                if not self._queue:
                    return True
                burst = self._queue
                self._queue = deque()
                self._not_full.notify_all()
            for index, queued in enumerate(burst):
                future = queued.future
                # Marks it running (its caller can no longer cancel it) or, if it was cancelled,
                # tells its waiters. A head record offered again after a full buffer (while
                # _blocked_since is set) already runs.
                offered_again = index == 0 and self._blocked_since is not None
                if not (offered_again or future.set_running_or_notify_cancel()):
                    self._outstanding.discard(future)
                    continue
                try:
                    if queued.plain:
                        # Positional arguments only: the native fast path's cheapest call.
                        delivery = send_nowait(queued.topic, queued.value, queued.key)
                    else:
                        delivery = send_nowait(
                            queued.topic,
                            queued.value,
                            queued.key,
                            headers=queued.headers,
                            partition=queued.partition,
                            timestamp_ms=queued.timestamp_ms,
                        )
                except BufferFullError as exc:
                    if self._still_blocked(exc, future):
                        self._handed_total += index
                        self._requeue(burst, index)
                        return False  # _wake_pending stays set: no other drain runs meanwhile
                    continue
                except Exception as exc:
                    self._outstanding.discard(future)
                    _fail(future, exc)
                    continue
                self._blocked_since = None
                delivery.add_done_callback(self._settler(future))
            self._handed_total += len(burst)

    def _still_blocked(self, exc: BufferFullError, future: concurrent.futures.Future[Any]) -> bool:
        """Whether the head record should wait for space (True) or has waited long enough and
        is failed now (False), as Java's send gives up after max_block_ms."""
        now = time.monotonic()
        if self._blocked_since is None:
            self._blocked_since = now
        elif now - self._blocked_since >= self._max_block_s:
            self._blocked_since = None
            self._outstanding.discard(future)
            _fail(
                future,
                KafkaTimeoutError(
                    f"no buffer space within max_block_ms={self._producer.config.max_block_ms}: "
                    f"{exc}"
                ),
            )
            return False
        return True

    def _requeue(self, burst: deque[_Queued], index: int) -> None:
        rest = list(burst)[index:]
        with self._lock:
            self._queue.extendleft(reversed(rest))
        assert self._loop is not None
        waited = time.monotonic() - (self._blocked_since or time.monotonic())
        pause = min(max(_SPACE_POLL_MIN_S, waited / 4), _SPACE_POLL_MAX_S)
        self._loop.call_later(pause, self._drain)

    def _settler(
        self, future: concurrent.futures.Future[RecordMetadata]
    ) -> Callable[[DeliveryFuture], None]:
        outstanding = self._outstanding

        def settle(delivery: DeliveryFuture) -> None:
            outstanding.discard(future)
            error = delivery.exception()
            if error is None:
                # close() may have failed it meanwhile from its own thread.
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    future.set_result(delivery.result())
            else:
                _fail(future, error)

        return settle

    async def _flush_on_loop(self, deadline: float | None, queued: int) -> None:
        await self._drained(deadline, queued)
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        await self._producer.flush(remaining)

    async def _close_on_loop(self, limit: float) -> None:
        deadline = time.monotonic() + limit
        # What is still queued at the deadline fails after the close.
        with contextlib.suppress(KafkaTimeoutError):
            await self._drained(deadline, self._queued_total)
        await self._producer.close(max(deadline - time.monotonic(), 0.0))

    async def _drained(self, deadline: float | None, queued: int) -> None:
        """Waits until the first ``queued`` records ever queued are in the async producer's
        hands (or failed, or cancelled)."""
        pause = _SPACE_POLL_MIN_S
        while self._handed_total < queued:
            if deadline is not None and time.monotonic() >= deadline:
                raise KafkaTimeoutError(
                    "records are still waiting for buffer space: the brokers are not keeping up"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, _SPACE_POLL_MAX_S)


def _fail(future: concurrent.futures.Future[Any], error: BaseException) -> None:
    if future.cancelled():
        # Cancelled while queued: its waiters (concurrent.futures.wait) are told only now.
        with contextlib.suppress(RuntimeError):
            future.set_running_or_notify_cancel()
        return
    if future.done():
        return
    # It may have ended meanwhile on the other thread.
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        future.set_exception(error)
