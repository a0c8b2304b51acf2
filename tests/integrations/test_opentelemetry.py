"""OpenTelemetry against a real broker: the metrics through the SDK's InMemoryMetricReader after
a known workload, and one span per record through its InMemorySpanExporter, with the trace
context read back from the records' headers by confluent-kafka."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from ferrokafka import Producer
from ferrokafka.errors import RecordTooLargeError, SerializationError
from ferrokafka.metrics import TOPIC_GROUP
from ferrokafka.opentelemetry import ProducerMetricsObserver, TracingInterceptor
from ferrokafka.sync import Producer as SyncProducer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

Points = dict[str, list[tuple[dict[str, Any], Any]]]


def points(reader: InMemoryMetricReader) -> Points:
    """Every data point collected now: instrument name -> [(attributes, value or point)]."""
    found: Points = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data is not None else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", point)
                    found.setdefault(metric.name, []).append((dict(point.attributes or {}), value))
    return found


def only(found: Points, name: str, **attributes: str) -> Any:
    """The one point of ``name`` whose attributes include ``attributes``."""
    matching = [
        value
        for attrs, value in found[name]
        if all(attrs.get(key) == wanted for key, wanted in attributes.items())
    ]
    assert len(matching) == 1, (name, attributes, found[name])
    return matching[0]


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


async def test_metrics_are_observable_instruments_with_semconv_names(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    orders, clicks = topic(partitions=2), topic()
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    async with Producer(
        bootstrap_servers=kafka.bootstrap_servers, client_id="observed", linger_ms=20
    ) as producer:
        observer = ProducerMetricsObserver(producer, meter_provider=provider)
        for i in range(30):
            producer.send_nowait(orders, b"o" * 100, key=b"%d" % i)
        for _ in range(10):
            producer.send_nowait(clicks, b"c" * 100)
        await producer.flush()
        found = points(reader)
        by_name = producer.metrics_by_name()

        common = {"messaging.system": "kafka", "messaging.client.id": "observed"}
        sent = "messaging.client.sent.messages"
        assert only(found, sent, **common, **{"messaging.destination.name": orders}) == 30
        assert only(found, sent, **{"messaging.destination.name": clicks}) == 10
        assert all(attrs["messaging.operation.name"] == "send" for attrs, _ in found[sent])
        assert only(found, "kafka.producer.record_send_total", **common) == 40
        assert only(found, "kafka.producer.record_error_total") == 0
        assert only(found, "kafka.producer.topic.byte_total", topic=orders) > 3000
        # Every metric of the producer, with the values metrics_by_name() gives.
        for name, value in by_name.items():
            if name.group == TOPIC_GROUP and name.name == "record-send-total":
                continue
            prefix = {
                "producer-metrics": "kafka.producer.",
                "producer-topic-metrics": "kafka.producer.topic.",
                "producer-node-metrics": "kafka.producer.node.",
            }[name.group]
            instrument = prefix + name.name.replace("-", "_")
            tags = {k: v for k, v in name.tags.items() if k != "client-id"}
            attrs = [
                a
                for a, _ in found.get(instrument, [])
                if all(a.get(k) == v for k, v in tags.items())
            ]
            assert attrs or value != value, instrument  # NaN (no data yet) is not reported
        nodes = [attrs for attrs, _ in found["kafka.producer.node.request_total"]]
        assert nodes
        assert all(attrs["node-id"].startswith("node-") for attrs in nodes)

        # A new collection reads the producer again.
        await producer.send(clicks, b"c")
        again = points(reader)
        assert only(again, sent, **{"messaging.destination.name": clicks}) == 11
        assert only(again, "kafka.producer.record_send_total") == 41
        observer.remove(producer)
        assert "kafka.producer.record_send_total" not in points(reader)


async def test_a_span_per_record_with_its_destination_and_trace_context(
    kafka: BaseCluster,
    topic: TopicFactory,
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    name = topic(partitions=3)
    provider, exporter = spans
    reader = InMemoryMetricReader()
    tracer = provider.get_tracer("test")
    async with Producer(
        bootstrap_servers=kafka.bootstrap_servers,
        client_id="traced",
        interceptors=[
            TracingInterceptor(
                tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader])
            )
        ],
    ) as producer:
        with tracer.start_as_current_span("handler") as parent:
            await producer.send(name, b"a", key=b"user-1", headers=[("traceparent", b"stale")])
            futures = [producer.send_nowait(name, b"b", key=b"user-2", partition=2)]
            futures.append(await producer.produce(name, None, key=b"user-3"))
            for future in futures:
                await future

    finished = [s for s in exporter.get_finished_spans() if s.name != "handler"]
    assert len(finished) == 3
    by_key = {s.attributes["messaging.kafka.message.key"]: s for s in finished if s.attributes}
    records = {r.key: r for r in kafka.consume(name, 3)}
    for key, span in by_key.items():
        assert span.name == f"send {name}"
        assert span.kind is SpanKind.PRODUCER
        assert span.parent is not None
        assert span.parent.span_id == parent.get_span_context().span_id
        assert span.context is not None
        attributes = dict(span.attributes or {})
        record = records[str(key).encode()]
        assert attributes["messaging.system"] == "kafka"
        assert attributes["messaging.operation.type"] == "send"
        assert attributes["messaging.destination.name"] == name
        assert attributes["messaging.client.id"] == "traced"
        assert attributes["messaging.destination.partition.id"] == str(record.partition)
        assert attributes["messaging.kafka.offset"] == record.offset
        assert span.status.status_code is StatusCode.UNSET
        # The trace context the reader finds is the span's: one traceparent, the stale one
        # replaced.
        traceparents = [v for k, v in record.headers if k == "traceparent"]
        context = span.context
        assert traceparents == [
            f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}".encode()
        ]
    assert dict(by_key["user-3"].attributes or {})["messaging.kafka.message.tombstone"] is True
    durations = only(points(reader), "messaging.client.operation.duration")
    assert durations.count == 3


async def test_a_failed_record_has_an_error_span(
    kafka: BaseCluster,
    topic: TopicFactory,
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    small = topic(config={"max.message.bytes": "2000"})
    provider, exporter = spans
    async with Producer(
        bootstrap_servers=kafka.bootstrap_servers,
        interceptors=[TracingInterceptor(tracer_provider=provider, inject_context=False)],
    ) as producer:
        with pytest.raises(RecordTooLargeError):
            await producer.send(small, b"x" * 5000)
        with pytest.raises(SerializationError):
            producer.send_nowait(small, "not bytes")
        await producer.send(small, b"fine")

    too_large, not_bytes, fine = exporter.get_finished_spans()
    for span, error in ((too_large, RecordTooLargeError), (not_bytes, SerializationError)):
        assert span.status.status_code is StatusCode.ERROR
        assert dict(span.attributes or {})["error.type"] == error.__name__
        assert [e.name for e in span.events] == ["exception"]
    assert fine.status.status_code is StatusCode.UNSET
    assert all(r.headers == [] for r in kafka.consume(small, 1))


def test_the_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in [m for m in sys.modules if m.startswith("ferrokafka.opentelemetry")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "opentelemetry.metrics", None)
    with pytest.raises(ImportError, match=r"pip install 'ferrokafka\[opentelemetry\]'"):
        importlib.import_module("ferrokafka.opentelemetry")


def test_a_synchronous_send_is_a_child_of_the_calling_threads_span(
    kafka: BaseCluster,
    topic: TopicFactory,
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    name = topic()
    provider, exporter = spans
    interceptor = TracingInterceptor(tracer_provider=provider)
    with (
        SyncProducer(bootstrap_servers=kafka.bootstrap_servers, interceptors=[interceptor]) as sync,
        provider.get_tracer("test").start_as_current_span("job") as job,
    ):
        sync.send(name, b"v").result(timeout=60)
    [send] = [s for s in exporter.get_finished_spans() if s.name != "job"]
    assert send.parent is not None
    assert send.parent.span_id == job.get_span_context().span_id
    assert send.context is not None
    [record] = kafka.consume(name, 1)
    assert f"{send.context.span_id:016x}".encode() in dict(record.headers)["traceparent"]
