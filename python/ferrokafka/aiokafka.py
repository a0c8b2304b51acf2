"""`AIOKafkaProducer` with aiokafka's constructor and methods, on ferrokafka.

Migrating is one import::

    from ferrokafka.aiokafka import AIOKafkaProducer   # was: from aiokafka import ...

    producer = AIOKafkaProducer(bootstrap_servers="localhost:9092", value_serializer=json_dumps)
    await producer.start()
    future = await producer.send("orders", {"id": 1})   # enqueued
    metadata = await future                             # acknowledged
    await producer.stop()

Defaults are aiokafka's, not ferrokafka's (``acks=1``, ``linger_ms=0``, no idempotence,
``request_timeout_ms=40000``), so an application behaves as it did. Serializers are aiokafka's
plain callables ``f(value) -> bytes``. What differs, by design:

- errors are `ferrokafka.errors` classes (``KafkaTimeoutError``, ``RecordTooLargeError``, ...);
  invalid options raise `ConfigError` (a ``ValueError``, as aiokafka's checks are);
- records without a key are spread by the sticky partitioner (KIP-794), not at random; keyed
  records land on the same partitions as with aiokafka (murmur2, as Java);
- a record with neither key nor value is allowed (Kafka allows it);
- transactions are not available in this version of ferrokafka: ``transactional_id`` and the
  transaction methods raise `TransactionsUnavailableError` (a ``NotImplementedError``);
- ``sasl_mechanism="GSSAPI"`` (Kerberos) is refused.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, NamedTuple, Self

from ferrokafka.errors import (
    BufferFullError,
    ConfigError,
    KafkaError,
    KafkaTimeoutError,
    PartitionOutOfRangeError,
)
from ferrokafka.producer import Producer
from ferrokafka.records import DeliveryFuture
from ferrokafka.records import RecordMetadata as FerroMetadata

__all__ = [
    "AIOKafkaProducer",
    "BatchBuilder",
    "RecordMetadata",
    "TopicPartition",
    "TransactionsUnavailableError",
]

Serializer = Callable[[Any], bytes | None]
HeaderList = Sequence[tuple[str, bytes | None]]

# aiokafka's TimestampType numbers.
CREATE_TIME = 0
LOG_APPEND_TIME = 1

# A record batch's fixed header, and a record's framing at most (varints of length, attributes,
# timestamp and offset deltas, key and value lengths, header count): what `BatchBuilder.size()`
# adds to the payload, as aiokafka's builder estimates it.
_BATCH_OVERHEAD = 61
_RECORD_OVERHEAD = 21
# How long `send` sleeps between tries while buffer_memory is full: the async producer has no
# awaitable enqueue that returns before the delivery.
_SPACE_POLL_MIN_S = 0.001
_SPACE_POLL_MAX_S = 0.05

_PENDING_TRANSACTIONS = (
    "transactions are not available in this version of ferrokafka (the transactional producer "
    "is a pending feature): remove transactional_id, or keep aiokafka's producer for "
    "transactional code until ferrokafka ships transactions"
)


class TransactionsUnavailableError(KafkaError, NotImplementedError):
    """A transactional call on a ferrokafka that has no transactions yet."""


class TopicPartition(NamedTuple):
    """aiokafka's ``TopicPartition``; equal to it (both are plain tuples)."""

    topic: str
    partition: int


class RecordMetadata(NamedTuple):
    """aiokafka's ``RecordMetadata``: what a send's future resolves to."""

    topic: str
    partition: int
    topic_partition: TopicPartition
    offset: int
    timestamp: int | None
    #: 0: CreateTime (the producer's timestamp), 1: LogAppendTime (the broker's).
    timestamp_type: int
    #: ferrokafka does not read the log start offset from produce responses: always None.
    log_start_offset: int | None


class BatchRecordMetadata(NamedTuple):
    """What `BatchBuilder.append` returns, as aiokafka's builder does."""

    offset: int
    size: int
    timestamp: int
    crc: None = None


