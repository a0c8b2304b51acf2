"""Batches compressed on the worker threads reach the broker complete and in order.

Closed batches are compressed off the event loop and come back to the sender, which drains
them with their sequence numbers; these tests check what a reader independent of ferrokafka
(confluent-kafka) finds in the topic: every record once, each partition in send order, under
acks=all with idempotence and five requests in flight, and when flush() or close() comes while
batches are still on the workers.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from producer_helpers import by_value, options, run

from ferrokafka import Producer
from ferrokafka.testing import BaseCluster, ConsumedRecord
from ferrokafka.testing.pytest_plugin import TopicFactory

CODECS = ["gzip", "snappy", "lz4", "zstd"]
PARTITIONS = 3
RECORD_BYTES = 1024


def json_record(n: int) -> bytes:
    """About 1 KiB of JSON that says its own number, repetitive enough to compress."""
    document = {"n": n, "event": "page_view", "user": f"user-{n % 97}", "tags": []}
    text = json.dumps(document)
    filler = ["checkout", "search", "cart", "profile"]
    while len(text) < RECORD_BYTES - 20:
        document["tags"].append(filler[len(document["tags"]) % 4])  # type: ignore[attr-defined]
        text = json.dumps(document)
    return text.encode()


def number(record: ConsumedRecord) -> int:
    assert record.value is not None
    value = json.loads(record.value)
    assert isinstance(value["n"], int)
    return value["n"]


def assert_complete_and_in_order(got: list[ConsumedRecord], count: int) -> None:
    """Every record exactly once, and within each partition in the order it was sent."""
    assert len(by_value(got)) == count  # by_value fails on a duplicate
    assert sorted(number(r) for r in got) == list(range(count))
    per_partition: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for record in got:
        per_partition[record.partition].append((record.offset, number(record)))
    for partition, entries in per_partition.items():
        numbers = [n for _, n in sorted(entries)]
        assert numbers == sorted(numbers), f"partition {partition} out of send order"


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_delivers_1k_json_in_order(
    kafka: BaseCluster, topic: TopicFactory, codec: str
) -> None:
    name = topic(partitions=PARTITIONS)
    count = 3_000

    async def main() -> int:
        settings = options(
            kafka,
            compression_type=codec,
            acks="all",
            enable_idempotence=True,
            max_in_flight_requests_per_connection=5,
        )
        async with Producer(**settings) as producer:
            await producer.wait_for_topic(name)
            on_workers = 0
            for n in range(count):
                # Keyed by n % 3 so every partition gets a long run of its own records.
                producer.send_nowait(name, json_record(n), key=b"k%d" % (n % PARTITIONS))
                on_workers = max(on_workers, producer._accumulator.compressing_batches())
            await producer.flush()
            return on_workers

    on_workers = run("asyncio", main)
    assert on_workers > 0, "no batch went to a worker"
    assert_complete_and_in_order(kafka.consume(name, count), count)


@pytest.mark.parametrize("ending", ["flush", "close"])
def test_flush_and_close_wait_for_batches_on_the_workers(
    kafka: BaseCluster, topic: TopicFactory, backend: str, ending: str
) -> None:
    name = topic(partitions=PARTITIONS)
    count = 4_000

    async def main() -> int:
        # gzip at its slowest level keeps batches on the workers long after the appends end.
        settings = options(
            kafka, compression_type="gzip", compression_gzip_level=9, acks="all", linger_ms=1000
        )
        producer = Producer(**settings)
        await producer.start()
        await producer.wait_for_topic(name)
        futures = [producer.send_nowait(name, json_record(n)) for n in range(count)]
        on_workers = producer._accumulator.compressing_batches()
        if ending == "flush":
            await producer.flush()
            assert all(f.done() for f in futures)
            await producer.close()
        else:
            await producer.close()
        assert all(f.done() and f.exception() is None for f in futures)
        return on_workers

    on_workers = run(backend, main)
    assert on_workers > 0, "every batch was compressed before the flush began"
    assert_complete_and_in_order(kafka.consume(name, count), count)
