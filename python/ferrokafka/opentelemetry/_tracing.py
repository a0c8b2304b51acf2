"""A span per record, built on the interceptors: `on_send` starts it (its parent is the
caller's current context) and injects its trace context into the record's headers;
`on_acknowledgement` ends it with the partition and offset, or the error."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from opentelemetry import metrics, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from ferrokafka._native import __version__
from ferrokafka.interceptors import ProducerInterceptor, ProducerRecord
from ferrokafka.opentelemetry import _attributes as a

if TYPE_CHECKING:
    from ferrokafka.config import ProducerConfig
    from ferrokafka.errors import KafkaError
    from ferrokafka.records import RecordMetadata

# Bucket boundaries the semantic conventions advise for messaging.client.operation.duration.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


class TracingInterceptor(ProducerInterceptor):
    """Spans and the operation-duration histogram for every record a producer sends.

    ``inject_context`` (default True) writes the span's W3C trace context (``traceparent``,
    ``tracestate``, and whatever else the global propagator carries) into the record's headers,
    replacing headers of those names, so that consumers continue the trace. Give it to the
    producer: ``Producer(..., interceptors=[TracingInterceptor()])``."""

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        inject_context: bool = True,
    ) -> None:
        self._tracer = trace.get_tracer("ferrokafka", __version__, tracer_provider)
        meter = metrics.get_meter("ferrokafka", __version__, meter_provider)
        self._duration = meter.create_histogram(
            a.OPERATION_DURATION,
            unit="s",
            description="Seconds from a send to the end of its record (delivered or failed)",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._inject = inject_context
        self._client_id = ""
        # The records in flight, by the id of the record returned from on_send (the producer
        # keeps that record until its acknowledgement, so the id stays unique till then).
        self._spans: dict[int, tuple[trace.Span, float]] = {}

    def configure(self, config: ProducerConfig) -> None:
        """Called by the producer with its config (as Java's ``Configurable``)."""
        self._client_id = config.client_id

    def on_send(self, record: ProducerRecord) -> ProducerRecord:
        attributes: dict[str, str | bool] = {
            a.SYSTEM: a.KAFKA,
            a.OPERATION_NAME: a.SEND,
            a.OPERATION_TYPE: a.SEND,
            a.DESTINATION: record.topic,
        }
        if self._client_id:
            attributes[a.CLIENT_ID] = self._client_id
        if record.partition is not None:
            attributes[a.PARTITION] = str(record.partition)
        key = _key_text(record.key)
        if key is not None:
            attributes[a.KEY] = key
        if record.value is None:
            attributes[a.TOMBSTONE] = True
        span = self._tracer.start_span(
            f"send {record.topic}", kind=SpanKind.PRODUCER, attributes=attributes
        )
        if self._inject:
            carrier: dict[str, str] = {}
            propagate.inject(carrier, context=trace.set_span_in_context(span))
            kept = tuple(h for h in record.headers if h[0] not in carrier)
            added = tuple((name, text.encode()) for name, text in carrier.items())
            # Built directly: per record, dataclasses.replace costs several times more.
            record = ProducerRecord(
                record.topic,
                record.value,
                record.key,
                kept + added,
                record.partition,
                record.timestamp_ms,
            )
        self._spans[id(record)] = (span, time.monotonic())
        return record

    def on_acknowledgement(
        self,
        metadata: RecordMetadata,
        error: KafkaError | None,
        record: ProducerRecord | None = None,
    ) -> None:
        started = self._spans.pop(id(record), None)
        if started is None:
            return
        span, start = started
        attributes = {
            a.SYSTEM: a.KAFKA,
            a.OPERATION_NAME: a.SEND,
            a.OPERATION_TYPE: a.SEND,
            a.DESTINATION: metadata.topic,
        }
        if metadata.partition >= 0:
            span.set_attribute(a.PARTITION, str(metadata.partition))
        if error is None:
            if metadata.offset >= 0:
                span.set_attribute(a.OFFSET, metadata.offset)
        else:
            attributes[a.ERROR_TYPE] = type(error).__name__
            span.set_attribute(a.ERROR_TYPE, type(error).__name__)
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, str(error)))
        span.end()
        self._duration.record(time.monotonic() - start, attributes)


def _key_text(key: object) -> str | None:
    """The key as the semantic conventions want it: a string, or its string representation;
    bytes that are not UTF-8 are left out (None)."""
    if key is None:
        return None
    if isinstance(key, bytes | bytearray | memoryview):
        try:
            return bytes(key).decode()
        except UnicodeDecodeError:
            return None
    return key if isinstance(key, str) else str(key)
