"""Producer interceptors, as the Java client's ``interceptor.classes``.

    class AddSource(ProducerInterceptor):
        def on_send(self, record: ProducerRecord) -> ProducerRecord:
            return record.replace(headers=(*record.headers, ("source", b"billing")))

    producer = Producer(bootstrap_servers=..., interceptors=[AddSource()])

Java's semantics (``ProducerInterceptor``, ``ProducerInterceptors``):

- `ProducerInterceptor.on_send` runs first in every send, before the serializers, the topic and
  argument checks and the partitioner; each interceptor gets the record the previous one
  returned, and the last one's record is the one sent. It may change anything: topic, key,
  value, headers, partition, timestamp.
- `ProducerInterceptor.on_acknowledgement` runs once per record when it ends: delivered, or
  failed, including a failure before the record reached a batch (a bad argument, a full buffer,
  no metadata in time). It runs before the record's ``on_delivery`` callback, on the event loop;
  keep it short. On failure the metadata has the topic and, if known, the partition, and -1
  elsewhere.
- An interceptor's exception is logged (logger ``ferrokafka.producer.interceptors``) and never
  fails the send: the next interceptor gets the record the failing one was given.
- `ProducerInterceptor.close` runs once, when the producer closes.
- An interceptor may also have ``configure(config)`` (Java's ``Configurable``): it is called
  with the producer's `ProducerConfig` when the producer is built.

`send_many` and `produce_many` take records in bulk and are refused on a producer with
interceptors (each record would have to be intercepted alone): use `send_nowait` or `produce`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ferrokafka.errors import KafkaError
    from ferrokafka.records import RecordMetadata

__all__ = ["ProducerInterceptor", "ProducerRecord"]


@dataclass(frozen=True, slots=True)
class ProducerRecord:
    """One record as the caller gave it to a send, before serialization (Java's
    ``ProducerRecord``). ``headers`` are ``(name, value)`` pairs in order; ``partition`` and
    ``timestamp_ms`` are None when the producer chooses them."""

    topic: str
    value: Any = None
    key: Any = None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    partition: int | None = None
    timestamp_ms: int | None = None

    def replace(self, **changes: Any) -> ProducerRecord:
        """A copy with ``changes`` (``record.replace(topic="audit")``)."""
        return dataclasses.replace(self, **changes)


class ProducerInterceptor(Protocol):
    """Java's ``ProducerInterceptor``. Subclass it and override what you need (the defaults
    change nothing), or give any object with these three methods.

    Like Java 4's three-argument ``onAcknowledgement`` (KIP-512), `on_acknowledgement` may
    take a third, optional parameter, ``record``: the `ProducerRecord` this interceptor returned
    from `on_send` for that record, which is how an interceptor ties the end of a record to what
    it did at its start (`ferrokafka.opentelemetry.TracingInterceptor` ends its span so)."""

    def on_send(self, record: ProducerRecord) -> ProducerRecord:
        """Called first in every send; returns the record to send (the same or a new one)."""
        return record

    def on_acknowledgement(self, metadata: RecordMetadata, error: KafkaError | None) -> None:
        """Called once when the record ends: ``error`` is None when it was delivered."""

    def close(self) -> None:
        """Called once when the producer closes."""
