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
import time
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, Unpack

import anyio

from ferrokafka import _closing, _enqueue, _fast_paths, _held_records, _send_many, _starting, _waits
from ferrokafka._config.arguments import ProducerOptions, config_for, document_options
from ferrokafka._held import Headers
from ferrokafka._native import check_partition
from ferrokafka._pending import PendingBatch
from ferrokafka._producer_parts import assemble
from ferrokafka._record_args import HeadersArg as HeadersArg
from ferrokafka._record_args import OnDelivery as OnDelivery
from ferrokafka._record_args import (
    check_timestamp,
    check_topic,
    custom_partition,
    delivery_callback,
    header_pairs,
    serialize,
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
    ProducerClosedError,
)
from ferrokafka.metrics import MetricName
from ferrokafka.records import DeliveryFuture, RecordMetadata

if TYPE_CHECKING:
    from ferrokafka import _native
    from ferrokafka._broker_pool import BrokerPool
    from ferrokafka._held import HeldTopic
    from ferrokafka._inflight import InFlight
    from ferrokafka._interceptor_chain import InterceptorChain
    from ferrokafka._metrics import ProducerMetrics
    from ferrokafka._producer_id import ProducerIdManager
    from ferrokafka._sender import Sender
    from ferrokafka._transactions.manager import TransactionManager
    from ferrokafka.serializers import Serializer


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
        # The native send_nowait while it shadows the method (see _fast_paths), else None.
        _send_fast_path: _native.SendFastPath | None
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
        _interceptors: InterceptorChain | None

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
        await _starting.start(self)
        self._state = ProducerState.STARTED
        _fast_paths.install(self, Producer)
        self._inflight.log.info("producer started")

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
            _closing.close_interceptors(self)
            return
        self._state = ProducerState.CLOSING
        self._closed = anyio.Event()
        try:
            await _closing.close_started(self, timeout)
        finally:
            self._state = ProducerState.CLOSED
            _closing.close_interceptors(self)
            self._closed.set()
        self._inflight.log.info("producer closed")

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
        key_bytes, value_bytes = serialize(self, topic, key, value, header_list)
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
            await _waits.wait_for_metadata(self, topic, deadline)
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
                await _waits.wait_for_space(self, deadline)
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
        return _send_many.send_many(self, topic, values, keys, partition, timestamp_ms)

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
        return await _waits.wait_for_topic(self, topic, timeout)

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
        await _waits.flush(self, timeout)

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
        handle = self._accumulator.append(
            topic, count, partition, key, value, headers, timestamp_ms, now
        )
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
        where = self._accumulator.batch_info(batch_id)
        topic = where.topic
        loop = running_loop()
        pending = self._inflight.add(batch_id, topic, where.partition, now, loop)
        if loop is not self._loop:
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

    def _check_owner(self) -> None:
        """Refuses a call from outside the event loop that started the producer."""
        owner = self._owner
        if owner is not None and not owner.is_current():
            raise owner.error(repr(self))

    def _check_started(self) -> None:
        if self._state is not ProducerState.STARTED:
            raise self._not_started()

    def _not_started(self) -> KafkaError:
        if self._state is ProducerState.NEW:
            return IllegalStateError(
                "the producer is not started: await producer.start() or use "
                "`async with Producer(...) as producer`"
            )
        return ProducerClosedError()
