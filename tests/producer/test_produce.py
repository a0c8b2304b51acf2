"""`await produce(...)` and `await produce_many(...)`: the awaitable enqueue, on a real broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from producer_helpers import by_value, options, run

from ferrokafka import DeliveryFuture, Producer, SerializationError
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

# A buffer of 64 records of 1 KiB: a loop that never let the sender run would fill it at once.
SMALL_BUFFER = 64 * 1024


def test_produce_returns_the_future_once_queued(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    name = topic(partitions=3)

    async def main() -> None:
        async with Producer(**options(kafka, linger_ms=200)) as producer:
            future = await producer.produce(name, b"v0", key=b"k")
            assert isinstance(future, DeliveryFuture)
            # Returned without waiting for delivery: linger holds the batch for 200 ms.
            assert not future.done()
            with_options = await producer.produce(
                name, b"v1", headers=[("h", b"1")], partition=2, timestamp_ms=1_700_000_000_000
            )
            meta = await future
            other = await with_options
            assert meta.topic == name
            assert (other.partition, other.timestamp) == (2, 1_700_000_000_000)

    run(backend, main)
    records = by_value(kafka.consume(name, 2))
    assert records[b"v0"].key == b"k"
    assert records[b"v1"].headers == [("h", b"1")]


def test_a_tight_loop_keeps_the_sender_busy(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    """The loop a new user writes: nothing but ``await produce``. Its records are twenty times
    buffer_memory, so it can only finish if the sender delivers while it runs."""
    name = topic(partitions=3)
    count = 1_280
    values = [b"%05d" % i + b"." * 1019 for i in range(count)]

    async def main() -> None:
        async with Producer(
            **options(kafka, buffer_memory=SMALL_BUFFER, batch_size=16_384)
        ) as producer:
            for value in values:
                await producer.produce(name, value)
            await producer.flush()

    run(backend, main)
    assert set(by_value(kafka.consume(name, count))) == set(values)


def test_produce_waits_for_a_new_topics_metadata(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=2)

    async def main() -> None:
        async with Producer(**options(kafka)) as producer:
            future = await producer.produce(name, b"first")
            # Waited for the metadata instead of holding the record: it is in a real batch.
            assert future._batch.partition in (0, 1)
            await future

    run("asyncio", main)


def test_produce_many_takes_a_generator_larger_than_the_buffer(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    name = topic(partitions=3)
    count = 2_500

    def values() -> Iterator[bytes]:
        for i in range(count):
            yield b"%05d" % i + b"." * 1019

    async def main() -> int:
        async with Producer(**options(kafka, buffer_memory=SMALL_BUFFER)) as producer:
            keys = (b"%d" % (i % 7) for i in range(count))
            bulk = await producer.produce_many(name, values(), keys)
            assert bulk.queued == count
            delivered = await bulk
            results = bulk.results()
            assert len(results) == count
            assert all(not isinstance(r, Exception) and r.topic == name for r in results)
            return delivered

    assert run(backend, main) == count
    records = kafka.consume(name, count)
    assert len(by_value(records)) == count
    assert {r.key for r in records} == {b"%d" % k for k in range(7)}


def test_produce_many_of_nothing(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()

    async def main() -> None:
        async with Producer(**options(kafka)) as producer:
            bulk = await producer.produce_many(name, iter(()))
            assert bulk.queued == 0
            assert await bulk == 0

    run("asyncio", main)


def test_produce_many_refuses_keys_that_do_not_match(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()

    async def main() -> None:
        async with Producer(**options(kafka)) as producer:
            with pytest.raises(SerializationError, match="fewer keys than values"):
                await producer.produce_many(name, [b"a", b"b"], [b"k"])
            with pytest.raises(SerializationError, match="more keys than values"):
                await producer.produce_many(name, [b"a"], [b"k", b"l"])
            # Still usable.
            await (await producer.produce(name, b"after"))

    run("asyncio", main)


def test_produce_on_a_producer_not_started_or_closed(kafka: BaseCluster) -> None:
    from ferrokafka.errors import IllegalStateError, ProducerClosedError

    async def main() -> None:
        producer = Producer(**options(kafka))
        with pytest.raises(IllegalStateError, match="not started"):
            await producer.produce("t", b"v")
        with pytest.raises(IllegalStateError, match="not started"):
            await producer.produce_many("t", [b"v"])
        await producer.start()
        await producer.close()
        with pytest.raises(ProducerClosedError):
            await producer.produce("t", b"v")

    run("asyncio", main)


def test_a_produce_loop_lets_deliveries_happen_while_it_runs(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """No sleep, no flush: the loop's own turns must let the sender send and the connection
    read the acknowledgement (a send_nowait loop never would, and would run into the bound)."""
    name = topic(partitions=3)

    async def main() -> int:
        async with Producer(**options(kafka, linger_ms=0)) as producer:
            await producer.wait_for_topic(name)
            first = await producer.produce(name, b"first")
            produced = 1
            while not first.done():
                assert produced < 20_000_000, "the first record was never acknowledged"
                await producer.produce(name, b"x" * 100)
                produced += 1
            return produced

    assert run("asyncio", main) > 1
