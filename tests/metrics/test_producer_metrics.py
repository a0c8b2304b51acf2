"""Each metric against a known workload on the real broker: so many records of so many bytes,
to so many topics, in windows short enough to watch them empty."""

from __future__ import annotations

import math
import time
from typing import Any

import anyio

from ferrokafka import MetricName, Producer
from ferrokafka.errors import KafkaError
from ferrokafka.metrics import NODE_GROUP, PRODUCER_GROUP, TOPIC_GROUP
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

VALUE = b"v" * 100


def options(kafka: BaseCluster, **overrides: Any) -> dict[str, Any]:
    return {
        "bootstrap_servers": kafka.bootstrap_servers,
        "client_id": "metrics-test",
        "max_block_ms": 20_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        **overrides,
    }


def by_group(metrics: dict[MetricName, float], group: str, **tags: str) -> dict[str, float]:
    return {
        name.name: value
        for name, value in metrics.items()
        if name.group == group and all(name.tags.get(k) == v for k, v in tags.items())
    }


async def test_records_bytes_and_batches_per_topic_and_overall(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    first, second = topic(), topic()
    started = time.monotonic()
    async with Producer(
        **options(kafka, linger_ms=50, metrics_sample_window_ms=2_000, metrics_num_samples=2)
    ) as producer:
        for _ in range(200):
            producer.send_nowait(first, VALUE, partition=0)
        for _ in range(100):
            producer.send_nowait(second, VALUE, partition=0)
        # Left to linger (flush would send them at once): their queue time is linger_ms.
        await anyio.sleep(0.3)
        await producer.flush()
        elapsed = time.monotonic() - started
        flat = producer.metrics()
        structured = producer.metrics_by_name()

    overall = by_group(structured, PRODUCER_GROUP, **{"client-id": "metrics-test"})
    assert flat.keys() == overall.keys()
    totals = [name for name in flat if name.endswith("-total")]
    assert {n: flat[n] for n in totals} == {n: overall[n] for n in totals}
    assert flat["record-send-total"] == 300
    # 300 records over the time so far, plus the one empty window a young rate counts.
    assert 300 / (elapsed + 2.0) * 0.9 <= flat["record-send-rate"] <= 300 / 2.0
    assert flat["record-error-total"] == flat["record-retry-total"] == 0
    assert flat["record-error-rate"] == 0.0
    # A 100-byte value without key or headers is a record of 100 + 8 bytes of framing.
    assert 100 < flat["record-size-avg"] < 112
    # One batch per topic (16 KiB holds them all), one request per batch or both in one.
    assert flat["batch-size-max"] >= flat["batch-size-avg"] > 100 * 100
    assert flat["byte-total"] > 300 * 100
    assert flat["compression-rate-avg"] == 1.0
    assert 100 <= flat["records-per-request-avg"] <= 300
    # The records waited for linger_ms (they were all appended in the first few ms).
    assert flat["record-queue-time-max"] >= 45
    assert flat["record-queue-time-avg"] <= flat["record-queue-time-max"]
    assert flat["produce-throttle-time-avg"] == flat["produce-throttle-time-max"] == 0
    assert flat["requests-in-flight"] == 0
    assert flat["request-latency-max"] >= flat["request-latency-avg"] > 0
    # Metadata and Produce requests at least, each answered; bytes both ways.
    assert flat["request-total"] >= 2
    assert flat["response-total"] == flat["request-total"]
    assert flat["outgoing-byte-total"] > flat["byte-total"]
    assert flat["incoming-byte-total"] > 0
    assert flat["request-size-max"] > 100 * 100
    assert flat["connection-creation-total"] >= 1
    assert flat["buffer-available-bytes"] == flat["buffer-total-bytes"]

    for name, count in ((first, 200), (second, 100)):
        per_topic = by_group(structured, TOPIC_GROUP, topic=name)
        assert per_topic["record-send-total"] == count
        assert count * 100 < per_topic["byte-total"] < count * 112 + 100
        assert per_topic["compression-rate"] == 1.0
        assert per_topic["record-error-total"] == per_topic["record-retry-total"] == 0
        assert per_topic["record-send-rate"] > 0

    node_names = {n.tags["node-id"] for n in structured if n.group == NODE_GROUP}
    assert node_names, "per-broker metrics"
    produce_nodes = [by_group(structured, NODE_GROUP, **{"node-id": node}) for node in node_names]
    assert any(m["request-latency-avg"] > 0 for m in produce_nodes)
    assert sum(m["request-total"] for m in produce_nodes) == flat["request-total"]


async def test_compression_rate_per_topic(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    async with Producer(**options(kafka, compression_type="gzip", linger_ms=20)) as producer:
        for _ in range(100):
            producer.send_nowait(name, VALUE, partition=0)
        await producer.flush()
        structured = producer.metrics_by_name()
    # 100 identical values compress to a small fraction.
    assert 0 < by_group(structured, TOPIC_GROUP, topic=name)["compression-rate"] < 0.2
    assert 0 < by_group(structured, PRODUCER_GROUP)["compression-rate-avg"] < 0.2


async def test_windows_empty_after_samples_times_window(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    async with Producer(
        **options(kafka, metrics_sample_window_ms=200, metrics_num_samples=2)
    ) as producer:
        for _ in range(10):
            await producer.send(name, VALUE)
        busy = producer.metrics()
        await anyio.sleep(0.6)
        idle = producer.metrics()
    assert busy["record-send-rate"] > 0
    assert busy["request-latency-avg"] > 0
    assert idle["record-send-total"] == 10
    assert idle["record-send-rate"] == 0.0
    assert math.isnan(idle["request-latency-avg"])
    assert math.isnan(idle["record-queue-time-max"])


async def test_record_errors_per_topic(kafka: BaseCluster, topic: TopicFactory) -> None:
    small, fine = topic(config={"max.message.bytes": "200"}), topic()
    async with Producer(**options(kafka)) as producer:
        rejected = producer.send_nowait(small, b"x" * 1_000)
        await producer.send(fine, VALUE)
        try:
            await rejected
        except KafkaError:
            pass
        else:
            raise AssertionError("the broker accepted a record above max.message.bytes")
        structured = producer.metrics_by_name()
    assert by_group(structured, TOPIC_GROUP, topic=small)["record-error-total"] == 1
    assert by_group(structured, TOPIC_GROUP, topic=fine)["record-error-total"] == 0
    assert by_group(structured, PRODUCER_GROUP)["record-error-total"] == 1
    assert by_group(structured, PRODUCER_GROUP)["record-error-rate"] > 0


async def test_connections_counted_as_made_and_closed(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    producer = Producer(**options(kafka))
    async with producer:
        await producer.send(name, VALUE)
        open_now = producer.metrics()
    closed = producer.metrics()
    assert open_now["connection-count"] >= 1
    assert (
        open_now["connection-count"]
        == open_now["connection-creation-total"] - open_now["connection-close-total"]
    )
    assert closed["connection-count"] == 0
    assert closed["connection-close-total"] == closed["connection-creation-total"]


async def test_metric_names_carry_java_tags(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    async with Producer(**options(kafka)) as producer:
        await producer.send(name, VALUE)
        structured = producer.metrics_by_name()
    key = MetricName.of(
        "record-send-total", TOPIC_GROUP, {"client-id": "metrics-test", "topic": name}, ""
    )
    assert structured[key] == 1
    for metric in structured:
        assert metric.tags["client-id"] == "metrics-test"
        assert metric.description
        assert (
            set(metric.tags)
            == {
                PRODUCER_GROUP: {"client-id"},
                TOPIC_GROUP: {"client-id", "topic"},
                NODE_GROUP: {"client-id", "node-id"},
            }[metric.group]
        )
