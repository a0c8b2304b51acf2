"""A Prometheus collector for the producer's metrics (optional extra ``prometheus``).

    from prometheus_client import REGISTRY
    from ferrokafka.prometheus import ProducerCollector

    REGISTRY.register(ProducerCollector(producer))

Each metric is read at scrape time from `Producer.metrics_by_name()` and exposed as a gauge
named ``kafka_producer_<name>`` (``kafka_producer_topic_<name>`` and
``kafka_producer_node_<name>`` for the per-topic and per-broker groups), dashes as
underscores, with the Java tags as labels (``client_id``, ``topic``, ``node_id``). Several
producers can share one collector: their series differ by ``client_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

try:
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.registry import Collector
except ImportError as exc:  # the optional extra is not installed
    raise ImportError(
        "ferrokafka.prometheus needs prometheus-client: pip install 'ferrokafka[prometheus]'"
    ) from exc

from ferrokafka.metrics import NODE_GROUP, TOPIC_GROUP

if TYPE_CHECKING:
    from ferrokafka.producer import Producer

_PREFIXES = {TOPIC_GROUP: "kafka_producer_topic_", NODE_GROUP: "kafka_producer_node_"}


class ProducerCollector(Collector):
    """Collects the metrics of one or more producers at each scrape."""

    def __init__(self, *producers: Producer) -> None:
        self._producers = list(producers)

    def add(self, producer: Producer) -> None:
        self._producers.append(producer)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        families: dict[str, GaugeMetricFamily] = {}
        for producer in self._producers:
            for name, value in producer.metrics_by_name().items():
                prefix = _PREFIXES.get(name.group, "kafka_producer_")
                family_name = prefix + name.name.replace("-", "_")
                labels = [key.replace("-", "_") for key in sorted(name.tags)]
                family = families.get(family_name)
                if family is None:
                    family = families[family_name] = GaugeMetricFamily(
                        family_name, name.description or name.name, labels=labels
                    )
                family.add_metric([name.tags[key] for key in sorted(name.tags)], float(value))
        return _values(families)


def _values(families: dict[str, GaugeMetricFamily]) -> Iterator[GaugeMetricFamily]:
    yield from families.values()
