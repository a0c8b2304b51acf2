"""The producer's acceptance subset that every supported broker must pass: each codec round
trips, acks 0/1/all, and the idempotent producer's order without duplicates.

`make test-matrix` runs this directory once per broker (Apache Kafka 3.9, 4.1, the newest 4.x,
and tansu); `make test` runs it against the default broker only. What was written is read back
with confluent-kafka, not with ferrokafka.
"""

from __future__ import annotations

import time

import anyio.lowlevel
import pytest
from matrix_helpers import options

from ferrokafka import Producer, RecordMetadata
from ferrokafka.testing import BaseCluster, TimestampType
from ferrokafka.testing.pytest_plugin import TopicFactory

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
PARTITIONS = 3
PAST_MS = int(time.time() * 1000) - 86_400_000


@pytest.mark.parametrize("codec", CODECS)
async def test_codec_round_trip(kafka: BaseCluster, topic: TopicFactory, codec: str) -> None:
    name = topic(partitions=PARTITIONS)
    sent = [
        (
            # Repetitive, so every codec really compresses; unique per record.
            f"{codec}-{i:03d}|".encode() + b"payload " * (i % 7),
            [None, b"key-%d" % (i % 5), b""][i % 3],
            [[], [("trace", b"t%d" % i), ("dup", b"1"), ("dup", None)]][i % 2],
            i % PARTITIONS if i % 4 == 0 else None,
            PAST_MS + i if i % 2 else None,
        )
        for i in range(60)
    ]
    before_ms = int(time.time() * 1000)
    async with Producer(**options(kafka, compression_type=codec, linger_ms=20)) as producer:
        futures = [
            producer.send_nowait(
                name, value, key, headers=headers, partition=partition, timestamp_ms=timestamp
            )
            for value, key, headers, partition, timestamp in sent
        ]
        metas: list[RecordMetadata] = [await future for future in futures]

    consumed = {record.value: record for record in kafka.consume(name, len(sent))}
    assert len(consumed) == len(sent)
    for (value, key, headers, partition, timestamp), meta in zip(sent, metas, strict=True):
        got = consumed[value]
        assert (got.key, got.headers) == (key, headers)
        assert got.timestamp_type is TimestampType.CREATE_TIME
        if timestamp is not None:
            assert got.timestamp == timestamp
        else:
            assert got.timestamp >= before_ms
        if partition is not None:
            assert got.partition == partition
        assert (meta.partition, meta.offset, meta.timestamp) == (
            got.partition,
            got.offset,
            got.timestamp,
        )


@pytest.mark.parametrize("acks", [0, 1, "all"])
async def test_acks(kafka: BaseCluster, topic: TopicFactory, acks: int | str) -> None:
    name = topic(partitions=2)
    values = [b"acks-%03d" % i for i in range(100)]
    # Idempotence needs acks=all; the other settings turn it off explicitly.
    async with Producer(**options(kafka, acks=acks, enable_idempotence=acks == "all")) as producer:
        futures = [producer.send_nowait(name, value, key=value[-1:]) for value in values]
        metas = [await future for future in futures]

    consumed = {record.value: record for record in kafka.consume(name, len(values))}
    assert consumed.keys() == set(values)
    for value, meta in zip(values, metas, strict=True):
        assert meta.partition == consumed[value].partition
        # acks=0: the broker does not answer, so the offset is unknown.
        assert meta.offset == (-1 if acks == 0 else consumed[value].offset)


async def test_idempotent_producer_keeps_order_without_duplicates(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """Small batches and five requests in flight: the broker checks the sequence numbers, and
    every record arrives once, in the order sent."""
    name = topic(partitions=2)
    count = 3_000
    async with Producer(
        **options(kafka, batch_size=1_024, linger_ms=0, max_in_flight_requests_per_connection=5)
    ) as producer:
        await producer.wait_for_topic(name)
        for i in range(count):
            producer.send_nowait(name, b"%06d" % i, partition=i % 2)
            if i % 100 == 0:
                await anyio.lowlevel.checkpoint()
        await producer.flush()
        metrics = producer.metrics()
    assert metrics["producer-id"] >= 0
    assert metrics["request-total"] > 10

    records = kafka.consume(name)
    for partition in (0, 1):
        mine = [r for r in records if r.partition == partition]
        assert [r.value for r in mine] == [b"%06d" % i for i in range(partition, count, 2)]
        assert [r.offset for r in mine] == list(range(len(mine)))
