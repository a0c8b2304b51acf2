"""A smoke test of the producer on uvloop's event loop."""

from __future__ import annotations

import asyncio

import anyio
import uvloop
from producer_helpers import options

from ferrokafka import Producer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


def test_uvloop_smoke(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=2)

    async def main() -> list[tuple[int, int]]:
        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        async with Producer(**options(kafka, compression_type="snappy")) as producer:
            first = await producer.send(name, b"awaited", key=b"k")
            futures = [producer.send_nowait(name, b"nowait-%d" % i) for i in range(500)]
            await producer.send_many(name, [b"bulk-%d" % i for i in range(500)])
            await producer.flush()
            return [(first.partition, first.offset)] + [
                (f.result().partition, f.result().offset) for f in futures
            ]

    positions = anyio.run(main, backend="asyncio", backend_options={"use_uvloop": True})
    consumed = {r.value: (r.partition, r.offset) for r in kafka.consume(name, 1_001)}
    assert consumed[b"awaited"] == positions[0]
    assert [consumed[b"nowait-%d" % i] for i in range(500)] == positions[1:]
    assert all(b"bulk-%d" % i in consumed for i in range(500))