class BatchBuilder:
    """aiokafka's ``BatchBuilder``: records to send together to one partition with
    `AIOKafkaProducer.send_batch`. ``append`` returns None once ``max_batch_size`` is reached
    (the first record always fits) or after `close`."""

    def __init__(
        self,
        max_size: int,
        key_serializer: Serializer | None = None,
        value_serializer: Serializer | None = None,
    ) -> None:
        self._max_size = max_size
        self._key_serializer = key_serializer
        self._value_serializer = value_serializer
        self._records: list[tuple[bytes | None, bytes | None, int, HeaderList]] = []
        self._size = _BATCH_OVERHEAD
        self._closed = False

    def append(
        self,
        *,
        timestamp: int | None,
        key: Any,
        value: Any,
        headers: HeaderList | None = None,
    ) -> BatchRecordMetadata | None:
        """Adds a record (``timestamp`` in milliseconds since the epoch, None for now)."""
        if self._closed:
            return None
        key_bytes = key if self._key_serializer is None else self._key_serializer(key)
        value_bytes = value if self._value_serializer is None else self._value_serializer(value)
        header_list = list(headers or ())
        size = _record_size(key_bytes, value_bytes, header_list)
        if self._records and self._size + size > self._max_size:
            self.close()
            return None
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        offset = len(self._records)
        self._records.append((key_bytes, value_bytes, timestamp, header_list))
        self._size += size
        return BatchRecordMetadata(offset, size, timestamp)

    def close(self) -> None:
        """No more records; sending is not affected."""
        self._closed = True

    def closed(self) -> bool:
        return self._closed

    def size(self) -> int:
        """The batch's estimated size in bytes, uncompressed."""
        return self._size

    def record_count(self) -> int:
        return len(self._records)

    @property
    def records(self) -> list[tuple[bytes | None, bytes | None, int, HeaderList]]:
        """``(key, value, timestamp_ms, headers)`` of every record, serialized."""
        return self._records


_AIOKAFKA_ACKS = (0, 1, -1, "all")


