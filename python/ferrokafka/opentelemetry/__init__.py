"""OpenTelemetry for the producer (optional extra ``opentelemetry``).

    from ferrokafka.opentelemetry import ProducerMetricsObserver, TracingInterceptor

    producer = Producer(bootstrap_servers=..., interceptors=[TracingInterceptor()])
    ProducerMetricsObserver(producer)

`ProducerMetricsObserver` reports the metrics of `Producer.metrics_by_name()` (the set
`ferrokafka.prometheus` exports) as observable instruments, read at each collection.
`TracingInterceptor` makes a span per record (kind PRODUCER, ``send {topic}``) from the send to
its acknowledgement, injects its W3C trace context into the record's headers, and records the
``messaging.client.operation.duration`` histogram. Both use the global providers unless given
others, and follow the OpenTelemetry messaging semantic conventions (docs/observability.md).
"""

from __future__ import annotations

try:
    import opentelemetry.metrics
    import opentelemetry.trace  # noqa: F401
except ImportError as exc:  # the optional extra is not installed
    raise ImportError(
        "ferrokafka.opentelemetry needs opentelemetry-api: pip install 'ferrokafka[opentelemetry]'"
    ) from exc

from ferrokafka.opentelemetry._metrics import ProducerMetricsObserver
from ferrokafka.opentelemetry._tracing import TracingInterceptor

__all__ = ["ProducerMetricsObserver", "TracingInterceptor"]
