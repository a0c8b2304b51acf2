"""Records sent before their topic's metadata is known, and what each metadata update does.

`send_nowait` cannot wait, so a record of a topic without metadata is held (`HeldTopic`) until
the metadata arrives, then appended as if it had just been sent; an authorization error fails it
at once, and ``max_block_ms`` without metadata fails it with `KafkaTimeoutError`. Functions of the
producer, whose fields they change: none runs per record of a known topic.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from ferrokafka._argument_errors import check_held_record
from ferrokafka._broker_pool import BrokerPool
from ferrokafka._error_codes import ErrorCode
from ferrokafka._held import Headers, HeldRecord, HeldTopic, record_size
from ferrokafka._pending import PendingBatch
from ferrokafka._record_args import check_topic, custom_partition
from ferrokafka._runtime import now_ms
from ferrokafka.errors import (
    BufferFullError,
    KafkaTimeoutError,
    ProducerClosedError,
    TopicAuthorizationFailedError,
    error_for_code,
)
from ferrokafka.records import DeliveryFuture

if TYPE_CHECKING:
    from ferrokafka.producer import Producer


def hold(
    producer: Producer,
    topic: str,
    partition: int | None,
    key: bytes | None,
    value: bytes | None,
    headers: Headers,
    timestamp_ms: int,
    original: tuple[Any, Any] | None,
) -> DeliveryFuture:
    check_topic(topic)
    check_held_record(producer._config, topic, key, value, headers, timestamp_ms)
    size = record_size(key, value, headers)
    if producer._held_bytes + size > producer._accumulator.available_memory():
        raise BufferFullError(
            f"buffer_memory is full (records for {topic!r} are waiting for its metadata). "
            f"Await send() to wait for space (up to max_block_ms={producer._config.max_block_ms}), "
            "slow down, or raise buffer_memory"
        )
    held = producer._held.get(topic)
    if held is None:
        now = now_ms()
        held = producer._held[topic] = HeldTopic(
            topic,
            now + producer._config.max_block_ms,
            now + producer._delivery_timeout_ms,
            producer._inflight.log,
        )
        producer._pool.want_topic(topic)
        producer._sender.request_metadata()
        producer._sender.watch_deadline(held.deadline_ms, partial(expire_held, producer))
    producer._held_bytes += size
    return held.hold(partition, key, value, headers, timestamp_ms, original)


def on_metadata(producer: Producer) -> None:
    """After every metadata update: partition counts, availability, held records."""
    counts = producer._partition_counts
    topics = producer._pool.metadata.topics
    # Topics dropped for idleness (metadata_max_idle_ms) wait for metadata again when used.
    dropped = [n for n in counts if n not in topics]
    for name in dropped:
        del counts[name]
    changed = bool(dropped)
    for name, state in topics.items():
        if (
            state.error_code == ErrorCode.NONE
            and state.partitions
            and counts.get(name) != len(state.partitions)
        ):
            counts[name] = len(state.partitions)
            changed = True
    if changed and producer._send_fast_path is not None:
        # It keeps the count of the topic it saw last.
        producer._send_fast_path.partition_counts_changed()
    producer._sender.availability.update()
    for name in [n for n in producer._held if n in counts]:
        release_held(producer, producer._held[name])
    for name in [n for n in producer._held if refused_topic(producer, n) is not None]:
        # As Java's Metadata: an authorization error is final, not waited out.
        held = producer._held.pop(name)
        producer._held_bytes -= held.size
        error = refused_topic(producer, name)
        assert error is not None
        held.fail(error)
    if producer._metadata_arrived is not None:
        producer._metadata_arrived.set()
        producer._metadata_arrived = None


def release_held(producer: Producer, held: HeldTopic) -> None:
    del producer._held[held.topic]
    producer._held_bytes -= held.size
    count = producer._partition_counts.get(held.topic)
    if count is None:
        held.fail(ProducerClosedError("the producer closed before the topic's metadata came"))
        return

    def append(record: HeldRecord) -> tuple[PendingBatch, int]:
        partition = record.partition
        if producer._config.partitioner is not None and partition is None:
            key, value = record.original or (record.key, record.value)
            partition = custom_partition(
                producer._config, held.topic, key, record.key, value, count
            )
        future = producer._append(
            held.topic,
            count,
            partition,
            record.key,
            record.value,
            record.headers,
            record.timestamp_ms,
        )
        return future._batch, future._index

    held.release(append)


def expire_held(producer: Producer) -> None:
    now = now_ms()
    for held in [h for h in producer._held.values() if h.deadline_ms <= now]:
        del producer._held[held.topic]
        producer._held_bytes -= held.size
        waited = f"max_block_ms={producer._config.max_block_ms}"
        held.fail(no_metadata_error(held.topic, waited, producer._pool))


def refused_topic(producer: Producer, topic: str) -> TopicAuthorizationFailedError | None:
    """The error to fail records with at once if the principal may not describe
    ``topic`` (metadata answers TOPIC_AUTHORIZATION_FAILED)."""
    state = producer._pool.metadata.topic(topic)
    if state is None or state.error_code != ErrorCode.TOPIC_AUTHORIZATION_FAILED:
        return None
    return TopicAuthorizationFailedError(f"topic {topic!r}: not authorized to describe it")


def no_metadata_error(topic: str, waited: str, pool: BrokerPool) -> KafkaTimeoutError:
    state = pool.metadata.topic(topic)
    missing = f"topic {topic!r} not present in metadata after {waited}"
    if state is not None and state.error_code:
        # The broker's error says what to do about it (create the topic, wait for a leader):
        # advice of ours after it would repeat it, or contradict it.
        return KafkaTimeoutError(
            f"{missing}; the broker answers: {error_for_code(state.error_code)}"
        )
    reason = f" (last error: {pool.last_error})" if pool.last_error is not None else ""
    return KafkaTimeoutError(f"{missing}{reason}. Create the topic, or check its name and the ACLs")
