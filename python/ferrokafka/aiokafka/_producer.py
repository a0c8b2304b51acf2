"""`AIOKafkaProducer`: aiokafka's producer class, sending through a `ferrokafka.Producer`."""

from __future__ import annotations

import asyncio
import inspect
import random
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack

from ferrokafka._config import constants as c
from ferrokafka.aiokafka._batch import BatchBuilder
from ferrokafka.aiokafka._options import (
    acks_option,
    compression_option,
    has_transactions,
    partitioner_option,
    sasl_options,
    with_default_port,
)
from ferrokafka.aiokafka._structs import (
    PENDING_TRANSACTIONS,
    HeaderList,
    RecordMetadata,
    Serializer,
    TransactionsUnavailableError,
    from_ferrokafka,
)
from ferrokafka.errors import BufferFullError, KafkaTimeoutError, PartitionOutOfRangeError
from ferrokafka.producer import Producer
from ferrokafka.records import DeliveryFuture

# How long `send` sleeps between tries while buffer_memory is full: the async producer has no
# awaitable enqueue that returns before the delivery.
_SPACE_POLL_MIN_S = 0.001
_SPACE_POLL_MAX_S = 0.05


class FerrokafkaOptions(TypedDict, total=False):
    """The ferrokafka options that are not aiokafka parameters, typed as in `ProducerOptions`
    (a test holds the two together): ``AIOKafkaProducer(..., delivery_timeout_ms=30000)``."""

    client_dns_lookup: c.ClientDnsLookup
    retries: int
    delivery_timeout_ms: int
    retry_backoff_max_ms: int
    max_in_flight_requests_per_connection: int
    batch_size: int
    buffer_memory: int
    max_block_ms: int
    compression_gzip_level: int
    compression_lz4_level: int
    compression_zstd_level: int
    coalesce_small_requests: bool
    partitioner_ignore_keys: bool
    partitioner_adaptive_partitioning_enable: bool
    partitioner_availability_timeout_ms: int
    metadata_max_idle_ms: int
    reconnect_backoff_ms: int
    reconnect_backoff_max_ms: int
    socket_connection_setup_timeout_ms: int
    socket_connection_setup_timeout_max_ms: int
    send_buffer_bytes: int
    receive_buffer_bytes: int
    metrics_sample_window_ms: int
    metrics_num_samples: int
    interceptors: c.InterceptorsOption
    sasl_username: str | None
    sasl_password: str | None
    sasl_oauthbearer_token_endpoint_url: str | None
    sasl_oauthbearer_client_credentials_client_id: str | None
    sasl_oauthbearer_client_credentials_client_secret: str | None
    sasl_oauthbearer_scope: str | None
    sasl_oauthbearer_extensions: c.ExtensionsOption
    ssl_cafile: str | None
    ssl_capath: str | None
    ssl_cadata: str | None
    ssl_certfile: str | None
    ssl_keyfile: str | None
    ssl_password: str | None
    ssl_keystore_location: str | None
    ssl_keystore_password: str | None
    ssl_keystore_type: c.SslKeystoreType
    ssl_enabled_protocols: c.TlsVersionsOption
    ssl_cipher_suites: str | None
    ssl_check_hostname: bool


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
        **ferrokafka_options: Unpack[FerrokafkaOptions],
    ) -> None:
        if loop is not None:
            warnings.warn(
                "The `loop` parameter is ignored (as in aiokafka since 0.7.1)",
                DeprecationWarning,
                stacklevel=2,
            )
        if transactional_id is not None and not has_transactions():
            raise TransactionsUnavailableError(PENDING_TRANSACTIONS)
        options: dict[str, Any] = {
            "bootstrap_servers": with_default_port(bootstrap_servers),
            "metadata_max_age_ms": metadata_max_age_ms,
            "request_timeout_ms": request_timeout_ms,
            # aiokafka waits up to request_timeout_ms for metadata and buffer space.
            "max_block_ms": request_timeout_ms,
            "acks": acks_option(acks, enable_idempotence or transactional_id is not None),
            "compression_type": compression_option(compression_type),
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
        custom_partitioner = partitioner_option(partitioner)
        if custom_partitioner is not None:
            options["partitioner"] = custom_partitioner
        if security_protocol.startswith("SASL"):
            options.update(
                sasl_options(
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
                future.set_result(None if self._acks == 0 else from_ferrokafka(first.result()))

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
        if not has_transactions():
            raise TransactionsUnavailableError(PENDING_TRANSACTIONS)
        return self._producer


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
            future.set_result(None if no_ack else from_ferrokafka(delivery.result()))

    return resolve


def _offset(value: Any) -> int:
    """An offset given as an int or as aiokafka's ``OffsetAndMetadata``."""
    return int(value if isinstance(value, int) else value.offset)
