"""The producer's metrics as OpenTelemetry observable instruments.

One instrument per metric name and group, observed for every producer and tag set at each
collection: ``kafka.producer.<name>`` (``producer-metrics``), ``kafka.producer.topic.<name>``
and ``kafka.producer.node.<name>`` (the per-topic and per-broker groups), dashes as
underscores, as ``ferrokafka.prometheus`` names them; ``*-total`` metrics are counters, the
rest gauges. Where the messaging semantic conventions define the metric, their name and
attributes are used instead: the per-topic ``record-send-total`` is
``messaging.client.sent.messages``. Every observation carries ``messaging.system=kafka`` and
``messaging.client.id``, plus the Java tags ``topic`` or ``node-id``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from ferrokafka._metrics.network import Traffic
from ferrokafka._metrics.producer import TopicMetrics, _topic_values, _traffic_values
from ferrokafka._metrics.stats import WindowConfig
from ferrokafka._native import __version__
from ferrokafka.metrics import NODE_GROUP, TOPIC_GROUP, MetricName
from ferrokafka.opentelemetry import _attributes as a

if TYPE_CHECKING:
    from ferrokafka.producer import Producer

_PREFIXES = {TOPIC_GROUP: "kafka.producer.topic.", NODE_GROUP: "kafka.producer.node."}
# (group, Java name) -> the semantic conventions' instrument, its unit, and the attributes
# that replace the Java tags.
_SEMCONV = {(TOPIC_GROUP, "record-send-total"): (a.SENT_MESSAGES, "{message}")}

Key = tuple[str, str]


class ProducerMetricsObserver:
    """Observes the metrics of one or more producers (`add` more, `remove` one) for a meter
    provider (the global one by default). The instruments are created once and stay with the
    meter; a removed producer is no longer read."""

    def __init__(
        self, *producers: Producer, meter_provider: metrics.MeterProvider | None = None
    ) -> None:
        self._meter = metrics.get_meter("ferrokafka", __version__, meter_provider)
        self._producers: list[Producer] = []
        self._instruments: dict[Key, object] = {}
        self._snapshot = _Snapshot(self._producers)
        for producer in producers:
            self.add(producer)

    def add(self, producer: Producer) -> None:
        self._producers.append(producer)
        for key, description in _catalogue(producer).items():
            if key not in self._instruments:
                self._instruments[key] = self._create(key, description)

    def remove(self, producer: Producer) -> None:
        self._producers.remove(producer)

    def _create(self, key: Key, description: str) -> object:
        group, name = key
        semconv = _SEMCONV.get(key)
        if semconv is not None:
            instrument_name, unit = semconv
        else:
            instrument_name = _PREFIXES.get(group, "kafka.producer.") + name.replace("-", "_")
            unit = ""
        callbacks = [self._callback(key, semconv is not None)]
        if name.endswith("-total"):
            return self._meter.create_observable_counter(
                instrument_name, callbacks, unit=unit, description=description
            )
        return self._meter.create_observable_gauge(
            instrument_name, callbacks, unit=unit, description=description
        )

    def _callback(
        self, key: Key, semconv: bool
    ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterator[Observation]:
            for name, value in self._snapshot.read(key):
                if not math.isnan(value):
                    yield Observation(value, _attributes(name, semconv))

        return observe


class _Snapshot:
    """``metrics_by_name()`` of every producer, read once per collection: a collection calls
    each instrument's callback once, so a callback asking again means a new collection."""

    def __init__(self, producers: list[Producer]) -> None:
        self._producers = producers
        self._values: dict[Key, list[tuple[MetricName, float]]] = {}
        self._served: set[Key] = set()

    def read(self, key: Key) -> list[tuple[MetricName, float]]:
        if key in self._served or not self._served:
            self._values = {}
            self._served = set()
            for producer in self._producers:
                for name, value in producer.metrics_by_name().items():
                    self._values.setdefault((name.group, name.name), []).append((name, value))
        self._served.add(key)
        return self._values.get(key, [])


def _attributes(name: MetricName, semconv: bool) -> dict[str, str]:
    attributes = {a.SYSTEM: a.KAFKA, a.CLIENT_ID: name.tags.get("client-id", "")}
    for tag, value in name.tags.items():
        if tag == "client-id":
            continue
        if semconv and tag == "topic":
            attributes[a.DESTINATION] = value
            attributes[a.OPERATION_NAME] = a.SEND
        else:
            attributes[tag] = value
    return attributes


def _catalogue(producer: Producer) -> dict[Key, str]:
    """Every (group, name) the producer can report, with its description: its producer-wide
    metrics as they are now, and the per-topic and per-broker names, which exist only once a
    topic or broker is used."""
    names = {(n.group, n.name): n.description for n in producer.metrics_by_name()}
    config = WindowConfig()
    for name, _, description in _topic_values(TopicMetrics(config), 0):
        names[(TOPIC_GROUP, name)] = description
    for name, _, description in _traffic_values(Traffic(config), 0):
        names[(NODE_GROUP, name)] = description
    return names