class AIOKafkaProducer:
    """aiokafka's ``AIOKafkaProducer``, sending through a `ferrokafka.Producer`."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        bootstrap_servers: str | Sequence[str] = "localhost",
        client_id: str | None = None,
        metadata_max_age_ms: int = 300000,
        request_timeout_ms: int = 40000,
        api_version: Any = None,
        acks: Any = None,
        key_serializer: Serializer | None = None,
        value_serializer: Serializer | None = None,
        compression_type: str | None = None,
        max_batch_size: int = 16384,
        partitioner: Any = None,
        max_request_size: int = 1048576,
        linger_ms: int = 0,
        retry_backoff_ms: int = 100,
        security_protocol: str = "PLAINTEXT",
        ssl_context: Any = None,
        connections_max_idle_ms: int | None = 540000,
        enable_idempotence: bool = False,
        transactional_id: str | None = None,
        transaction_timeout_ms: int = 60000,
        sasl_mechanism: str = "PLAIN",
        sasl_plain_password: str | None = None,
        sasl_plain_username: str | None = None,
        sasl_kerberos_service_name: str = "kafka",
        sasl_kerberos_domain_name: str | None = None,
        sasl_oauth_token_provider: Any = None,
        **ferrokafka_options: Any,
    ) -> None:
        if loop is not None:
            warnings.warn(
                "The `loop` parameter is ignored (as in aiokafka since 0.7.1)",
                DeprecationWarning,
                stacklevel=2,
            )
        if transactional_id is not None and not _has_transactions():
            raise TransactionsUnavailableError(_PENDING_TRANSACTIONS)
        options: dict[str, Any] = {
            "bootstrap_servers": _with_default_port(bootstrap_servers),
            "metadata_max_age_ms": metadata_max_age_ms,
            "request_timeout_ms": request_timeout_ms,
            # aiokafka waits up to request_timeout_ms for metadata and buffer space.
            "max_block_ms": request_timeout_ms,
            "acks": _acks(acks, enable_idempotence or transactional_id is not None),
            "compression_type": _compression(compression_type),
            "batch_size": max_batch_size,
            "max_request_size": max_request_size,
            "linger_ms": linger_ms,
            "retry_backoff_ms": retry_backoff_ms,
            "security_protocol": security_protocol,
            "connections_max_idle_ms": -1
            if connections_max_idle_ms is None
            else connections_max_idle_ms,
            "enable_idempotence": enable_idempotence or transactional_id is not None,
        }
        if client_id is not None:
            options["client_id"] = client_id
        if ssl_context is not None:
            options["ssl_context"] = ssl_context
        if transactional_id is not None:
            options["transactional_id"] = transactional_id
            options["transaction_timeout_ms"] = transaction_timeout_ms
        custom_partitioner = _custom_partitioner(partitioner)
        if custom_partitioner is not None:
            options["partitioner"] = custom_partitioner
        if security_protocol.startswith("SASL"):
            options.update(
                _sasl_options(
                    sasl_mechanism,
                    sasl_plain_username,
                    sasl_plain_password,
                    sasl_oauth_token_provider,
                )
            )
        # ferrokafka's own options (e.g. delivery_timeout_ms) may be added by name.
        options.update(ferrokafka_options)
        self._producer = Producer(**options)
        self._acks = options["acks"]
        self._key_serializer = key_serializer
        self._value_serializer = value_serializer
        self._max_batch_size = max_batch_size
        self._max_block_s = request_timeout_ms / 1000
        self._known_topics: set[str] = set()
        # aiokafka's attribute: None before start, then False until stop(). Frameworks read it
        # (FastStream's `closed`).
        self._closed: bool | None = False

    @property
    def producer(self) -> Producer:
        """The `ferrokafka.Producer` underneath, for ferrokafka's own API."""
        return self._producer

    # --- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Connects to the cluster."""
        await self._producer.start()

    async def stop(self) -> None:
        """Sends what is buffered and closes every connection."""
        if self._closed:
            return
        self._closed = True
        await self._producer.close()

    async def flush(self) -> None:
        """Waits until every record sent so far has been delivered or failed."""
        await self._producer.flush()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def partitions_for(self, topic: str) -> set[int]:
        """The partition ids of ``topic`` (waiting for its metadata)."""
        partitions = await self._producer.partitions_for(topic)
        self._known_topics.add(topic)
        return set(partitions)

    # --- sending -------------------------------------------------------------------------

    async def send(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: HeaderList | None = None,
    ) -> asyncio.Future[RecordMetadata | None]:
        """Enqueues a record (waiting for metadata and buffer space, up to
        ``request_timeout_ms``) and returns a future of its `RecordMetadata` (None with
        ``acks=0``, as aiokafka)."""
        if self._key_serializer is not None:
            key = self._key_serializer(key)
        if self._value_serializer is not None:
            value = self._value_serializer(value)
        if topic not in self._known_topics:
            await self.partitions_for(topic)
        delivery = await self._enqueue(topic, value, key, partition, timestamp_ms, headers)
        future: asyncio.Future[RecordMetadata | None] = asyncio.get_running_loop().create_future()
        delivery.add_done_callback(_resolver(future, self._acks == 0))
        return future

    async def send_and_wait(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: HeaderList | None = None,
    ) -> RecordMetadata | None:
        """Sends a record and waits for its acknowledgement."""
        future = await self.send(topic, value, key, partition, timestamp_ms, headers)
        return await future

    def create_batch(self) -> BatchBuilder:
        """An empty `BatchBuilder` (this producer's serializers, ``max_batch_size``)."""
        return BatchBuilder(self._max_batch_size, self._key_serializer, self._value_serializer)

    async def send_batch(
        self, batch: BatchBuilder, topic: str, *, partition: int | None
    ) -> asyncio.Future[RecordMetadata | None]:
        """Sends every record of ``batch`` to one partition, in order; returns a future of the
        first record's `RecordMetadata` (the batch's base offset), set once all are delivered.
        With ``partition=None`` one is chosen at random, as aiokafka does."""
        batch.close()
        partitions = await self.partitions_for(topic)
        if partition is None:
            partition = random.choice(sorted(partitions))
        elif partition not in partitions:
            raise PartitionOutOfRangeError(
                f"partition {partition} does not exist: topic {topic!r} has partitions "
                f"0..{len(partitions) - 1}"
            )
        deliveries = [
            await self._enqueue(topic, value, key, partition, timestamp, headers or None)
            for key, value, timestamp, headers in batch.records
        ]
        future: asyncio.Future[RecordMetadata | None] = asyncio.get_running_loop().create_future()
        if not deliveries:
            future.set_result(None)
            return future
        first = deliveries[0]
        remaining = len(deliveries)

        def on_done(delivery: DeliveryFuture) -> None:
            nonlocal remaining
            remaining -= 1
            if future.done():
                return
            error = delivery.exception()
            if error is not None:
                future.set_exception(error)
            elif remaining == 0:
                future.set_result(None if self._acks == 0 else _metadata(first.result()))

        for delivery in deliveries:
            delivery.add_done_callback(on_done)
        return future

    async def _enqueue(
        self,
        topic: str,
        value: Any,
        key: Any,
        partition: int | None,
        timestamp_ms: int | None,
        headers: HeaderList | None,
    ) -> DeliveryFuture:
        """send_nowait, waiting for buffer space up to request_timeout_ms like aiokafka."""
        deadline: float | None = None
        pause = _SPACE_POLL_MIN_S
        while True:
            try:
                return self._producer.send_nowait(
                    topic,
                    value,
                    key,
                    headers=headers or None,
                    partition=partition,
                    timestamp_ms=timestamp_ms,
                )
            except BufferFullError as exc:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self._max_block_s
                elif now >= deadline:
                    raise KafkaTimeoutError(
                        f"no buffer space within request_timeout_ms="
                        f"{self._max_block_s * 1000:.0f}: {exc}"
                    ) from exc
                await asyncio.sleep(pause)
                pause = min(pause * 2, _SPACE_POLL_MAX_S)

    # --- transactions --------------------------------------------------------------------

    async def begin_transaction(self) -> None:
        result = self._transactional().begin_transaction()
        if inspect.isawaitable(result):
            await result

    async def commit_transaction(self) -> None:
        await self._transactional().commit_transaction()

    async def abort_transaction(self) -> None:
        await self._transactional().abort_transaction()

    def transaction(self) -> Any:
        """``async with producer.transaction(): ...``: commits, or aborts on an exception."""
        return self._transactional().transaction()

    async def send_offsets_to_transaction(self, offsets: Mapping[Any, Any], group_id: str) -> None:
        """``offsets`` as aiokafka takes them: ``{TopicPartition: offset or
        OffsetAndMetadata}``."""
        plain = {(tp[0], tp[1]): _offset(value) for tp, value in offsets.items()}
        await self._transactional().send_offsets_to_transaction(plain, group_id)

    def _transactional(self) -> Any:
        if not _has_transactions():
            raise TransactionsUnavailableError(_PENDING_TRANSACTIONS)
        return self._producer


