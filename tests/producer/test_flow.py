"""Many concurrent awaited sends, and buffer_memory: `send_nowait` refuses at once when it is
full, `send` waits for space."""

from __future__ import annotations

import anyio
import pytest
from producer_helpers import by_value, fill_buffer, options, run

from ferrokafka import BufferFullError, Producer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


def test_ten_thousand_concurrent_awaited_sends(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    name = topic(partitions=3)
    count = 10_000
    offsets: dict[bytes, tuple[int, int]] = {}

    async def send_one(producer: Producer, value: bytes) -> None:
        meta = await producer.send(name, value, key=value[-2:])
        offsets[value] = (meta.partition, meta.offset)

    async def main() -> None:
        async with Producer(**options(kafka)) as producer, anyio.create_task_group() as tasks:
            for i in range(count):
                tasks.start_soon(send_one, producer, b"concurrent-%05d" % i)

    run(backend, main)
    assert len(offsets) == count
    assert len(set(offsets.values())) == count
    consumed = by_value(kafka.consume(name, count, timeout=60))
    assert {v: (r.partition, r.offset) for v, r in consumed.items()} == offsets


async def test_send_nowait_raises_buffer_full_and_loses_nothing(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    async with Producer(
        **options(kafka, buffer_memory=64 * 1024, batch_size=16 * 1024, linger_ms=50)
    ) as producer:
        await producer.wait_for_topic(name)
        accepted = fill_buffer(producer, name, 1_000)
        with pytest.raises(BufferFullError, match="buffer_memory"):
            producer.send_nowait(name, b"x" * 1_000)
        # Counted exactly: full up to the last record that fitted.
        assert 60 <= len(accepted) <= 64
        assert producer.metrics()["buffer-exhausted-total"] >= 1
        # The producer stays usable, and what it accepted is delivered.
        await producer.flush()
        last = await producer.send(name, b"after")
    consumed = kafka.consume(name, len(accepted) + 1)
    assert [r.value for r in consumed] == [*accepted, b"after"]
    assert consumed[-1].offset == last.offset


async def test_send_waits_for_buffer_space(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    async with Producer(
        **options(kafka, buffer_memory=32 * 1024, batch_size=8 * 1024, linger_ms=1_000)
    ) as producer:
        await producer.wait_for_topic(name)
        queued = len(fill_buffer(producer, name, 500))
        # Waits until the sender frees space (well before linger_ms), then sends.
        meta = await producer.send(name, b"waits" + b"y" * 495)
        assert producer.metrics()["bufferpool-wait-time-total"] > 0
    consumed = kafka.consume(name, queued + 1)
    assert consumed[-1].value == b"waits" + b"y" * 495
    assert consumed[-1].offset == meta.offset == queued
