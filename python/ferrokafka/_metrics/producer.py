"""The producer's metrics under the Java client's names and with its windowed semantics.

Where the numbers come from, each recorded once per batch or per request, never per record:
- the Rust accumulator keeps running totals and one event per batch sent, retried, failed or
  split (`Accumulator.take_batch_events`); the sender hands them here once per round
  (`collect`), which feeds the sampled windows globally and per topic;
- the connections report each request written and response read (`network.py`);
- the sender reports each Produce response's latency and throttle time.

`snapshot` is the flat dict of `Producer.metrics()` (the ``producer-metrics`` group, as
before); `measure` gives every metric with its group and tags (`Producer.metrics_by_name()`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ferrokafka._metrics.network import NetworkMetrics, Traffic
from ferrokafka._metrics.stats import (
    Avg,
    AvgMaxReading,
    Meter,
    MeterReading,
    Summary,
    WindowConfig,
)
from ferrokafka._runtime import now_ms
from ferrokafka.metrics import NODE_GROUP, PRODUCER_GROUP, TOPIC_GROUP, MetricName

if TYPE_CHECKING:
    from ferrokafka import _native
    from ferrokafka._producer_id import ProducerIdManager
    from ferrokafka._sasl.authenticator import AuthenticationCounts

# Kinds of `Accumulator.take_batch_events` (rust/src/producer/metrics.rs BatchEventKind).
SENT, RETRIED, FAILED, SPLIT = 0, 1, 2, 3
# A v2 record batch's header: what a batch's bytes hold besides its records.
BATCH_OVERHEAD = 61


class TopicMetrics:
    __slots__ = ("bytes", "compression", "errors", "records", "retries")

    def __init__(self, config: WindowConfig) -> None:
        self.records = Meter(config)
        self.bytes = Meter(config)
        self.compression = Avg(config)
        self.errors = Meter(config)
        self.retries = Meter(config)


class _Sent:
    """Batches sent in one `ProducerMetrics.collect`, summed."""

    __slots__ = ("batches", "bytes", "ratios", "records")

    def __init__(self) -> None:
        self.batches = 0
        self.records = 0
        self.bytes = 0
        # Sum of the batches' compression ratios: their average is one record of it.
        self.ratios = 0.0

    def add(self, records: int, size: int, ratio: float) -> None:
        self.batches += 1
        self.records += records
        self.bytes += size
        self.ratios += ratio

    def merge(self, other: _Sent) -> None:
        self.batches += other.batches
        self.records += other.records
        self.bytes += other.bytes
        self.ratios += other.ratios

    def record_into(self, records: Meter, size: Meter, compression: Avg, now: int) -> None:
        records.record(self.records, now)
        size.record(self.bytes, now)
        compression.record(self.ratios, now, self.batches)


class ProducerMetrics:
    def __init__(self, client_id: str, config: WindowConfig | None = None) -> None:
        config = config if config is not None else WindowConfig()
        self.client_id = client_id
        self._config = config
        self.network = NetworkMetrics(config)
        self.topics: dict[str, TopicMetrics] = {}
        self.records_sent = Meter(config)
        self.records_per_request = Avg(config)
        self.bytes = Meter(config)
        self.batch_size = Summary(config)
        self.compression = Avg(config)
        self.record_size = Avg(config)
        self.queue_time = Summary(config)
        self.errors = Meter(config)
        self.retries = Meter(config)
        self.splits = Meter(config)
        # Over every Produce response (zeros included, as Java's sensor records them).
        self.throttle = Summary(config)
        self.exhausted = Meter(config)
        # buffer_exhausted is a Rust total: its growth is recorded when seen (`_exhausted`).
        self._exhausted_seen = 0
        self._buffer_wait_total_ns = 0
        self._transactions_started = Meter(config)
        self._transactions_aborted = Meter(config)
        # Kept by the SASL authenticator, when there is one.
        self.authentications: AuthenticationCounts | None = None
        # Gauges, set by the producer once its parts exist.
        self.requests_in_flight: Callable[[], int] = lambda: 0
        self._accumulator: _native.Accumulator | None = None
        self._ids: ProducerIdManager | None = None

    def attach(self, accumulator: _native.Accumulator, ids: ProducerIdManager | None) -> None:
        self._accumulator = accumulator
        self._ids = ids

    # --- recording (sender and producer) ------------------------------------------------

    def collect(self, accumulator: _native.Accumulator, requests: int = 0) -> None:
        """Feeds the accumulator's batch events into the windows; ``requests``: how many
        Produce requests the batches just drained went into (records-per-request-avg)."""
        events = accumulator.take_batch_events()
        if not events:
            return
        now = now_ms()
        # Sums and averages take the round's sent batches at once, per topic and then globally
        # (a request over thousands of partitions carries thousands of small batches), and the
        # maximums are kept along: one record per stat and round, not per batch.
        sent_by_topic: dict[str, _Sent] = {}
        record_bytes = 0
        size_peak = queue_total = queue_peak = 0
        for event in events:
            kind, topic, records = event.kind, event.topic, event.records
            if kind == SENT:
                size, raw, queue_ms = (
                    event.size_bytes,
                    event.uncompressed_bytes,
                    event.queue_time_ms,
                )
                per_topic_sent = sent_by_topic.get(topic)
                if per_topic_sent is None:
                    per_topic_sent = sent_by_topic[topic] = _Sent()
                per_topic_sent.add(records, size, size / raw if raw else 1.0)
                record_bytes += raw - BATCH_OVERHEAD
                if size > size_peak:
                    size_peak = size
                queue_total += queue_ms
                if queue_ms > queue_peak:
                    queue_peak = queue_ms
            elif kind == RETRIED:
                self.retries.record(records, now)
                self._topic(topic).retries.record(records, now)
            elif kind == FAILED:
                self.errors.record(records, now)
                self._topic(topic).errors.record(records, now)
            elif kind == SPLIT:
                self._topic(topic)  # listed from its first event, whatever its kind
                self.splits.record(1, now)
        if not sent_by_topic:
            return
        sent = _Sent()
        for topic, per_topic_sent in sent_by_topic.items():
            sent.merge(per_topic_sent)
            per_topic = self._topic(topic)
            per_topic_sent.record_into(
                per_topic.records, per_topic.bytes, per_topic.compression, now
            )
        sent.record_into(self.records_sent, self.bytes, self.compression, now)
        self.batch_size.record_many(sent.bytes, sent.batches, size_peak, now)
        self.queue_time.record_many(queue_total, sent.batches, queue_peak, now)
        self.record_size.record(record_bytes, now, sent.records)
        if requests and sent.records:
            self.records_per_request.record(sent.records, now, requests)

    def _topic(self, topic: str) -> TopicMetrics:
        per_topic = self.topics.get(topic)
        if per_topic is None:
            per_topic = self.topics[topic] = TopicMetrics(self._config)
        return per_topic

    def request_completed(
        self, node_id: int, latency_ms: int, throttle_time_ms: int | None = None
    ) -> None:
        """A Produce request answered (or written, with acks=0) after ``latency_ms``, with its
        response's ``throttle_time_ms`` (0 when the broker did not throttle; None without a
        response)."""
        now = now_ms()
        self.network.total.produce_latencies.record(latency_ms, now)
        self.network.node(node_id).produce_latencies.record(latency_ms, now)
        if throttle_time_ms is not None:
            self.throttle.record(throttle_time_ms, now)

    def buffer_waited(self, ns: int) -> None:
        self._buffer_wait_total_ns += ns

    # Kept as counters for the code that counts transactions (``+= 1``); each change is
    # recorded into the window.
    @property
    def transactions_started(self) -> int:
        return int(self._transactions_started.total)

    @transactions_started.setter
    def transactions_started(self, value: int) -> None:
        self._transactions_started.record(value - self._transactions_started.total, now_ms())

    @property
    def transactions_aborted(self) -> int:
        return int(self._transactions_aborted.total)

    @transactions_aborted.setter
    def transactions_aborted(self, value: int) -> None:
        self._transactions_aborted.record(value - self._transactions_aborted.total, now_ms())

    # --- reading ---------------------------------------------------------------------

    def snapshot(
        self,
        accumulator: _native.Accumulator | None = None,
        ids: ProducerIdManager | None = None,
    ) -> dict[str, float]:
        """The ``producer-metrics`` group as a flat dict (`Producer.metrics()`)."""
        return {
            name.name: value
            for name, value in self.measure(accumulator, ids)
            if name.group == PRODUCER_GROUP
        }

    def measure(
        self,
        accumulator: _native.Accumulator | None = None,
        ids: ProducerIdManager | None = None,
    ) -> Iterator[tuple[MetricName, float]]:
        """Every metric with its group and tags."""
        acc = accumulator if accumulator is not None else self._accumulator
        ids = ids if ids is not None else self._ids
        if acc is not None:
            self.collect(acc)
            self._exhausted(acc)
        now = now_ms()
        client = {"client-id": self.client_id}
        for name, value, description in self._producer_values(acc, ids, now):
            yield MetricName.of(name, PRODUCER_GROUP, client, description), value
        for topic, per_topic in self.topics.items():
            tags = {**client, "topic": topic}
            for name, value, description in _topic_values(per_topic, now):
                yield MetricName.of(name, TOPIC_GROUP, tags, description), value
        for node_id, traffic in self.network.nodes.items():
            tags = {**client, "node-id": f"node-{node_id}"}
            for name, value, description in _traffic_values(traffic, now):
                yield MetricName.of(name, NODE_GROUP, tags, description), value

    def _exhausted(self, acc: _native.Accumulator) -> None:
        total = acc.metrics()["buffer_exhausted"]
        if total > self._exhausted_seen:
            self.exhausted.record(total - self._exhausted_seen, now_ms())
            self._exhausted_seen = total

    def _producer_values(
        self, acc: _native.Accumulator | None, ids: ProducerIdManager | None, now: int
    ) -> Iterator[tuple[str, float, str]]:
        yield from _meter(
            "record-send",
            self.records_sent,
            now,
            "records sent (drained into requests, resends included)",
        )
        yield from _meter("record-error", self.errors, now, "records that failed")
        yield from _meter("record-retry", self.retries, now, "records put back for a retry")
        yield from _meter("byte", self.bytes, now, "record batch bytes sent")
        yield from _meter("batch-split", self.splits, now, "batches split after MESSAGE_TOO_LARGE")
        yield (
            "records-per-request-avg",
            self.records_per_request.measure(now),
            "average records per Produce request",
        )
        yield (
            "record-size-avg",
            self.record_size.measure(now),
            "average encoded record size in bytes",
        )
        yield from _avg_max(
            "batch-size", self.batch_size.avg_max, now, "record batch size in bytes (compressed)"
        )
        yield (
            "compression-rate-avg",
            self.compression.measure(now),
            "average compressed/uncompressed size ratio of batches",
        )
        yield from _avg_max(
            "record-queue-time",
            self.queue_time.avg_max,
            now,
            "time in ms a batch waited in the accumulator before it was sent",
        )
        yield from _avg_max(
            "produce-throttle-time",
            self.throttle.avg_max,
            now,
            "throttle time in ms of Produce responses",
        )
        yield from _traffic_values(self.network.total, now)
        yield (
            "requests-in-flight",
            self.requests_in_flight(),
            "Produce requests sent and not yet answered",
        )
        yield "connection-count", self.network.open_connections, "open broker connections"
        yield from _meter("connection-creation", self.network.created, now, "connections opened")
        yield from _meter("connection-close", self.network.closed, now, "connections closed")
        yield (
            "bufferpool-wait-time-total",
            self._buffer_wait_total_ns / 1e9,
            "seconds senders waited for buffer memory",
        )
        yield from _meter(
            "buffer-exhausted", self.exhausted, now, "sends refused for lack of buffer memory"
        )
        if acc is not None:
            yield "buffer-available-bytes", acc.available_memory(), "buffer memory not in use"
            yield "buffer-total-bytes", acc.buffer_memory(), "buffer memory (buffer_memory)"
        yield (
            "producer-id",
            ids.producer_id if ids is not None else -1,
            "idempotent producer id (-1 without)",
        )
        yield (
            "producer-epoch",
            ids.epoch if ids is not None else -1,
            "idempotent producer epoch (-1 without)",
        )
        yield from _meter(
            "transaction-start", self._transactions_started, now, "transactions begun"
        )
        yield from _meter(
            "transaction-abort", self._transactions_aborted, now, "transactions aborted"
        )
        counts = self.authentications
        if counts is not None:
            yield (
                "successful-authentication-total",
                counts.successful,
                "SASL authentications that succeeded",
            )
            yield (
                "successful-reauthentication-total",
                counts.successful_reauthentication,
                "SASL re-authentications that succeeded",
            )
            yield "failed-authentication-total", counts.failed, "SASL authentications that failed"
            yield (
                "failed-reauthentication-total",
                counts.failed_reauthentication,
                "SASL re-authentications that failed",
            )


def _meter(
    prefix: str, meter: MeterReading, now: int, what: str
) -> Iterator[tuple[str, float, str]]:
    yield f"{prefix}-rate", meter.rate.measure(now), f"per second: {what}"
    yield f"{prefix}-total", meter.total, f"total: {what}"


def _avg_max(
    prefix: str, stat: AvgMaxReading, now: int, what: str
) -> Iterator[tuple[str, float, str]]:
    yield f"{prefix}-avg", stat.avg.measure(now), f"average {what}"
    yield f"{prefix}-max", stat.max.measure(now), f"maximum {what}"


def _topic_values(topic: TopicMetrics, now: int) -> Iterator[tuple[str, float, str]]:
    yield from _meter("record-send", topic.records, now, "records of the topic sent")
    yield from _meter("byte", topic.bytes, now, "record batch bytes of the topic sent")
    yield (
        "compression-rate",
        topic.compression.measure(now),
        "average compression ratio of the topic's batches",
    )
    yield from _meter("record-error", topic.errors, now, "records of the topic that failed")
    yield from _meter("record-retry", topic.retries, now, "records of the topic retried")


def _traffic_values(traffic: Traffic, now: int) -> Iterator[tuple[str, float, str]]:
    yield from _meter("request", traffic.requests, now, "requests sent")
    yield from _avg_max("request-size", traffic.request_size, now, "request size in bytes")
    yield from _meter("outgoing-byte", traffic.outgoing, now, "bytes written")
    yield from _meter("response", traffic.responses, now, "responses read")
    yield from _meter("incoming-byte", traffic.incoming, now, "bytes read")
    yield from _avg_max("request-latency", traffic.latency, now, "Produce request latency in ms")