# --- option mapping ------------------------------------------------------------------------


def _has_transactions() -> bool:
    return hasattr(Producer, "begin_transaction")


def _with_default_port(servers: str | Sequence[str]) -> list[str]:
    """aiokafka takes "host" for "host:9092"."""
    entries = servers.split(",") if isinstance(servers, str) else list(servers)
    out = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        has_port = (
            entry.rsplit("]", 1)[-1].count(":") == 1 if entry.startswith("[") else ":" in entry
        )
        out.append(entry if has_port else f"{entry}:9092")
    return out


def _acks(acks: Any, idempotent: bool) -> int | str:
    # aiokafka's "not given" is a private sentinel object (frameworks pass it through).
    if acks is None or type(acks) is object:
        return "all" if idempotent else 1
    if acks not in _AIOKAFKA_ACKS:
        raise ConfigError(f"acks={acks!r}: give 0, 1, 'all' or -1", option="acks")
    if idempotent and acks not in ("all", -1):
        raise ConfigError(
            f"acks={acks!r} not supported with enable_idempotence=True: use acks='all'",
            option="acks",
        )
    return "all" if acks == -1 else acks


def _compression(compression_type: str | None) -> str:
    if compression_type is None:
        return "none"
    if compression_type not in ("gzip", "snappy", "lz4", "zstd"):
        raise ConfigError(
            f"compression_type={compression_type!r}: give 'gzip', 'snappy', 'lz4', 'zstd' or None",
            option="compression_type",
        )
    return compression_type


