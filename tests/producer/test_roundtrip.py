"""Every record comes back from the broker as it was sent, with every codec, under asyncio and
trio: key, value, headers, timestamp and partition as an independent consumer (confluent-kafka,
or Kafka's own console consumer) reads them, at the offsets `RecordMetadata` reported."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from producer_helpers import by_value, options, run

from ferrokafka import DeliveryFuture, Producer, RecordMetadata
from ferrokafka.testing import BaseCluster, TimestampType
from ferrokafka.testing.pytest_plugin import TopicFactory

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
PARTITIONS = 3
# An hour and a day back: well inside what the broker accepts, and clearly not "now".
PAST_MS = int(time.time() * 1000) - 86_400_000


@dataclass(frozen=True)
class Sent:
    value: bytes
    key: bytes | None
    headers: list[tuple[str, bytes | None]]
    partition: int | None
    timestamp_ms: int | None


def records(tag: str, count: int = 150) -> list[Sent]:
    """Keys, headers, timestamps and explicit partitions in every combination."""
    out = []
    for i in range(count):
        key = [None, f"key-{i % 17}".encode(), b"", "ключ-✓".encode() * (i % 4 + 1)][i % 4]
        choices: list[list[tuple[str, bytes | None]]] = [
            [],
            [("trace-id", f"t{i}".encode())],
            # Duplicate names, a null value and a non-ASCII name are all legal in Kafka.
            [("dup", b"1"), ("dup", b"2"), ("null", None), ("größe", b"\x00\xff" * i)],
        ]
        headers = choices[i % 3]
        out.append(
            Sent(
                # Repetitive, so every codec really compresses; unique per record.
                value=f"{tag}-{i:04d}|".encode() + b"payload " * (i % 9) + bytes(range(i % 50)),
                key=key,
                headers=headers,
                partition=(i % PARTITIONS) if i % 5 == 0 else None,
                timestamp_ms=PAST_MS + i if i % 2 else None,
            )
        )
    return out


async def produce(producer: Producer, topic: str, batch: list[Sent]) -> list[RecordMetadata]:
    """The first records one awaited send at a time, the rest queued and awaited together."""
    metas: list[RecordMetadata] = []
    for sent in batch[:5]:
        metas.append(
            await producer.send(
                topic,
                sent.value,
                key=sent.key,
                headers=sent.headers,
                partition=sent.partition,
                timestamp_ms=sent.timestamp_ms,
            )
        )
    futures: list[DeliveryFuture] = [
        producer.send_nowait(
            topic,
            sent.value,
            sent.key,
            headers=sent.headers,
            partition=sent.partition,
            timestamp_ms=sent.timestamp_ms,
        )
        for sent in batch[5:]
    ]
    for future in futures:
        metas.append(await future)
    return metas


def check_read_back(
    kafka: BaseCluster, topic: str, batch: list[Sent], metas: list[RecordMetadata], before_ms: int
) -> None:
    consumed = by_value(kafka.consume(topic, len(batch)))
    assert len(consumed) == len(batch)
    for sent, meta in zip(batch, metas, strict=True):
        got = consumed[sent.value]
        assert got.key == sent.key
        assert got.headers == sent.headers
        assert got.timestamp_type is TimestampType.CREATE_TIME
        if sent.timestamp_ms is not None:
            assert got.timestamp == sent.timestamp_ms
        else:
            assert before_ms <= got.timestamp <= int(time.time() * 1000)
        if sent.partition is not None:
            assert got.partition == sent.partition
        assert (meta.topic, meta.partition, meta.offset) == (topic, got.partition, got.offset)
        assert meta.timestamp == got.timestamp
        assert meta.timestamp_type == "CreateTime"
        assert meta.serialized_key_size == (-1 if sent.key is None else len(sent.key))
        assert meta.serialized_value_size == len(sent.value)


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_round_trips(
    kafka: BaseCluster, topic: TopicFactory, backend: str, codec: str
) -> None:
    name = topic(partitions=PARTITIONS)
    batch = records(codec)
    before_ms = int(time.time() * 1000)

    async def main() -> list[RecordMetadata]:
        async with Producer(**options(kafka, compression_type=codec, linger_ms=20)) as producer:
            return await produce(producer, name, batch)

    metas = run(backend, main)
    check_read_back(kafka, name, batch, metas, before_ms)


def test_null_values_and_keys_round_trip(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()

    async def main() -> list[RecordMetadata]:
        async with Producer(**options(kafka)) as producer:
            return [
                await producer.send(name, None, key=b"tombstone"),
                await producer.send(name, b"", key=None),
                await producer.send(name, None),
            ]

    metas = run("asyncio", main)
    got = kafka.consume(name, 3)
    assert [(r.key, r.value, r.offset) for r in got] == [
        (b"tombstone", None, metas[0].offset),
        (None, b"", metas[1].offset),
        (None, None, metas[2].offset),
    ]
    assert [m.serialized_value_size for m in metas] == [-1, 0, -1]


def test_java_console_consumer_reads_every_codec(kafka: BaseCluster, topic: TopicFactory) -> None:
    """Kafka's own consumer (the Java client) decodes what each codec wrote."""
    name = topic()

    async def main() -> None:
        for codec in CODECS:
            async with Producer(**options(kafka, compression_type=codec)) as producer:
                for i in range(20):
                    producer.send_nowait(
                        name,
                        f"{codec}-value-{i} ".encode() * 10,
                        key=f"{codec}-key-{i}".encode(),
                        headers=[("codec", codec.encode())],
                    )

    run("asyncio", main)
    lines = kafka.console_consume(name, 100, timeout_s=20, print_headers=True)
    expected = [
        f"codec:{codec}\t{codec}-key-{i}\t" + f"{codec}-value-{i} " * 10
        for codec in CODECS
        for i in range(20)
    ]
    assert lines == expected


def test_log_append_time(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    """On a LogAppendTime topic the broker's timestamp replaces the one sent, and the metadata
    of every record, awaited or bulk, reports it."""
    name = topic(config={"message.timestamp.type": "LogAppendTime"})

    async def main() -> list[RecordMetadata]:
        async with Producer(**options(kafka)) as producer:
            metas = [await producer.send(name, b"awaited", timestamp_ms=PAST_MS)]
            futures = [producer.send_nowait(name, b"nowait-%d" % i) for i in range(10)]
            metas += [await f for f in futures]
            bulk = producer.send_many(name, [b"bulk-%d" % i for i in range(10)])
            await bulk
            metas += [r for r in bulk.results() if isinstance(r, RecordMetadata)]
            return metas

    metas = run(backend, main)
    consumed = kafka.consume(name, 21)
    assert all(r.timestamp_type is TimestampType.LOG_APPEND_TIME for r in consumed)
    assert [(m.offset, m.timestamp, m.timestamp_type) for m in metas] == [
        (r.offset, r.timestamp, "LogAppendTime") for r in consumed
    ]
    assert consumed[0].timestamp > PAST_MS
