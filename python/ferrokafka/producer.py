"""The public `Producer`.

Three ways to send, as with the Java client: fire-and-forget (`send_nowait`, ignore the future),
synchronous (`await send(...)`), and asynchronous with a callback (`send_nowait(...,
on_delivery=cb)`), plus `send_many` for ingestion scripts, which crosses into Rust once per
thousands of records, and their awaitable twins `produce` / `produce_many` (`_enqueue.py`),
which return once the records are queued and let the event loop run while a loop of them
queues more. The per-record path is kept short on purpose: serialize if needed, one native
append, one small future.

A producer belongs to the event loop that started it (`LoopOwner`): every entry point refuses a
call from another loop or thread, the per-record native path once per batch.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, Unpack

import anyio

from ferrokafka import _closing, _enqueue, _fast_paths, _held_records
from ferrokafka._argument_errors import APPEND_ERRORS, append_error, check_partition
from ferrokafka._config.arguments import ProducerOptions, config_for, document_options
from ferrokafka._held import Headers
from ferrokafka._pending import PendingBatch
from ferrokafka._producer_parts import assemble
from ferrokafka._record_args import HeadersArg as HeadersArg
from ferrokafka._record_args import OnDelivery as OnDelivery
from ferrokafka._record_args import (
    as_bytes,
    check_timestamp,
    check_topic,
    custom_partition,
    delivery_callback,
    header_pairs,
)
from ferrokafka._runtime import (
    BackgroundTask,
    LoopOwner,
    current_thread,
    now_ms,
    running_loop,
    wall_ms,
)
from ferrokafka._transactions.api import TransactionalMethods
from ferrokafka.bulk import BulkDelivery
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import (
    BufferFullError,
    IllegalStateError,
    KafkaError,
    KafkaTimeoutError,
    ProducerClosedError,
)
from ferrokafka.metrics import MetricName
from ferrokafka.records import DeliveryFuture, RecordMetadata

if TYPE_CHECKING:
    from ferrokafka import _native
    from ferrokafka._broker_pool import BrokerPool
    from ferrokafka._held import HeldTopic
    from ferrokafka._inflight import InFlight
    from ferrokafka._metrics import ProducerMetrics
    from ferrokafka._producer_id import ProducerIdManager
    from ferrokafka._sender import Sender
    from ferrokafka._transactions.manager import TransactionManager
    from ferrokafka.serializers import Serializer

log = logging.getLogger("ferrokafka.producer")


class ProducerState(enum.Enum):
    """NEW → STARTED → CLOSING → CLOSED; `close` from NEW goes straight to CLOSED."""

    NEW = "new"
    STARTED = "started"
    CLOSING = "closing"
    CLOSED = "closed"


class Producer(TransactionalMethods):
    """An asyncio-native (and trio-compatible) Kafka producer.

    Options are the Java producer's configs with ``.`` replaced by ``_`` and the same defaults
    (see `ProducerConfig`): ``Producer(bootstrap_servers="b1:9092", acks="all", linger_ms=5)``.

    Which call for which job: a service handler that must know its record is written awaits
    `send`; a worker that sends a stream and checks at the end uses `send_nowait` (optionally
    with ``on_delivery``) and `flush`, or `produce`; an ingestion script loops over
    ``await produce(...)`` or hands its iterable to `produce_many`, then flushes. A producer
    belongs to the event loop it was started on (see docs/GUARANTEES.md); from threads, use
    `ferrokafka.sync.Producer`.
    """

    # Set by start(): the event loop that owns the producer (`_owner`), that loop (a marker no
    # asyncio loop is, under trio) for the once-per-batch check, and its thread for the
    # per-call checks. `_thread` becomes -1 when the sender ends (close, or its loop shut down
    # by the end of asyncio.run): every call then takes the full check, which names the loop.
    _owner: LoopOwner | None = None
    _loop: object = None
    _thread: int = -1
    # Records the checked produce() may still append before it gives the event loop a turn.
    _produce_credit: int = 0

    if TYPE_CHECKING:  # (for mypy only: `__annotations__`, which help() shows, stays as it was)
        # The parts, built and wired by `_producer_parts.assemble`.
        _config: ProducerConfig
        _state: ProducerState
        _accumulator: _native.Accumulator
        _metrics: ProducerMetrics
        _inflight: InFlight
        _held: dict[str, HeldTopic]
        # Bytes of the held records, counted against buffer_memory.
        _held_bytes: int
        _partition_counts: dict[str, int]
        _producer_ids: ProducerIdManager | None
        _pool: BrokerPool
        _sender: Sender
        _transactions: TransactionManager | None
        _sender_task: BackgroundTask | None
        # Set once close() has finished, for concurrent callers of close().
        _closed: anyio.Event | None
        _space_freed: anyio.Event | None
        _metadata_arrived: anyio.Event | None
        _key_serializer: Serializer[Any] | None
        _value_serializer: Serializer[Any] | None
        _delivery_timeout_ms: int

    @document_options
    def __init__(
        self,
        bootstrap_servers: str | Sequence[str] | None = None,
        *,
        config: ProducerConfig | None = None,
        **options: Unpack[ProducerOptions],
    ) -> None:
        """Checks the options at once (`ConfigError`); nothing connects before `start`.

        Either ``bootstrap_servers`` (default ``"localhost:9092"``) and keyword options, or
        ``config=``, a ready `ProducerConfig`, used as it is: giving both raises `ConfigError`
        (use ``config=config.copy_with(linger_ms=20)`` to change one)."""
        self._config = config_for(bootstrap_servers, config, options)
        self._setup()

    @classmethod
    def from_config(cls, props: Mapping[str, object]) -> Self:
        """A producer from Java/librdkafka-style names: ``{"bootstrap.servers": "b:9092",
        "linger.ms": "5"}``."""
        producer = cls.__new__(cls)
        producer._config = ProducerConfig.from_config(props)
        producer._setup()
        return producer

    def _setup(self) -> None:
        self._state = ProducerState.NEW
        assemble(self)

    @property
    def config(self) -> ProducerConfig:
        return self._config

    @property
    def state(self) -> ProducerState:
        return self._state

    def __repr__(self) -> str:
        return f"<Producer {self._config.client_id} {self._state.value}>"

    # --- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Connects to a bootstrap server and fetches the cluster metadata. While no broker
        answers, tries again after the reconnect backoff, for up to ``max_block_ms`` (a service
        started before its cluster waits for it), then raises `KafkaConnectionError` (also a
        `KafkaTimeoutError`) naming the servers tried and the last reason. Authentication and
        configuration errors are raised at once."""
        if self._state is not ProducerState.NEW:
            raise IllegalStateError(f"start() on a producer that is {self._state.value}")
        await self._pool.wait_for_cluster(self._config.max_block_ms)
        if self._transactions is not None:
            # Before the sender runs: it drains nothing without the producer id.
            await self._transactions.initialize()
        owner = self._owner = LoopOwner()
        self._loop = owner.owner_value
        self._thread = owner.thread
        self._produce_credit = _enqueue.YIELD_EVERY
        self._sender_task = BackgroundTask(
            self._sender.run, f"ferrokafka-sender-{self}", on_exit=self._on_sender_exit
        )
        self._state = ProducerState.STARTED
        _fast_paths.install(self, Producer)
        log.info("producer %s started", self._config.client_id)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self, timeout: float | None = None) -> None:
        """Sends what is buffered and closes. After ``timeout`` seconds (default: no limit but
        ``delivery_timeout_ms``), records not yet delivered fail with `ProducerClosedError` and
        the connections close; `close` never returns later than that."""
        if self._state is ProducerState.CLOSED:
            return
        self._check_owner()
        if self._state is ProducerState.CLOSING:
            # Another task is closing: return when it is done, as a blocking close would.
            assert self._closed is not None
            with anyio.move_on_after(timeout):
                await self._closed.wait()
            return
        if self._state is ProducerState.NEW:
            self._state = ProducerState.CLOSED
            await self._pool.close()
            return
        self._state = ProducerState.CLOSING
        _fast_paths.remove(self)
        if self._metadata_arrived is not None:
            # Sends waiting for a topic's metadata learn that the producer is closing.
            self._metadata_arrived.set()
            self._metadata_arrived = None
        self._closed = anyio.Event()
        limit = self._delivery_timeout_ms / 1000 if timeout is None else max(timeout, 0.0)
        deadline = anyio.current_time() + limit
        task = self._sender_task
        assert task is not None
        try:
            await _closing.send_what_is_left(self, task, limit, deadline)
        finally:
            await _closing.stop_everything(self, task)
            self._accumulator.close()
            self._state = ProducerState.CLOSED
            self._closed.set()
        log.info("producer %s closed", self._config.client_id)

    # --- sending -------------------------------------------------------------------------

    def send_nowait(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: HeadersArg = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        on_delivery: OnDelivery | None = None,
    ) -> DeliveryFuture:
        """Queues one record and returns at once: never blocks, never awaits. Raises
        `BufferFullError` when ``buffer_memory`` is full. The returned `DeliveryFuture` is
        awaitable; ``on_delivery(metadata, error)`` runs on the event loop when it ends."""
        if self._state is not ProducerState.STARTED:
            raise self._not_started()
        if current_thread() != self._thread:
            self._check_owner()
        if self._transactions is not None:
            self._transactions.check_send()
        if partition is not None:
            check_partition(topic, partition, self._partition_counts.get(topic))
        header_list = header_pairs(headers) if headers else None
        key_bytes, value_bytes = self._serialize(topic, key, value, header_list)
        if timestamp_ms is None:
            timestamp_ms = wall_ms()
        else:
            check_timestamp(timestamp_ms)
        count = self._partition_counts.get(topic)
        if count is None:
            original = (key, value) if self._config.partitioner is not None else None
            future = _held_records.hold(
                self, topic, partition, key_bytes, value_bytes, header_list, timestamp_ms, original
            )
        else:
            if self._config.partitioner is not None and partition is None:
                partition = custom_partition(self._config, topic, key, key_bytes, value, count)
            future = self._append(
                topic, count, partition, key_bytes, value_bytes, header_list, timestamp_ms
            )
        if on_delivery is not None:
            future.add_done_callback(delivery_callback(on_delivery))
        return future

    async def send(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: HeadersArg = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> RecordMetadata:
        """Sends one record and waits for its acknowledgement (per ``acks``). Waits up to
        ``max_block_ms`` for the topic's metadata and for buffer space first, then raises
        `KafkaTimeoutError`; a failed delivery raises the broker's error."""
        if self._state is not ProducerState.STARTED:
            raise self._not_started()
        if current_thread() != self._thread:
            self._check_owner()
        if self._transactions is not None:
            self._transactions.check_send()
        # Read the clock only when there is something to wait for: this is the per-record
        # path of every awaited send.
        deadline: float | None = None
        if topic not in self._partition_counts:
            check_topic(topic)
            if partition is not None:
                # Refused before the wait for metadata, as send_nowait refuses it.
                check_partition(topic, partition, None)
            deadline = time.monotonic() + self._config.max_block_ms / 1000
            await self._wait_for_metadata(topic, deadline)
        plain = headers is None and partition is None and timestamp_ms is None
        while True:
            try:
                if plain:
                    # Positional arguments only: the cheapest call into the native fast path.
                    future = self.send_nowait(topic, value, key)
                else:
                    future = self.send_nowait(
                        topic,
                        value,
                        key,
                        headers=headers,
                        partition=partition,
                        timestamp_ms=timestamp_ms,
                    )
                break
            except BufferFullError:
                if deadline is None:
                    deadline = time.monotonic() + self._config.max_block_ms / 1000
                await self._wait_for_space(deadline)
        return await future

    def send_many(
        self,
        topic: str,
        values: Sequence[bytes | None],
        keys: Sequence[bytes | None] | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> BulkDelivery:
        """Queues many records of one topic in one call into Rust (bytes only, no headers,
        one timestamp); returns a `BulkDelivery` to await. For ingestion scripts. Raises
        `BufferFullError` when none fits; when only some fit, ``.queued`` says how many and
        the rest can be sent again after awaiting."""
        if self._state is not ProducerState.STARTED:
            raise self._not_started()
        if current_thread() != self._thread:
            self._check_owner()
        if self._transactions is not None:
            self._transactions.check_send()
        count = self._partition_counts.get(topic)
        if count is None:
            check_topic(topic)
            # send_many never waits, and its records cannot be held like send_nowait's.
            raise IllegalStateError(
                f"send_many needs the partition count of topic {topic!r}, which is not known "
                f"yet: await producer.wait_for_topic({topic!r}) (or one send) first"
            )
        if partition is not None:
            check_partition(topic, partition, count)
        if timestamp_ms is None:
            timestamp_ms = wall_ms()
        else:
            check_timestamp(timestamp_ms)
        now = now_ms()
        try:
            runs = self._accumulator.append_many(
                topic,
                count,
                values,
                keys,
                partition=partition,
                timestamp_ms=timestamp_ms,
                now_ms=now,
            )
        except APPEND_ERRORS as exc:
            raise append_error(exc, self._config, topic, partition, count, bulk=True) from exc
        parts = [(self._batch_for(batch_id, now), first, n) for batch_id, first, n in runs]
        return BulkDelivery(parts, timestamp_ms)

    async def produce(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: HeadersArg = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> DeliveryFuture:
        """Queues one record and returns its `DeliveryFuture` once it is in a batch, without
        waiting for its delivery: ``fut = await producer.produce(topic, value)``. Unlike
        `send_nowait` it waits instead of raising when ``buffer_memory`` is full (up to
        ``max_block_ms``, then `KafkaTimeoutError`, as `send`) or the topic's metadata is not
        known yet, and it gives the event loop a turn every thousand records, so a plain
        ``for v in data: await producer.produce(topic, v)`` keeps the sender busy. For loops
        that send many records; a cancelled call has queued nothing."""
        # While the producer is started this method is shadowed on the instance by
        # `_enqueue.fast_produce` (see start()); this is the checked path for everything else.
        if self._state is not ProducerState.STARTED:
            raise self._not_started()
        self._check_owner()
        self._produce_credit -= 1
        turn = self._produce_credit <= 0
        if turn:
            self._produce_credit = _enqueue.YIELD_EVERY
        return await _enqueue.produce_slowly(
            self, topic, value, key, headers, partition, timestamp_ms, turn
        )

    async def produce_many(
        self,
        topic: str,
        values: Iterable[bytes | None],
        keys: Iterable[bytes | None] | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> BulkDelivery:
        """`send_many` for any iterable, a generator included, of any length: queues every
        record (bytes only, no headers), waiting for buffer space (up to ``max_block_ms`` at a
        time) and for the topic's metadata as needed, and returns once the last is queued.
        Await the returned `BulkDelivery` (or `flush`) for their delivery."""
        if self._state is not ProducerState.STARTED:
            raise self._not_started()
        return await _enqueue.produce_many(self, topic, values, keys, partition, timestamp_ms)

    async def wait_for_topic(self, topic: str, timeout: float | None = None) -> int:
        """Waits until ``topic``'s metadata is known; returns its partition count."""
        self._check_owner()
        check_topic(topic)
        limit = self._config.max_block_ms / 1000 if timeout is None else timeout
        waited = (
            f"max_block_ms={self._config.max_block_ms}" if timeout is None else f"{timeout:g} s"
        )
        await self._wait_for_metadata(topic, time.monotonic() + limit, waited)
        return self._partition_counts[topic]

    async def partitions_for(self, topic: str) -> list[int]:
        """The partition ids of ``topic`` (fetching its metadata if needed)."""
        count = await self.wait_for_topic(topic)
        return list(range(count))

    async def flush(self, timeout: float | None = None) -> None:
        """Sends every buffered record now and waits until each has ended (delivered or
        failed). Raises `KafkaTimeoutError` if ``timeout`` seconds pass first."""
        if self._state is ProducerState.NEW:
            return
        self._check_owner()
        self._accumulator.begin_flush()
        self._sender.wake()
        try:
            with anyio.fail_after(timeout):
                # Held records join batches once their topic's metadata arrives (or fail
                # after max_block_ms); then every batch that exists now is waited for.
                while self._held:
                    await next(iter(self._held.values())).placeholder.wait()
                for pending in self._inflight:
                    await pending.wait()
        except TimeoutError:
            raise KafkaTimeoutError(
                f"flush() did not finish within {timeout} s; records are still being sent"
            ) from None
        finally:
            self._accumulator.end_flush()

    def metrics(self) -> dict[str, float]:
        """The producer-wide metrics under the Java client's names (``record-send-rate``,
        ``request-latency-avg``, ``compression-rate-avg``, ``producer-id``, ...): Java's
        ``producer-metrics`` group as a flat dict. Rates, averages and maxima are over the
        last ``metrics_num_samples`` windows of ``metrics_sample_window_ms``; an average or
        maximum with nothing in the window is NaN, as in Java."""
        snapshot = self._metrics.snapshot(self._accumulator, self._producer_ids)
        if self._transactions is not None:
            snapshot.update(self._transactions.times_ns_total)
        return snapshot

    def metrics_by_name(self) -> dict[MetricName, float]:
        """Every metric keyed by its `MetricName` (name, group, tags): the producer-wide ones,
        per topic (``producer-topic-metrics``, tags ``client-id`` and ``topic``) and per broker
        (``producer-node-metrics``, tags ``client-id`` and ``node-id``)."""
        return dict(self._metrics.measure(self._accumulator, self._producer_ids))

    # --- the per-record path -------------------------------------------------------------

    def _append(
        self,
        topic: str,
        count: int,
        partition: int | None,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        timestamp_ms: int,
    ) -> DeliveryFuture:
        now = now_ms()
        try:
            handle = self._accumulator.append(
                topic, count, partition, key, value, headers, timestamp_ms, now
            )
        except APPEND_ERRORS as exc:
            raise append_error(exc, self._config, topic, partition, count) from exc
        pending = self._batch_for(handle >> 32, now)
        return DeliveryFuture(
            pending,
            handle & 0xFFFFFFFF,
            timestamp_ms,
            -1 if key is None else len(key),
            -1 if value is None else len(value),
        )

    def _batch_for(self, batch_id: int, now: int) -> PendingBatch:
        """The registered batch ``batch_id``, registered now if the append just opened it."""
        pending = self._inflight.get(batch_id)
        if pending is not None:
            return pending
        topic, partition = self._accumulator.batch_info(batch_id)
        pending = self._inflight.add(batch_id, topic, partition, now)
        if running_loop() is not self._loop:
            # The native send_nowait checks nothing per record; a record that opens a batch
            # comes here, which is where a call from outside the loop is caught. The batch
            # stays registered (the sender may not be woken from here, but finds it in its
            # next round): the record is already in it.
            owner = self._owner
            if owner is not None and not owner.is_current():
                raise owner.error(
                    f"{self!r} (this record was already queued and may still be sent)"
                )
        # Once per batch, not per record: enough to tell a topic in use from an idle one.
        self._pool.want_topic(topic, now)
        # A new batch means the previous one of its partition is full, or a linger timer
        # starts: either way the sender has something to look at.
        self._sender.wake()
        return pending

    def _serialize(
        self, topic: str, key: Any, value: Any, headers: Headers
    ) -> tuple[bytes | None, bytes | None]:
        if self._value_serializer is not None:
            value = self._value_serializer.serialize(topic, value, headers)
        elif value is not None and type(value) is not bytes:
            value = as_bytes(value, "value", topic)
        if self._key_serializer is not None:
            key = self._key_serializer.serialize(topic, key, headers)
        elif key is not None and type(key) is not bytes:
            key = as_bytes(key, "key", topic)
        return key, value

    # --- records waiting for metadata ----------------------------------------------------

    async def _wait_for_metadata(self, topic: str, deadline: float, waited: str = "") -> None:
        self._pool.want_topic(topic)
        while topic not in self._partition_counts:
            if self._state is not ProducerState.STARTED:
                raise self._not_started()
            refused = _held_records.refused_topic(self, topic)
            if refused is not None:
                raise refused
            if self._metadata_arrived is None:
                self._metadata_arrived = anyio.Event()
            arrived = self._metadata_arrived
            # Asked again after every metadata update that still lacks the topic; the pool's
            # backoff paces the requests, and a failed refresh is retried by the sender. No
            # polling: thousands of awaiting tasks would wake the loop thousands of times a
            # second for nothing.
            self._sender.request_metadata()
            with anyio.move_on_after(max(deadline - time.monotonic(), 0)):
                await arrived.wait()
            if time.monotonic() >= deadline and topic not in self._partition_counts:
                waited = waited or f"max_block_ms={self._config.max_block_ms}"
                raise _held_records.no_metadata_error(topic, waited, self._pool)

    async def _wait_for_space(self, deadline: float) -> None:
        started = time.monotonic_ns()
        if self._space_freed is None:
            self._space_freed = anyio.Event()
        freed = self._space_freed
        self._accumulator.begin_flush()  # waiting appenders make everything sendable (Java)
        self._sender.wake()
        try:
            with anyio.move_on_after(deadline - time.monotonic()):
                await freed.wait()
        finally:
            self._accumulator.end_flush()
            self._metrics.buffer_waited(time.monotonic_ns() - started)
        if not freed.is_set():
            raise KafkaTimeoutError(
                f"no buffer space freed within max_block_ms={self._config.max_block_ms}: "
                "the brokers are not keeping up or are unreachable; raise buffer_memory or "
                "max_block_ms, or slow down"
            )

    def _on_memory_freed(self) -> None:
        if self._space_freed is not None:
            self._space_freed.set()
            self._space_freed = None

    def _check_owner(self) -> None:
        """Refuses a call from outside the event loop that started the producer."""
        owner = self._owner
        if owner is not None and not owner.is_current():
            raise owner.error(repr(self))

    def _on_sender_exit(self) -> None:
        # Closed, or its loop is gone (the end of asyncio.run cancels the sender): the fast
        # paths, which check nothing per record, step aside, and every per-call check fails
        # over to the full one, which names the loop.
        self._thread = -1
        _fast_paths.remove(self)

    @staticmethod
    def _check_topic_name(topic: str) -> None:
        check_topic(topic)

    def _not_started(self) -> KafkaError:
        if self._state is ProducerState.NEW:
            return IllegalStateError(
                "the producer is not started: await producer.start() or use "
                "`async with Producer(...) as producer`"
            )
        return ProducerClosedError()
