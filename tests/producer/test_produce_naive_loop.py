"""The README's ingestion loop at full size: ``for v in data: await producer.produce(topic, v)``
then ``flush()``, 2,000,000 records of 100 B, read back by an independent consumer
(confluent-kafka's, i.e. librdkafka) and checked record by record: each present exactly once."""

from __future__ import annotations

import asyncio
import time

from producer_helpers import options

from ferrokafka import Producer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

RECORDS = 2_000_000
PARTITIONS = 6
# 100 B: a 10-digit index, then padding.
PADDING = b"." * 90
# Bounds, far above what a loaded 2-core machine takes, so that a hang fails instead of waiting.
PRODUCE_LIMIT_S = 240.0
READ_LIMIT_S = 240.0


def test_readme_loop_delivers_every_record_once(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=PARTITIONS)

    async def main() -> None:
        async with Producer(**options(kafka, acks=1, delivery_timeout_ms=120_000)) as producer:
            for i in range(RECORDS):
                await producer.produce(name, b"%010d" % i + PADDING)
            await producer.flush()

    started = time.monotonic()
    asyncio.run(asyncio.wait_for(main(), PRODUCE_LIMIT_S))
    produced_s = time.monotonic() - started
    seen, duplicates, foreign = _read_back(kafka, name)
    missing = RECORDS - sum(seen)
    assert (missing, duplicates, foreign) == (0, 0, 0), (
        f"{missing} records missing, {duplicates} duplicated, {foreign} not ours "
        f"(produced in {produced_s:.1f} s)"
    )


def _read_back(kafka: BaseCluster, name: str) -> tuple[bytearray, int, int]:
    """One flag per index; duplicates and records that are not ours are counted apart."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    consumer = Consumer(
        {
            **kafka.client_config(),
            "group.id": f"readback-{name}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    seen = bytearray(RECORDS)
    duplicates = foreign = 0
    try:
        consumer.assign([TopicPartition(name, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
        at_end: set[int] = set()
        deadline = time.monotonic() + READ_LIMIT_S
        while len(at_end) < PARTITIONS:
            assert time.monotonic() < deadline, f"read {sum(seen)} records in {READ_LIMIT_S} s"
            for message in consumer.consume(10_000, timeout=1.0):
                error = message.error()
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, error
                    at_end.add(message.partition() or 0)
                    continue
                value = message.value() or b""
                index = int(value[:10]) if len(value) == 100 and value[10:] == PADDING else -1
                if not 0 <= index < RECORDS:
                    foreign += 1
                elif seen[index]:
                    duplicates += 1
                else:
                    seen[index] = 1
    finally:
        consumer.close()
    return seen, duplicates, foreign
