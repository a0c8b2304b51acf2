"""`Producer` for synchronous code: Django views, Celery tasks, scripts.

    >>> with ferrokafka.sync.Producer(bootstrap_servers="localhost:9092") as producer:
    ...     future = producer.send("orders", b"...", key=b"42")
    ...     metadata = future.result()   # a concurrent.futures.Future

The asyncio producer runs on one background thread (a daemon named ``ferrokafka-<client id>``)
with its own event loop, started on first use or by `start()`. Any number of threads may call
`send` at once: records go into a handoff queue that the event loop drains in bursts, with one
wake-up per burst (not one cross-thread call per record), in the order they were queued.

Bounded everywhere: `send` blocks at most ``max_block_ms`` when the producer cannot keep up and
then raises `KafkaTimeoutError`; `flush(timeout)` and `close(timeout)` return within their
timeout; after `close` every future has ended (records not delivered fail with
`ProducerClosedError`) and the thread is gone. Errors are the same classes the asyncio
`ferrokafka.Producer` raises. Calling a blocking method from the producer's own thread (from an
``on_delivery`` callback, say) would wait on itself, so it raises `IllegalStateError` instead.

With ``transactional_id``, ``with producer.transaction():`` and the other transaction methods
of the async producer are here too (``ferrokafka._sync_transactions``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

from ferrokafka._config.arguments import ProducerOptions, document_options
from ferrokafka._logging import SYNC, ClientLog, client_log
from ferrokafka._sync_handoff import SyncHandoff, _fail, _Queued
from ferrokafka._sync_transactions import SyncTransactionalMethods
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import (
    IllegalStateError,
    KafkaError,
    KafkaTimeoutError,
    ProducerClosedError,
)
from ferrokafka.producer import HeadersArg, OnDelivery
from ferrokafka.producer import Producer as AsyncProducer
from ferrokafka.records import RecordMetadata

__all__ = ["Producer", "SyncProducerState"]

T = TypeVar("T")

#: Records waiting in the handoff queue before `send` blocks its caller. The queue is drained
#: whole in every burst, so this bounds only what piles up while the event loop is busy.
MAX_QUEUED_RECORDS = 10_000
# What the async close may take past its timeout to close its connections (it bounds that by
# two one-second shields).
_CLOSE_GRACE_S = 2.5

# Producers whose thread would not exist in a forked child: they refuse to be used there.
_live: weakref.WeakSet[Producer] = weakref.WeakSet()


class SyncProducerState(enum.Enum):
    """NEW → STARTED → CLOSED; a failed start goes back to NEW (the next call retries)."""

    NEW = "new"
    STARTED = "started"
    CLOSED = "closed"


class Producer(SyncHandoff, SyncTransactionalMethods):
    """A thread-safe, blocking front of `ferrokafka.Producer`.

    Takes the same options (``Producer(bootstrap_servers="b:9092", linger_ms=5)``, or
    `from_config` with Java-style names). Nothing connects until the first call that needs the
    cluster (or `start()`), so one may be created at import time, before a worker process forks.
    """

    @document_options
    def __init__(
        self,
        bootstrap_servers: str | Sequence[str] | None = None,
        *,
        config: ProducerConfig | None = None,
        **options: Unpack[ProducerOptions],
    ) -> None:
        """Checks the options at once, in the caller's thread (`ConfigError`).

        As `ferrokafka.Producer`: either ``bootstrap_servers`` (default ``"localhost:9092"``)
        and keyword options, or ``config=``, a ready `ProducerConfig`; not both."""
        self._setup(lambda: AsyncProducer(bootstrap_servers, config=config, **options))

    @classmethod
    def from_config(cls, props: Mapping[str, object]) -> Self:
        """A producer from Java/librdkafka-style names: ``{"bootstrap.servers": "b:9092"}``."""
        producer = cls.__new__(cls)
        props = dict(props)
        producer._setup(lambda: AsyncProducer.from_config(props))
        return producer

    def _setup(self, build: Callable[[], AsyncProducer]) -> None:
        # Options are checked here, in the caller's thread; a failed start builds anew.
        self._build = build
        self._producer = build()
        config = self._producer.config
        self._max_block_s = config.max_block_ms / 1000
        self._state = SyncProducerState.NEW
        self._forked = False
        # Serialises start() and close(); never held while a record is queued.
        self._life_lock = threading.Lock()
        # Guards the handoff queue, the wake-up flag and the state seen by send().
        self._lock = threading.Lock()
        self._not_full = threading.Condition(self._lock)
        self._queue: deque[_Queued] = deque()
        # True from the moment a drain is scheduled until the queue is found empty: one
        # cross-thread wake-up per burst of sends.
        self._wake_pending = False
        # Records ever queued (written under the lock) and ever taken from the queue (by the
        # loop only): flush() waits for the records queued before it, not for later ones.
        self._queued_total = 0
        self._handed_total = 0
        # Futures handed out and not yet ended: failed by close() whatever the loop does.
        self._outstanding: set[concurrent.futures.Future[RecordMetadata]] = set()
        # Loop-thread only: when the record at the head of the queue first found no space.
        self._blocked_since: float | None = None
        # How long the loop waits before looking at an emptied queue again (see _drain); at
        # linger_ms=0 the look is made on the loop's next turn.
        self._poll_s = min(config.linger_ms, 1) / 1000
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        _live.add(self)

    @property
    def _log(self) -> ClientLog:
        return client_log(SYNC, self._producer.config.client_id)

    @property
    def config(self) -> ProducerConfig:
        """The options, checked (those of the async producer underneath)."""
        return self._producer.config

    @property
    def state(self) -> SyncProducerState:
        return self._state

    def __repr__(self) -> str:
        return f"<sync.Producer {self._producer.config.client_id} {self._state.value}>"

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Starts the producer's thread and connects (as `ferrokafka.Producer.start`). Called
        by the first `send`, `flush`, `partitions_for` or `metrics` if not called before.
        Raises the async start's error (e.g. `KafkaConnectionError`); the next call retries."""
        self._check_thread()
        with self._life_lock:
            if self._state is SyncProducerState.STARTED:
                return
            if self._state is SyncProducerState.CLOSED:
                raise ProducerClosedError()
            loop_ready = threading.Event()
            thread = threading.Thread(
                target=self._run_loop,
                args=(loop_ready,),
                name=f"ferrokafka-{self._producer.config.client_id}",
                daemon=True,
            )
            thread.start()
            loop_ready.wait()
            self._thread = thread
            try:
                # start() gives up after max_block_ms itself; the margin is for its cleanup.
                self._run(self._producer.start(), self._max_block_s + _CLOSE_GRACE_S)
            except BaseException:
                self._stop_loop(_CLOSE_GRACE_S)
                # A producer whose start failed cannot start again: the next call builds anew.
                self._producer = self._build()
                raise
            with self._lock:
                self._state = SyncProducerState.STARTED

    def close(self, timeout: float | None = None) -> None:
        """Sends what is queued and buffered, then closes and ends the thread. After
        ``timeout`` seconds (default: ``delivery_timeout_ms``) what is not delivered fails with
        `ProducerClosedError`. Every future has ended when this returns. Idempotent."""
        self._check_thread()
        with self._life_lock:
            with self._lock:
                if self._state is SyncProducerState.CLOSED:
                    return
                was_started = self._state is SyncProducerState.STARTED
                self._state = SyncProducerState.CLOSED
                self._not_full.notify_all()
            _live.discard(self)
            if not was_started or self._forked:
                self._fail_leftovers()
                return
            limit = self._producer.config.delivery_timeout_ms / 1000 if timeout is None else timeout
            limit = max(limit, 0.0)
            try:
                self._run(self._close_on_loop(limit), limit + _CLOSE_GRACE_S)
            except Exception as exc:
                # A loop stuck in a user callback, say: nothing more to wait for.
                self._log.warning("close(): the producer's thread did not finish closing: %r", exc)
            finally:
                self._fail_leftovers()
                self._stop_loop(_CLOSE_GRACE_S)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- sending -------------------------------------------------------------------------

    def send(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: HeadersArg = None,
        on_delivery: OnDelivery | None = None,
    ) -> concurrent.futures.Future[RecordMetadata]:
        """Queues one record; returns a `concurrent.futures.Future` of its `RecordMetadata`.

        The future fails with the error the async producer would raise: bad input
        (`SerializationError`, `InvalidTopicError`, ...) as well as a failed delivery.
        ``on_delivery(metadata, error)`` runs on the producer's thread when the record ends;
        keep it short. Blocks only when the producer cannot keep up, for up to
        ``max_block_ms``, then raises `KafkaTimeoutError`. Cancelling the future succeeds only
        while the record waits in the handoff queue, and drops it."""
        if self._state is not SyncProducerState.STARTED:
            self._check_thread()
            self.start()
        elif threading.current_thread() is self._thread:
            raise self._own_thread_error("send")
        future: concurrent.futures.Future[RecordMetadata] = concurrent.futures.Future()
        interceptors = self._producer._interceptors
        if interceptors is not None:
            record = interceptors.intercept_for(
                future, topic, value, key, headers, partition, timestamp_ms
            )
            topic, value, key = record.topic, record.value, record.key
            headers, partition, timestamp_ms = record.headers, record.partition, record.timestamp_ms
        if on_delivery is not None:
            future.add_done_callback(_delivery_callback(on_delivery))
        plain = partition is None and timestamp_ms is None and not headers
        queued = _Queued(topic, value, key, partition, timestamp_ms, headers, future, plain)
        with self._lock:
            if len(self._queue) >= MAX_QUEUED_RECORDS:
                self._wait_for_room()
            if self._state is not SyncProducerState.STARTED:
                raise ProducerClosedError()
            self._queue.append(queued)
            self._queued_total += 1
            self._outstanding.add(future)
            wake = not self._wake_pending
            self._wake_pending = True
        if wake:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._drain)
        return future

    def flush(self, timeout: float | None = None) -> None:
        """Sends everything queued so far and waits until each record has ended (delivered
        or failed). Raises `KafkaTimeoutError` if ``timeout`` seconds pass first."""
        self._ensure_started("flush")
        deadline = None if timeout is None else time.monotonic() + timeout
        wait = None if timeout is None else timeout + _CLOSE_GRACE_S
        self._run(self._flush_on_loop(deadline, self._queued_total), wait)

    def partitions_for(self, topic: str) -> list[int]:
        """The partition ids of ``topic``; waits up to ``max_block_ms`` for its metadata."""
        self._ensure_started("partitions_for")
        return self._run(self._producer.partitions_for(topic), self._max_block_s + _CLOSE_GRACE_S)

    def metrics(self) -> dict[str, float]:
        """The async producer's `metrics()`, read on its own thread."""
        self._ensure_started("metrics")

        async def read() -> dict[str, float]:
            return self._producer.metrics()

        return self._run(read(), self._max_block_s)

    # --- the caller's side ---------------------------------------------------------------

    def _ensure_started(self, what: str) -> None:
        if threading.current_thread() is self._thread:
            raise self._own_thread_error(what)
        if self._state is not SyncProducerState.STARTED:
            self.start()

    def _check_thread(self) -> None:
        if self._forked:
            raise IllegalStateError(
                f"{self!r} was started in another process before this one was forked, and its "
                "thread does not exist here: create the producer in each worker process (e.g. "
                "in Celery's worker_process_init signal, or lazily on first use)"
            )
        if self._thread is not None and threading.current_thread() is self._thread:
            raise self._own_thread_error("this call")

    def _own_thread_error(self, what: str) -> IllegalStateError:
        return IllegalStateError(
            f"{what} was called on the producer's own thread (from an on_delivery callback or a "
            "future's done callback?): it would wait for itself. Hand the work to another "
            "thread, or use ferrokafka.Producer directly in async code"
        )

    def _wait_for_room(self) -> None:
        """With the lock held: blocks until the handoff queue has room, like Java's send
        blocks on a full buffer, for up to max_block_ms."""
        deadline = time.monotonic() + self._max_block_s
        while len(self._queue) >= MAX_QUEUED_RECORDS and self._state is SyncProducerState.STARTED:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._not_full.wait(remaining):
                raise KafkaTimeoutError(
                    f"the producer did not accept a record within max_block_ms="
                    f"{self._producer.config.max_block_ms}: {len(self._queue)} records are "
                    "waiting for buffer space; the brokers are not keeping up or are unreachable"
                )

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        """Runs ``coro`` on the producer's loop and waits for its result (or its error)."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise KafkaTimeoutError(
                f"the producer's thread did not answer within {timeout:g} s"
            ) from None

    def _fail_leftovers(self) -> None:
        error = ProducerClosedError("the producer was closed before the record was delivered")
        with self._lock:
            self._queue.clear()
            leftovers = list(self._outstanding)
            self._outstanding.clear()
        for future in leftovers:
            _fail(future, error)

    def _stop_loop(self, timeout: float) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                self._log.warning(
                    "the producer's thread %s did not end within %g s", thread.name, timeout
                )
        self._thread = None
        self._loop = None


def _delivery_callback(
    on_delivery: OnDelivery,
) -> Callable[[concurrent.futures.Future[RecordMetadata]], None]:
    def callback(future: concurrent.futures.Future[RecordMetadata]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            on_delivery(future.result(), None)
        elif isinstance(error, KafkaError):
            on_delivery(None, error)
        else:
            on_delivery(None, KafkaError(str(error)))

    return callback


def _after_fork_in_child() -> None:
    for producer in list(_live):
        producer._forked = producer._state is SyncProducerState.STARTED


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
