"""acks=0, 1 and all as documented, and acks=all against too few in-sync replicas."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from producer_helpers import by_value, options, run

from ferrokafka import KafkaTimeoutError, NotEnoughReplicasError, Producer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


@pytest.mark.parametrize("acks", [0, 1, "all"])
def test_acks(kafka: BaseCluster, topic: TopicFactory, backend: str, acks: int | str) -> None:
    name = topic(partitions=2)
    values = [b"acks-%d" % i for i in range(200)]

    async def main() -> list[tuple[int, int]]:
        # Idempotence needs acks=all; the other settings must turn it off explicitly.
        async with Producer(
            **options(kafka, acks=acks, enable_idempotence=acks == "all")
        ) as producer:
            first = await producer.send(name, values[0], key=b"k")
            futures = [producer.send_nowait(name, v, key=v[-2:]) for v in values[1:]]
            metas = [first] + [await f for f in futures]
            return [(m.partition, m.offset) for m in metas]

    positions = run(backend, main)
    consumed = by_value(kafka.consume(name, len(values)))
    assert consumed.keys() == set(values)
    for value, (partition, offset) in zip(values, positions, strict=True):
        assert partition == consumed[value].partition
        if acks == 0:
            # The broker does not answer: the offset is unknown.
            assert offset == -1
        else:
            assert offset == consumed[value].offset


@pytest.fixture(scope="module")
def under_replicated(kafka3: BaseCluster) -> Iterator[str]:
    """A topic that needs three in-sync replicas, with one of its three brokers stopped.

    Kafka 4 caps the effective min.insync.replicas at the replication factor, so a one-node
    cluster with min.insync.replicas=2 accepts acks=all writes: a replica must really be out.
    """
    name = kafka3.create_topic(
        f"under-replicated-{uuid.uuid4().hex[:8]}", 1, 3, {"min.insync.replicas": "3"}
    )
    node = kafka3.nodes[-1]
    node.stop()
    try:
        deadline = time.monotonic() + 30
        while len(kafka3.describe_topics([name])[name].partitions[0].isr) != 2:
            assert time.monotonic() < deadline, "the stopped broker stayed in the ISR"
            time.sleep(0.1)
        yield name
    finally:
        node.start()
        kafka3.wait_for_brokers(len(kafka3.nodes))


def test_acks_all_with_too_few_replicas_fails_after_retries(
    kafka3: BaseCluster, under_replicated: str, backend: str
) -> None:
    delivery_timeout_ms = 5_000

    async def main() -> tuple[BaseException | None, float, dict[str, float]]:
        async with Producer(
            **options(
                kafka3,
                acks="all",
                retries=3,
                retry_backoff_ms=20,
                retry_backoff_max_ms=100,
                linger_ms=0,
                request_timeout_ms=2_000,
                delivery_timeout_ms=delivery_timeout_ms,
            )
        ) as producer:
            started = time.monotonic()
            try:
                await producer.send(under_replicated, b"never")
            except NotEnoughReplicasError as exc:
                error: BaseException | None = exc
            else:
                error = None
            return error, time.monotonic() - started, producer.metrics()

    error, elapsed, metrics = run(backend, main)
    assert isinstance(error, NotEnoughReplicasError), error
    assert error.retriable
    assert error.code == 19
    assert elapsed < delivery_timeout_ms / 1000
    assert metrics["record-retry-total"] >= 3
    assert metrics["record-error-total"] == 1
    assert kafka3.consume(under_replicated) == []


def test_acks_all_with_too_few_replicas_fails_within_delivery_timeout(
    kafka3: BaseCluster, under_replicated: str
) -> None:
    """With unlimited retries the delivery timeout ends it, naming the broker's error."""
    delivery_timeout_ms = 2_000

    async def main() -> tuple[list[BaseException | None], float]:
        async with Producer(
            **options(
                kafka3,
                acks="all",
                linger_ms=10,
                retry_backoff_ms=50,
                retry_backoff_max_ms=200,
                request_timeout_ms=1_000,
                delivery_timeout_ms=delivery_timeout_ms,
            )
        ) as producer:
            started = time.monotonic()
            futures = [producer.send_nowait(under_replicated, b"r%d" % i) for i in range(50)]
            errors: list[BaseException | None] = []
            for future in futures:
                try:
                    await future
                except Exception as exc:
                    errors.append(exc)
                else:
                    errors.append(None)
            return errors, time.monotonic() - started

    errors, elapsed = run("asyncio", main)
    assert elapsed < delivery_timeout_ms / 1000 + 1.0
    for error in errors:
        assert isinstance(error, KafkaTimeoutError), error
        assert isinstance(error.__cause__, NotEnoughReplicasError), error.__cause__
        assert "NOT_ENOUGH_REPLICAS" in str(error) or "in-sync" in str(error), str(error)
    assert kafka3.consume(under_replicated) == []
