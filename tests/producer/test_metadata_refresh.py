"""Metadata as the Java producer asks for it: topics are auto-created where the broker allows it,
refreshes for a topic that does not exist back off (``retry_backoff_ms`` growing to
``retry_backoff_max_ms``), and topics idle for ``metadata_max_idle_ms`` are no longer asked for."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any

import anyio
import pytest
from producer_helpers import options

from ferrokafka import KafkaTimeoutError, Producer
from ferrokafka._connection import BrokerConnection
from ferrokafka._metadata import MetadataCache
from ferrokafka._native import MetadataResult
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def metadata_requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The topics of every Metadata request the producers of the test send, in order."""
    asked: list[tuple[str, ...]] = []
    real = MetadataCache.refresh

    async def counting(
        self: MetadataCache,
        conn: BrokerConnection,
        topics: Collection[str] | None = None,
        **kwargs: Any,
    ) -> MetadataResult:
        asked.append(tuple(topics or ()))
        return await real(self, conn, topics, **kwargs)

    monkeypatch.setattr(MetadataCache, "refresh", counting)
    return asked


def test_readme_example_creates_its_topic(kafka: BaseCluster) -> None:
    """The README's example, as written but for the broker's address, on a broker with
    auto.create.topics.enable=true (Kafka's default): "orders" is created on first use."""
    snippet = re.search(r"## Use\n\n```python\n(.*?)```", README.read_text(), re.S)
    assert snippet is not None
    code = snippet[1].replace("localhost:9092", kafka.bootstrap_servers)
    body = "".join(f"    {line}\n" for line in code.splitlines())
    namespace: dict[str, Any] = {}
    exec(compile(f"async def example():\n{body}", str(README), "exec"), namespace)
    anyio.run(namespace["example"])
    (record,) = kafka.consume("orders", 1)
    assert (record.key, record.value) == (b"order-17", b"payload")
    assert sorted(r.value for r in kafka.consume("clicks", 4)) == [b"...", b"a", b"b", b"c"]


def test_missing_topic_refreshes_back_off(
    kafka_no_autocreate: BaseCluster, metadata_requests: list[tuple[str, ...]]
) -> None:
    missing = f"never-created-{uuid.uuid4().hex}"

    async def main() -> None:
        async with Producer(
            **options(
                kafka_no_autocreate,
                max_block_ms=5000,
                retry_backoff_ms=100,
                retry_backoff_max_ms=1000,
            )
        ) as producer:
            metadata_requests.clear()
            with pytest.raises(KafkaTimeoutError, match="not present in metadata"):
                await producer.send(missing, b"v")

    cpu = time.process_time()
    anyio.run(main)
    cpu = time.process_time() - cpu
    asked = [topics for topics in metadata_requests if missing in topics]
    print(f"{len(asked)} Metadata requests and {cpu:.2f} s of CPU in the 5 s wait")
    # 100, 200, 400, 800, then every 1000 ms (±20%): about 8 in 5 s; without backoff, hundreds.
    assert 3 <= len(asked) <= 15
    assert cpu < 2.5


def test_idle_topics_leave_the_metadata_requests(
    kafka: BaseCluster, topic: TopicFactory, metadata_requests: list[tuple[str, ...]]
) -> None:
    busy, idle = topic(), topic()

    async def main() -> int:
        async with Producer(
            **options(kafka, metadata_max_idle_ms=5000, metadata_max_age_ms=300, linger_ms=0)
        ) as producer:
            await producer.send(busy, b"busy")
            await producer.send(idle, b"idle")
            started = time.monotonic()
            metadata_requests.clear()
            # Only `busy` is produced to for longer than metadata_max_idle_ms.
            while time.monotonic() - started < 7:
                await producer.send(busy, b"busy")
                await anyio.sleep(0.2)
            assert producer._partition_counts.get(idle) is None
            dropped_at = len(metadata_requests)
            # Produced to again, it is fetched again and delivered.
            meta = await producer.send(idle, b"idle again")
            assert meta.offset == 1
            assert any(idle in topics for topics in metadata_requests[dropped_at:])
            return dropped_at

    dropped_at = anyio.run(main)
    before = metadata_requests[:dropped_at]
    with_idle = sum(idle in topics for topics in before)
    print(f"{len(before)} Metadata requests in 7 s, {with_idle} with the idle topic")
    assert all(busy in topics for topics in metadata_requests)
    # Asked for at first (every 300 ms), then no more once idle for 5 s.
    assert idle in before[0]
    assert not any(idle in topics for topics in before[-3:])
