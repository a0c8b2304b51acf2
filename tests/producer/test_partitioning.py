"""Where records land: keyed records on the partitions the Java client picks, custom
partitioners, explicit partitions."""

from __future__ import annotations

import random
from typing import Any

import anyio
import anyio.to_thread
from confluent_kafka.admin import NewPartitions
from producer_helpers import options, run

from ferrokafka import Producer, StringSerializer
from ferrokafka._native import murmur2
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

PARTITIONS = 6
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_.:é"


def sample_keys() -> list[str]:
    """Every tail length of murmur2 (0-3 bytes past a 4-byte block), multi-byte UTF-8, and
    keys whose hash is negative before Java's toPositive."""
    rng = random.Random(20240601)
    keys = {"a", "ab", "abc", "abcd", "abcde", "ключ", "键", "🔑-key", "order-17"}
    while len(keys) < 400:
        length = rng.randrange(1, 40)
        keys.add("".join(rng.choice(ALPHABET) for _ in range(length)))
    return sorted(keys)


def test_keyed_records_land_where_java_puts_them(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=PARTITIONS)
    keys = sample_keys()
    # Kafka's own console producer (the Java client and its default partitioner).
    kafka.console_produce(name, [f"{key}\tjava" for key in keys], parse_key=True)

    async def main() -> None:
        async with Producer(**options(kafka, key_serializer=StringSerializer())) as producer:
            for key in keys:
                producer.send_nowait(name, b"ferrokafka", key=key)

    run("asyncio", main)
    records = kafka.consume(name, 2 * len(keys))
    where: dict[bytes | None, dict[bytes | None, int]] = {}
    for record in records:
        where.setdefault(record.key, {})[record.value] = record.partition
    java_keys = {key.encode() for key in keys}
    assert {k for k, v in where.items() if b"java" in v} == java_keys
    assert all(b"ferrokafka" in v for v in where.values())
    differing = {k: v for k, v in where.items() if len(set(v.values())) != 1}
    assert differing == {}
    # A real spread, not everything on one partition.
    assert len({v[b"ferrokafka"] for v in where.values()}) == PARTITIONS


def by_first_byte(topic: str, key: Any, key_bytes: bytes | None, value: bytes, count: int) -> int:
    return value[0] % count


def test_custom_partitioner(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    name = topic(partitions=PARTITIONS)
    calls: list[tuple[str, Any, bytes | None, int]] = []

    def partitioner(topic: str, key: Any, key_bytes: bytes | None, value: Any, count: int) -> int:
        calls.append((topic, key, key_bytes, count))
        return by_first_byte(topic, key, key_bytes, value, count)

    values = [bytes([i]) + b"-value" for i in range(60)]

    async def main() -> list[int]:
        async with Producer(
            **options(kafka, partitioner=partitioner, key_serializer=StringSerializer())
        ) as producer:
            # The first records are held until the topic's metadata arrives: the partitioner
            # must see them just like the later ones.
            futures = [producer.send_nowait(name, v, key=f"k{v[0]}") for v in values[:30]]
            metas = [await f for f in futures]
            metas += [await producer.send(name, v, key=f"k{v[0]}") for v in values[30:40]]
            futures = [producer.send_nowait(name, v, key=f"k{v[0]}") for v in values[40:]]
            metas += [await f for f in futures]
            # An explicit partition wins over the partitioner.
            explicit = await producer.send(name, b"\x05explicit", key="x", partition=0)
            assert explicit.partition == 0
            return [m.partition for m in metas]

    partitions = run(backend, main)
    assert partitions == [v[0] % PARTITIONS for v in values]
    # The key given to send, and its serialized bytes, for every record.
    assert calls == [(name, f"k{v[0]}", f"k{v[0]}".encode(), PARTITIONS) for v in values]
    consumed = {r.value: r.partition for r in kafka.consume(name, len(values) + 1)}
    assert consumed == {**{v: v[0] % PARTITIONS for v in values}, b"\x05explicit": 0}


def java_partition(key: bytes, count: int) -> int:
    """The Java client's partition for a keyed record: murmur2, made positive, modulo."""
    return (murmur2(key) & 0x7FFFFFFF) % count


def test_keyed_records_follow_a_topic_that_grows(kafka: BaseCluster, topic: TopicFactory) -> None:
    """Partitions added to a topic are used from the next metadata refresh on: keyed records
    sent through the native fast path (bytes, no serializer) move to the new count at once."""
    name = topic(partitions=2)
    keys = [f"key-{i}".encode() for i in range(200)]
    assert {java_partition(key, 4) for key in keys} == {0, 1, 2, 3}

    async def main() -> tuple[list[int], list[int]]:
        async with Producer(**options(kafka, metadata_max_age_ms=300)) as producer:
            before = [(await producer.send(name, b"before", key)).partition for key in keys]
            futures = kafka.admin().create_partitions([NewPartitions(name, 4)])
            await anyio.to_thread.run_sync(futures[name].result, 30)
            deadline = anyio.current_time() + 30
            while producer._partition_counts.get(name) != 4:
                assert anyio.current_time() < deadline, "the new partition count never arrived"
                await anyio.sleep(0.1)
            # The topic of every record above is the one the fast path saw last.
            after = [producer.send_nowait(name, b"after", key) for key in keys]
            return before, [(await future).partition for future in after]

    before, after = run("asyncio", main)
    assert before == [java_partition(key, 2) for key in keys]
    assert after == [java_partition(key, 4) for key in keys]
    stored = {(r.key, r.value): r.partition for r in kafka.consume(name, 2 * len(keys))}
    assert stored == {
        **{(key, b"before"): java_partition(key, 2) for key in keys},
        **{(key, b"after"): java_partition(key, 4) for key in keys},
    }
