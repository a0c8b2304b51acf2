"""Building a producer's parts from its config and wiring them to each other.

`Producer` keeps the public API; this is the one place that knows which part gets which other
part and which callback (the accumulator, the in-flight registry, the broker pool, the sender,
the producer ids, the transaction manager and the metrics). Runs once per producer.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ferrokafka import _held_records, _native, _waits
from ferrokafka._broker_pool import BrokerPool
from ferrokafka._inflight import InFlight
from ferrokafka._interceptor_chain import InterceptorChain
from ferrokafka._logging import PRODUCER, TRANSACTIONS, client_log
from ferrokafka._metrics import ProducerMetrics, WindowConfig
from ferrokafka._producer_id import ProducerIdManager
from ferrokafka._sasl import authenticator_for
from ferrokafka._sender import Sender
from ferrokafka._tls import ssl_context_for
from ferrokafka._transactions.manager import TransactionManager
from ferrokafka._transactions.producer_ids import TransactionalProducerIds

if TYPE_CHECKING:
    from ferrokafka.producer import Producer


def assemble(producer: Producer) -> None:
    """Creates the parts of ``producer`` (from ``producer._config``) and connects them."""
    config = producer._config
    codec = config.compression_type
    level = {
        "gzip": config.compression_gzip_level,
        "lz4": config.compression_lz4_level,
        "zstd": config.compression_zstd_level,
    }.get(codec)
    producer._accumulator = _native.Accumulator(
        batch_size=config.batch_size,
        linger_ms=config.linger_ms,
        buffer_memory=config.buffer_memory,
        compression=codec,
        compression_level=None if level is None or level == -1 else level,
        max_request_size=config.max_request_size,
        idempotent=config.enable_idempotence,
        transactional=config.transactional_id is not None,
        partitioner_ignore_keys=config.partitioner_ignore_keys,
        partitioner_adaptive=config.partitioner_adaptive_partitioning_enable,
        mute_while_in_flight=config.max_in_flight_requests_per_connection == 1,
    )
    producer._metrics = ProducerMetrics(
        config.client_id,
        WindowConfig(config.metrics_sample_window_ms, config.metrics_num_samples),
    )
    authenticator = authenticator_for(config)
    if authenticator is not None:
        producer._metrics.authentications = authenticator.counts
    # Every batch from its first record to its end: the registry the sender moves them in.
    producer._inflight = InFlight(
        config.delivery_timeout_ms, client_log(PRODUCER, config.client_id)
    )
    producer._held = {}
    producer._held_bytes = 0
    producer._partition_counts = {}
    producer._send_fast_path = None
    ids_log = client_log(TRANSACTIONS, config.client_id)
    transactional_ids = (
        TransactionalProducerIds(config.transaction_timeout_ms, ids_log)
        if config.transactional_id is not None
        else None
    )
    producer._producer_ids = transactional_ids or (
        ProducerIdManager(config.transaction_timeout_ms, ids_log)
        if config.enable_idempotence
        else None
    )
    producer._pool = BrokerPool(config, ssl_context_for(config), authenticator)
    producer._pool.on_metadata = partial(_held_records.on_metadata, producer)
    producer._sender = Sender(
        config,
        producer._accumulator,
        producer._pool,
        producer._inflight,
        producer._producer_ids,
        producer._metrics,
    )
    producer._transactions = (
        None
        if transactional_ids is None
        else TransactionManager(
            config, producer._pool, producer._accumulator, transactional_ids, producer._sender.wake
        )
    )
    producer._sender.transactions = producer._transactions
    producer._sender.on_memory_freed = partial(_waits.memory_freed, producer)
    producer._metrics.attach(producer._accumulator, producer._producer_ids)
    producer._metrics.requests_in_flight = producer._sender.requests_in_flight
    producer._pool.network = producer._metrics.network
    producer._sender_task = None
    # Set once close() has finished, for concurrent callers of close().
    producer._closed = None
    producer._space_freed = None
    producer._metadata_arrived = None
    producer._key_serializer = config.key_serializer
    producer._value_serializer = config.value_serializer
    producer._delivery_timeout_ms = config.delivery_timeout_ms
    producer._interceptors = InterceptorChain(config) if config.interceptors else None
