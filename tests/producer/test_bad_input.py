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
    BufferFullError,
    ConfigError,
    IllegalStateError,
    InvalidTimestampError,
    InvalidTopicError,
    JsonSerializer,
    KafkaError,
    KafkaTimeoutError,
    PartitionOutOfRangeError,
    Producer,
    ProducerClosedError,
    RecordTooLargeError,
    SerializationError,
    StringSerializer,
)
from ferrokafka._batch_settling import _delivery_timeout
from ferrokafka._pending import PendingBatch
from ferrokafka.serializers import ByteArraySerializer
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
        kafka, name, mistake, InvalidTopicError, "The topic name is invalid", awaited=awaited
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
    assert "it has 1 partition (valid: 0); pass one of those, or partition=None" in str(error)


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


# --- what would be a builtin exception (OverflowError, UnicodeEncodeError) is ours --------------

FOREIGN_MISTAKES: dict[str, tuple[dict[str, Any], type[KafkaError], str]] = {
    # Beyond int32, not an OverflowError.
    "partition-2**40": (
        {"partition": 2**40},
        PartitionOutOfRangeError,
        "partition 1099511627776 of .* is out of range",
    ),
    # A bool is an int to Python: True would be partition 1, False partition 0.
    "partition-True": ({"partition": True}, PartitionOutOfRangeError, "partition=True is a bool"),
    "partition-False": ({"partition": False}, PartitionOutOfRangeError, "=False is a bool"),
    # UnicodeEncodeError: a lone surrogate has no UTF-8.
    "header-surrogate": ({"headers": [("\ud800", b"v")]}, SerializationError, "sent as UTF-8"),
}


@pytest.mark.parametrize(
    ("path", "mistake"),
    [
        (path, mistake)
        for mistake in FOREIGN_MISTAKES
        for path in ("send_nowait", "send", "send_many")
        # send_many takes no headers.
        if not (path == "send_many" and mistake.startswith("header"))
    ],
)
async def test_foreign_exceptions_become_typed_errors(
    kafka: BaseCluster, topic: TopicFactory, path: str, mistake: str
) -> None:
    """Through the native fast path (send_nowait and send with plain arguments hand failures
    back to the Python path) and send_many: the same typed error, nothing written."""
    name = topic()
    arguments, expected, match = FOREIGN_MISTAKES[mistake]

    def make(producer: Producer) -> Any:
        if path == "send_many":
            return producer.send_many(name, [b"v"], **arguments)
        return getattr(producer, path)(name, b"v", **arguments)

    await check_batch_survives(kafka, name, make, expected, match, awaited=path == "send")


async def test_bool_partition_is_refused_on_a_topic_that_has_partition_1(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=2)
    async with Producer(**options(kafka)) as producer:
        await producer.wait_for_topic(name)
        for call in (
            lambda: producer.send_nowait(name, b"v", partition=True),
            lambda: producer.send_many(name, [b"v"], partition=True),
        ):
            with pytest.raises(PartitionOutOfRangeError, match="partition=True is a bool"):
                call()
        with pytest.raises(PartitionOutOfRangeError, match="partition=True is a bool"):
            await producer.send(name, b"v", partition=True)
        meta = await producer.send(name, b"one", partition=1)
    assert (meta.partition, meta.offset) == (1, 0)
    assert [r.value for r in kafka.consume(name, 1)] == [b"one"]


@pytest.mark.parametrize("known", [True, False], ids=["metadata-known", "metadata-unknown"])
@pytest.mark.parametrize("native", [True, False], ids=["fast-path", "slow-path"])
async def test_bool_partition_is_refused_by_every_call(
    kafka: BaseCluster, topic: TopicFactory, known: bool, native: bool
) -> None:
    """``partition=True`` is not partition 1 on any path: send_nowait, send and produce, on
    the native fast path and off it (a serializer takes every call off it), with the topic's
    metadata known and before it is; nothing is queued."""
    name = topic(partitions=2)
    serializer = None if native else ByteArraySerializer()
    async with Producer(**options(kafka), value_serializer=serializer) as producer:
        assert ("send_nowait" in producer.__dict__) is native
        if known:
            await producer.wait_for_topic(name)
        with pytest.raises(PartitionOutOfRangeError, match="partition=True is a bool"):
            producer.send_nowait(name, b"v", partition=True)
        with pytest.raises(PartitionOutOfRangeError, match="partition=True is a bool"):
            await producer.send(name, b"v", partition=True)
        with pytest.raises(PartitionOutOfRangeError, match="partition=True is a bool"):
            await producer.produce(name, b"v", partition=True)
        meta = await producer.send(name, b"one", partition=1)
    assert (meta.partition, meta.offset) == (1, 0)
    assert [r.value for r in kafka.consume(name, 1)] == [b"one"]


