"""SPEC section 6: every invalid input raises its own exception saying what to fix, leaves the
producer usable, and leaves the other records of the batch it would have joined untouched.

Each record-level test queues a record, makes the mistake, and queues another record, all
without awaiting in between and with a long linger, so that the two good records share the
batch the bad one was headed for; then both must be delivered, and nothing else.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from producer_helpers import options

from ferrokafka import (
    ConfigError,
    InvalidTimestampError,
    InvalidTopicError,
    JsonSerializer,
    KafkaError,
    PartitionOutOfRangeError,
    Producer,
    ProducerClosedError,
    RecordTooLargeError,
    SerializationError,
    StringSerializer,
)
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

MAX_REQUEST_SIZE = 100_000


async def check_batch_survives(
    kafka: BaseCluster,
    name: str,
    mistake: Callable[[Producer], Any],
    expected: type[KafkaError],
    match: str,
    *,
    awaited: bool = False,
    **producer_options: Any,
) -> KafkaError:
    async with Producer(
        **options(kafka, linger_ms=100, max_request_size=MAX_REQUEST_SIZE, **producer_options)
    ) as producer:
        await producer.wait_for_topic(name)
        before = producer.send_nowait(name, b"before", key=b"k")

        async def attempt() -> None:
            outcome = mistake(producer)
            if awaited:
                await outcome

        with pytest.raises(expected, match=match) as info:
            await attempt()
        after = producer.send_nowait(name, b"after", key=b"k")
        await producer.flush()
        first, second = await before, await after
        assert (first.partition, first.offset + 1) == (second.partition, second.offset)
        # Still usable for more.
        later = producer.send_nowait(name, b"later", key=b"k")
        await producer.flush()
    # The topic has one partition, so offset 2 for the third record means nothing else was
    # written before it.
    assert (await later).offset == 2
    assert [r.value for r in kafka.consume(name, 3)] == [b"before", b"after", b"later"]
    return info.value


# --- options ---------------------------------------------------------------------------------


async def test_unknown_option(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()

    def mistake(_: Producer) -> None:
        Producer(bootstrap_servers=kafka.bootstrap_servers, linger_msec=5)

    error = await check_batch_survives(kafka, name, mistake, ConfigError, "linger_msec")
    assert isinstance(error, ConfigError)
    assert error.option == "linger_msec"
    assert "linger_ms" in str(error)  # the fix: the option meant
    with pytest.raises(ConfigError, match=r"linger\.msec") as info:
        Producer.from_config({"bootstrap.servers": kafka.bootstrap_servers, "linger.msec": "5"})
    assert "linger.ms" in str(info.value)


async def test_wrong_option_type(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()

    def mistake(_: Producer) -> None:
        Producer(bootstrap_servers=kafka.bootstrap_servers, linger_ms="5")

    error = await check_batch_survives(kafka, name, mistake, ConfigError, "linger_ms")
    assert isinstance(error, ConfigError)
    assert error.option == "linger_ms"
    assert "an int" in str(error)
    with pytest.raises(ConfigError, match=r"linger\.ms") as info:
        Producer.from_config({"bootstrap.servers": kafka.bootstrap_servers, "linger.ms": "soon"})
    assert info.value.option == "linger_ms"


async def test_contradictory_options(kafka: BaseCluster) -> None:
    with pytest.raises(ConfigError, match="acks") as info:
        Producer(bootstrap_servers=kafka.bootstrap_servers, enable_idempotence=True, acks=1)
    assert info.value.option in ("acks", "enable_idempotence")
    with pytest.raises(ConfigError, match="delivery_timeout_ms") as info:
        Producer(bootstrap_servers=kafka.bootstrap_servers, delivery_timeout_ms=1_000)
    assert info.value.option == "delivery_timeout_ms"


# --- records ---------------------------------------------------------------------------------


@pytest.mark.parametrize("awaited", [False, True], ids=["send_nowait", "send"])
async def test_value_not_bytes_without_serializer(
    kafka: BaseCluster, topic: TopicFactory, awaited: bool
) -> None:
    name = topic()

    def mistake(producer: Producer) -> Any:
        if awaited:
            return producer.send(name, "text", key=b"k")
        return producer.send_nowait(name, "text", key=b"k")

    await check_batch_survives(
        kafka, name, mistake, SerializationError, "value_serializer", awaited=awaited
    )


async def test_key_not_bytes_without_serializer(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    await check_batch_survives(
        kafka,
        name,
        lambda p: p.send_nowait(name, b"v", key=17),
        SerializationError,
        "key_serializer",
    )


@pytest.mark.parametrize("awaited", [False, True], ids=["send_nowait", "send"])
async def test_record_larger_than_max_request_size(
    kafka: BaseCluster, topic: TopicFactory, awaited: bool
) -> None:
    name = topic()
    huge = b"h" * (MAX_REQUEST_SIZE + 1)

    def mistake(producer: Producer) -> Any:
        if awaited:
            return producer.send(name, huge, key=b"k")
        return producer.send_nowait(name, huge, key=b"k")

    error = await check_batch_survives(
        kafka, name, mistake, RecordTooLargeError, "max_request_size", awaited=awaited
    )
    assert str(MAX_REQUEST_SIZE) in str(error)


@pytest.mark.parametrize("awaited", [False, True], ids=["send_nowait", "send"])
@pytest.mark.parametrize("bad_name", ["with space", "a" * 250, "..", "ünïcode", ""])
async def test_invalid_topic_name(
    kafka: BaseCluster, topic: TopicFactory, bad_name: str, awaited: bool
) -> None:
    name = topic()

    def mistake(producer: Producer) -> Any:
        if awaited:
            return producer.send(bad_name, b"v")
        return producer.send_nowait(bad_name, b"v")

    await check_batch_survives(
        kafka, name, mistake, InvalidTopicError, "not a valid topic name", awaited=awaited
    )


@pytest.mark.parametrize("partition", [1, 7, -1, "0"])
async def test_partition_out_of_range(
    kafka: BaseCluster, topic: TopicFactory, partition: Any
) -> None:
    name = topic()
    error = await check_batch_survives(
        kafka,
        name,
        lambda p: p.send_nowait(name, b"v", partition=partition),
        PartitionOutOfRangeError,
        "partition",
    )
    assert "0..0" in str(error) or "partition=None" in str(error)


@pytest.mark.parametrize(
    "headers",
    [[(b"name", b"v")], [(1, b"v")], {b"name": b"v"}, [("ok", "not bytes")], [("lonely",)]],
    ids=["bytes-name", "int-name", "dict-bytes-name", "str-value", "not-a-pair"],
)
async def test_header_key_not_str(kafka: BaseCluster, topic: TopicFactory, headers: Any) -> None:
    name = topic()
    await check_batch_survives(
        kafka,
        name,
        lambda p: p.send_nowait(name, b"v", headers=headers),
        SerializationError,
        "header",
    )


@pytest.mark.parametrize("awaited", [False, True], ids=["send_nowait", "send"])
async def test_timestamp_out_of_range(
    kafka: BaseCluster, topic: TopicFactory, awaited: bool
) -> None:
    name = topic()
    two_hours_ahead = int(time.time() * 1000) + 2 * 3_600_000

    def mistake(producer: Producer) -> Any:
        if awaited:
            return producer.send(name, b"v", timestamp_ms=two_hours_ahead)
        return producer.send_nowait(name, b"v", timestamp_ms=two_hours_ahead)

    await check_batch_survives(
        kafka, name, mistake, InvalidTimestampError, "in the future", awaited=awaited
    )
    await check_batch_survives(
        kafka,
        topic(),
        lambda p: p.send_nowait(name, b"v", timestamp_ms=-5),
        InvalidTimestampError,
        "non-negative int",
    )


async def test_send_after_close(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    producer = Producer(**options(kafka, linger_ms=200))
    await producer.start()
    futures = [producer.send_nowait(name, b"queued-%d" % i) for i in range(10)]
    await producer.close()
    with pytest.raises(ProducerClosedError, match="closed"):
        producer.send_nowait(name, b"late")
    with pytest.raises(ProducerClosedError):
        await producer.send(name, b"late")
    with pytest.raises(ProducerClosedError):
        producer.send_many(name, [b"late"])
    metas = [await f for f in futures]
    assert [m.offset for m in metas] == list(range(10))
    assert [r.value for r in kafka.consume(name, 10)] == [b"queued-%d" % i for i in range(10)]
    # Closing again is harmless.
    await producer.close()


# --- serializers -----------------------------------------------------------------------------


class Exploding:
    def serialize(self, topic: str, value: Any, headers: Any = None) -> bytes:
        if value == "boom":
            raise RuntimeError("cannot encode boom")
        return str(value).encode()


@pytest.mark.parametrize("which", ["key", "value"])
async def test_serializer_failure_enqueues_nothing(
    kafka: BaseCluster, topic: TopicFactory, which: str
) -> None:
    name = topic()
    async with Producer(
        **options(
            kafka,
            linger_ms=200,
            key_serializer=Exploding() if which == "key" else StringSerializer(),
            value_serializer=Exploding() if which == "value" else StringSerializer(),
        )
    ) as producer:
        await producer.wait_for_topic(name)
        before = producer.send_nowait(name, "before", key="k")
        available = producer.metrics()["buffer-available-bytes"]
        key, value = ("boom", "v") if which == "key" else ("k", "boom")
        with pytest.raises(SerializationError, match="cannot encode boom") as info:
            producer.send_nowait(name, value, key)
        assert isinstance(info.value.__cause__, RuntimeError)
        with pytest.raises(SerializationError):
            await producer.send(name, value, key)
        assert producer.metrics()["buffer-available-bytes"] == available
        after = producer.send_nowait(name, "after", key="k")
        await producer.flush()
        assert ((await before).offset, (await after).offset) == (0, 1)
    assert [(r.key, r.value) for r in kafka.consume(name, 2)] == [
        (b"k", b"before"),
        (b"k", b"after"),
    ]


async def test_json_serializer_failure(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    async with Producer(**options(kafka, value_serializer=JsonSerializer())) as producer:
        with pytest.raises(SerializationError, match="default="):
            producer.send_nowait(name, {"when": object()})
        assert (await producer.send(name, {"n": 1})).offset == 0
    assert [r.value for r in kafka.consume(name, 1)] == [b'{"n":1}']


@pytest.mark.parametrize("codec", ["none", "lz4"])
async def test_record_larger_than_the_topic_allows(
    kafka: BaseCluster, topic: TopicFactory, codec: str
) -> None:
    """The broker rejects batches over the topic's max.message.bytes: batches of several
    records are split and sent again; the one record too large by itself fails alone, and
    the others arrive once each, in order."""
    name = topic(config={"max.message.bytes": "20000"})
    # Random bytes: no codec makes them small enough to pass unsplit.
    values = [b"%05d" % i + os.urandom(995) for i in range(300)]
    async with Producer(
        **options(kafka, batch_size=200_000, linger_ms=100, compression_type=codec)
    ) as producer:
        await producer.wait_for_topic(name)
        futures = [producer.send_nowait(name, v) for v in values[:200]]
        too_large = producer.send_nowait(name, os.urandom(30_000))
        futures += [producer.send_nowait(name, v) for v in values[200:]]
        with pytest.raises(RecordTooLargeError):
            await too_large
        assert [(await f).offset for f in futures] == list(range(300))
        assert producer.metrics()["batch-split-total"] >= 1
    assert [r.value for r in kafka.consume(name, 300)] == values
