"""Interceptors and OpenTelemetry (docs/observability.md shows this file; tests/docs runs it).

python observability.py localhost:9092      (prints the spans and metrics on the console)
"""

import sys

import anyio
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from ferrokafka import KafkaError, Producer, ProducerInterceptor, ProducerRecord, RecordMetadata
from ferrokafka.opentelemetry import ProducerMetricsObserver, TracingInterceptor


# --8<-- [start:interceptors]
class SourceHeader(ProducerInterceptor):
    """Stamps every record with the service that sent it."""

    def on_send(self, record: ProducerRecord) -> ProducerRecord:
        return record.replace(headers=(*record.headers, ("source", b"billing")))


class FailureCounter(ProducerInterceptor):
    """Counts the records that failed, wherever they failed."""

    def __init__(self) -> None:
        self.failed = 0

    def on_acknowledgement(self, metadata: RecordMetadata, error: KafkaError | None) -> None:
        if error is not None:
            self.failed += 1


# --8<-- [end:interceptors]


async def main(bootstrap_servers: str, topic: str = "payments") -> None:
    failures = FailureCounter()
    async with Producer(
        bootstrap_servers=bootstrap_servers,
        client_id="billing",
        # In order: the header first, then a span per record (its trace context goes into the
        # headers too), then the counter.
        interceptors=[SourceHeader(), TracingInterceptor(), failures],
    ) as producer:
        # The producer's metrics as OpenTelemetry instruments, read at each collection.
        ProducerMetricsObserver(producer)
        with trace.get_tracer("billing").start_as_current_span("charge"):
            # The record's span is a child of "charge".
            meta = await producer.send(topic, b"42.00", key=b"order-17")
        print(meta.partition, meta.offset, failures.failed)


if __name__ == "__main__":
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(ConsoleMetricExporter())
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else "localhost:9092")
    tracer_provider.shutdown()
