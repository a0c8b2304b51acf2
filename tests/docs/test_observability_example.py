"""The interceptors and OpenTelemetry example of docs/observability.md runs as written against a
real broker, with the SDK's in-memory exporters as the global providers; the record is read back
by an independent consumer."""

from __future__ import annotations

import runpy
from collections.abc import Iterator

import anyio
import pytest
from docs_pages import SNIPPETS
from opentelemetry import trace
from opentelemetry.metrics import _internal as metrics_api
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


@pytest.fixture
def global_providers(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    # The API lets each global provider be set once per process: these are put in its place
    # for this test only, and taken away after it.
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", tracer_provider)
    monkeypatch.setattr(metrics_api, "_METER_PROVIDER", MeterProvider(metric_readers=[reader]))
    yield exporter, reader
    tracer_provider.shutdown()


def test_the_example_traces_its_record_and_stamps_its_headers(
    kafka: BaseCluster,
    topic: TopicFactory,
    capsys: pytest.CaptureFixture[str],
    global_providers: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    name = topic()
    exporter, reader = global_providers
    example = runpy.run_path(str(SNIPPETS / "observability.py"))  # not as __main__
    anyio.run(example["main"], kafka.bootstrap_servers, name)
    partition, offset, failed = map(int, capsys.readouterr().out.split())
    assert failed == 0
    [record] = kafka.consume(name, 1)
    assert (record.partition, record.offset) == (partition, offset)
    headers = dict(record.headers)
    assert headers["source"] == b"billing"
    send, charge = exporter.get_finished_spans()
    assert (send.name, charge.name) == (f"send {name}", "charge")
    assert send.parent is not None
    assert send.parent.span_id == charge.context.span_id
    assert send.context is not None
    assert f"{send.context.span_id:016x}".encode() in headers["traceparent"]
    collected = reader.get_metrics_data()
    assert collected is not None
    names = {
        metric.name
        for resource in collected.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert {"messaging.client.operation.duration", "kafka.producer.record_send_total"} <= names
