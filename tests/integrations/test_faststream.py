"""FastStream's Kafka publisher (an aiokafka application) with ferrokafka's `AIOKafkaProducer`
in aiokafka's place, against a real broker, read back by confluent-kafka."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from ferrokafka import aiokafka as ferro_aiokafka
from ferrokafka.testing import BaseCluster

faststream_kafka = pytest.importorskip("faststream.kafka")
aiokafka = pytest.importorskip("aiokafka")

MESSAGES = 300
BATCH = 50


async def test_faststream_publishes_through_ferrokafka(
    kafka: BaseCluster, topic: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = topic(partitions=3)
    # FastStream builds its producer as `aiokafka.AIOKafkaProducer(**connection_kwargs)`.
    monkeypatch.setattr(aiokafka, "AIOKafkaProducer", ferro_aiokafka.AIOKafkaProducer)
    broker = faststream_kafka.KafkaBroker(kafka.bootstrap_servers, client_id="faststream-app")
    async with broker:
        used = broker.config.broker_config.producer._producer.producer
        assert isinstance(used, ferro_aiokafka.AIOKafkaProducer)
        for i in range(MESSAGES):
            metadata = await broker.publish(
                {"order": i}, name, key=f"customer-{i % 7}".encode(), headers={"trace": f"t{i}"}
            )
            assert metadata.topic == name
        await broker.publish_batch(*[f"batch-{i}" for i in range(BATCH)], topic=name, partition=1)
    assert used._closed

    records = kafka.consume(name, MESSAGES + BATCH, timeout=60)
    singles = [r for r in records if r.value is not None and r.value.startswith(b"{")]
    assert sorted(json.loads(r.value)["order"] for r in singles) == list(range(MESSAGES))  # type: ignore[arg-type]
    for record in singles:
        order = json.loads(record.value)["order"]  # type: ignore[arg-type]
        headers = dict(record.headers)
        assert record.key == f"customer-{order % 7}".encode()
        assert headers["trace"] == f"t{order}".encode()
        assert headers["content-type"] == b"application/json"
    # One key, one partition (murmur2, as aiokafka and Java).
    by_key: dict[bytes | None, set[int]] = {}
    for record in singles:
        by_key.setdefault(record.key, set()).add(record.partition)
    assert all(len(partitions) == 1 for partitions in by_key.values())
    batch = [r for r in records if r.value is not None and r.value.startswith(b"batch-")]
    assert [r.value for r in batch] == [f"batch-{i}".encode() for i in range(BATCH)]
    assert {r.partition for r in batch} == {1}