async def test_bad_arguments_for_a_topic_without_metadata_raise_at_once(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """Records for a topic whose metadata is not known yet are held, not appended: the
    mistakes the append would refuse are refused at once all the same."""
    name = topic()
    async with Producer(
        **options(kafka, linger_ms=100, max_request_size=MAX_REQUEST_SIZE)
    ) as producer:
        with pytest.raises(RecordTooLargeError, match=f"max_request_size={MAX_REQUEST_SIZE}"):
            producer.send_nowait(name, b"h" * (MAX_REQUEST_SIZE + 1))
        with pytest.raises(PartitionOutOfRangeError, match="is a bool"):
            producer.send_nowait(name, b"v", partition=True)
        with pytest.raises(SerializationError, match="UTF-8"):
            producer.send_nowait(name, b"v", headers=[("\udfff", b"v")])
        meta = await producer.send_nowait(name, b"fine")
    assert meta.offset == 0
    assert [r.value for r in kafka.consume(name, 1)] == [b"fine"]


@pytest.mark.parametrize("limit", ["max_request_size", "buffer_memory"])
async def test_a_record_too_large_is_refused_alike_with_or_without_metadata(
    kafka: BaseCluster, topic: TopicFactory, limit: str
) -> None:
    """send_nowait raises at once either way (as the docs promise), with the same message."""
    known, unknown = topic(), topic()
    sizes = {"max_request_size": 200_000, "buffer_memory": 400_000}
    sizes[limit] = 100_000
    async with Producer(**options(kafka, **sizes)) as producer:
        await producer.wait_for_topic(known)
        errors = []
        for name in (known, unknown):
            with pytest.raises(RecordTooLargeError) as info:
                producer.send_nowait(name, b"x" * 150_000)
            errors.append(str(info.value))
        assert unknown not in producer._held  # nothing was held for the refused record
        assert errors[0] == errors[1]
        assert errors[0].startswith(
            "the record is 150072 bytes when serialized (with the 61-byte batch header), more "
            f"than {limit}=100000. "
        )


# --- messages that say what happened --------------------------------------------------------


def sentences(message: str) -> list[str]:
    return [s.strip().lower() for s in message.split(". ") if s.strip()]


async def test_record_too_large_says_it_once(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    error = await check_batch_survives(
        kafka,
        name,
        lambda p: p.send_nowait(name, b"h" * (MAX_REQUEST_SIZE + 1)),
        RecordTooLargeError,
        f"more than max_request_size={MAX_REQUEST_SIZE}",
    )
    message = str(error)
    assert len(sentences(message)) == len(set(sentences(message)))
    assert message.count("max_request_size=") == 1
    assert "send smaller records" in message  # the fix, once


async def test_buffer_full_says_it_once(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    async with Producer(
        **options(kafka, buffer_memory=64 * 1024, batch_size=16 * 1024, linger_ms=10_000)
    ) as producer:
        await producer.wait_for_topic(name)
        queued = []
        with pytest.raises(BufferFullError) as info:  # noqa: PT012
            for _ in range(100):
                queued.append(producer.send_nowait(name, b"x" * 10_000))
        message = str(info.value)
        assert message.startswith("buffer_memory is full: the record needs")
        assert message.count("buffer_memory is full") == 1
        assert message.count("raise buffer_memory") == 1
        await producer.flush()
        assert [(await f).offset for f in queued] == list(range(len(queued)))


async def test_partition_out_of_range_is_said_once(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=2)
    async with Producer(**options(kafka)) as producer:
        await producer.wait_for_topic(name)
        with pytest.raises(PartitionOutOfRangeError) as info:
            producer.send_nowait(name, b"v", partition=2)
    # Raised by the append itself, said once: no builtin exception behind it.
    message = str(info.value)
    assert info.value.__cause__ is None
    assert message.count("from 0 to 1") == 1
    assert message.count("2 partitions") == 1
    assert ".." not in message  # no range notation to read as inclusive or not


async def test_wait_for_topic_names_its_own_timeout(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    # A name that collides with an existing topic ('.' and '_' are the same to Kafka's
    # metrics), so that it never appears, created or not.
    existing = topic()
    colliding = existing.replace("_", ".")
    assert colliding != existing
    async with Producer(**options(kafka)) as producer:
        with pytest.raises(KafkaTimeoutError) as info:
            await producer.wait_for_topic(colliding, timeout=1.5)
    message = str(info.value)
    assert "after timeout=1.5 s;" in message
    # The broker's answer says to create the topic; nothing of ours says it again.
    assert "the broker answers: The broker does not host this topic-partition" in message
    assert message.count("create it") == 1
    assert "Create the topic" not in message
    assert "max_block_ms" not in message


async def test_send_many_before_metadata_says_what_to_do(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    async with Producer(**options(kafka)) as producer:
        with pytest.raises(IllegalStateError, match=r"await producer.wait_for_topic") as info:
            producer.send_many(name, [b"v"])
        assert not isinstance(info.value, KafkaTimeoutError)  # nothing waited
        await producer.wait_for_topic(name)
        delivery = producer.send_many(name, [b"v"])
        assert await delivery == 1


def test_delivery_timeout_before_sending_says_not_sent() -> None:
    pending = PendingBatch("t", 0, 0)
    message = str(_delivery_timeout(1_500, None, pending))
    assert message.startswith("the record was not sent within delivery_timeout_ms=1500")
    assert "may have been written" not in message