def _custom_partitioner(
    partitioner: Any,
) -> Callable[[str, Any, bytes | None, Any, int], int] | None:
    """aiokafka's ``partitioner(key_bytes, all_partitions, available_partitions)`` as
    ferrokafka's; None for aiokafka's default, which ferrokafka's built-in one replaces."""
    if partitioner is None:
        return None
    kind = type(partitioner)
    if kind.__name__ == "DefaultPartitioner" and kind.__module__.startswith("aiokafka"):
        return None
    if not callable(partitioner):
        raise ConfigError(
            f"partitioner={partitioner!r} is not callable: give "
            "partitioner(key_bytes, all_partitions, available_partitions) -> int",
            option="partitioner",
        )

    def adapted(topic: str, key: Any, key_bytes: bytes | None, value: Any, count: int) -> int:
        partitions = list(range(count))
        # ferrokafka does not tell which partitions have a leader: all are offered.
        return int(partitioner(key_bytes, partitions, partitions))

    return adapted


def _sasl_options(
    mechanism: str, username: str | None, password: str | None, token_provider: Any
) -> dict[str, Any]:
    if mechanism == "GSSAPI":
        raise ConfigError(
            "sasl_mechanism='GSSAPI' (Kerberos) is not supported by ferrokafka: use PLAIN, "
            "SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
            option="sasl_mechanism",
        )
    options: dict[str, Any] = {"sasl_mechanism": mechanism}
    if username is not None:
        options["sasl_username"] = username
    if password is not None:
        options["sasl_password"] = password
    if token_provider is not None:
        # aiokafka's AbstractTokenProvider has `async def token()`; ferrokafka takes a callable.
        token: Callable[[], str | Awaitable[str]] = getattr(token_provider, "token", token_provider)
        options["sasl_oauth_token_provider"] = token
    return options


# --- results -------------------------------------------------------------------------------


def _metadata(metadata: FerroMetadata) -> RecordMetadata:
    return RecordMetadata(
        metadata.topic,
        metadata.partition,
        TopicPartition(metadata.topic, metadata.partition),
        metadata.offset,
        metadata.timestamp,
        LOG_APPEND_TIME if metadata.timestamp_type == "LogAppendTime" else CREATE_TIME,
        None,
    )


def _resolver(
    future: asyncio.Future[RecordMetadata | None], no_ack: bool
) -> Callable[[DeliveryFuture], None]:
    def resolve(delivery: DeliveryFuture) -> None:
        if future.done():
            return  # cancelled by its awaiter: the record is still sent, as in aiokafka
        error = delivery.exception()
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(None if no_ack else _metadata(delivery.result()))

    return resolve


def _offset(value: Any) -> int:
    """An offset given as an int or as aiokafka's ``OffsetAndMetadata``."""
    return int(value if isinstance(value, int) else value.offset)


def _record_size(key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, Any]]) -> int:
    size = _RECORD_OVERHEAD + (len(key) if key else 0) + (len(value) if value else 0)
    for name, header_value in headers:
        size += 10 + len(name.encode()) + (len(header_value) if header_value else 0)
    return size
