"""The Prometheus collector, scraped in the text format after a known workload."""

from __future__ import annotations

import prometheus_client  # in the dev extra: missing, it fails the run rather than skipping
from prometheus_client.parser import text_string_to_metric_families

from ferrokafka import Producer
from ferrokafka.prometheus import ProducerCollector
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


async def test_scrape_has_every_group_with_client_id_labels(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    registry = prometheus_client.CollectorRegistry()
    async with (
        Producer(bootstrap_servers=kafka.bootstrap_servers, client_id="scraped-a") as first,
        Producer(bootstrap_servers=kafka.bootstrap_servers, client_id="scraped-b") as second,
    ):
        registry.register(ProducerCollector(first, second))
        for _ in range(30):
            first.send_nowait(name, b"a" * 100)
        await first.flush()
        await second.send(name, b"b" * 100)
        text = prometheus_client.generate_latest(registry).decode()

    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("kafka_producer_record_send_total", (("client_id", "scraped-a"),))] == 30
    assert samples[("kafka_producer_record_send_total", (("client_id", "scraped-b"),))] == 1
    topic_key = (
        "kafka_producer_topic_record_send_total",
        (("client_id", "scraped-a"), ("topic", name)),
    )
    assert samples[topic_key] == 30
    nodes = [labels for metric, labels in samples if metric == "kafka_producer_node_request_total"]
    assert nodes
    assert all(dict(labels)["node_id"].startswith("node-") for labels in nodes)
    assert "# HELP kafka_producer_record_send_rate per second: records sent" in text
    assert "# TYPE kafka_producer_record_send_rate gauge" in text
