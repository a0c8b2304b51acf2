"""The idempotent producer (on by default): a producer id and epoch from the broker, and per
partition every record once, in the order sent, with several requests in flight."""

from __future__ import annotations

import anyio.lowlevel
from producer_helpers import options, run

from ferrokafka import Producer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


def test_producer_id_and_epoch_in_metrics(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()

    async def main() -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        async with Producer(**options(kafka)) as first, Producer(**options(kafka)) as second:
            await first.send(name, b"a")
            await second.send(name, b"b")
            return first.metrics(), second.metrics(), Producer(**options(kafka)).metrics()

    first, second, unstarted = run("asyncio", main)
    assert first["producer-id"] >= 0
    assert first["producer-epoch"] >= 0
    assert second["producer-id"] >= 0
    assert first["producer-id"] != second["producer-id"]
    assert unstarted["producer-id"] == unstarted["producer-epoch"] == -1


async def test_not_idempotent_has_no_producer_id(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    async with Producer(**options(kafka, acks=1, enable_idempotence=False)) as producer:
        await producer.send(name, b"a")
        assert producer.metrics()["producer-id"] == -1


def test_in_order_without_duplicates(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    """Small batches and five requests in flight per connection: the broker checks sequence
    numbers, and the consumer must see every record once, in the order sent."""
    name = topic(partitions=2)
    count = 6_000

    async def main() -> None:
        async with Producer(
            **options(kafka, batch_size=1_024, linger_ms=0, max_in_flight_requests_per_connection=5)
        ) as producer:
            await producer.wait_for_topic(name)
            for i in range(count):
                producer.send_nowait(name, b"%06d" % i, partition=i % 2)
                if i % 100 == 0:
                    # Let the sender run while more records arrive, as a service would.
                    await anyio.lowlevel.checkpoint()
            await producer.flush()
            assert producer.metrics()["request-total"] > 10

    run(backend, main)
    records = kafka.consume(name)
    for partition in (0, 1):
        values = [r.value for r in records if r.partition == partition]
        assert values == [b"%06d" % i for i in range(partition, count, 2)]
        offsets = [r.offset for r in records if r.partition == partition]
        assert offsets == list(range(len(offsets)))
