"""The checks and conversions of one record's arguments, on `Producer.send_nowait`'s Python path.

Module-level functions, imported by name where they are used: a call costs what it cost as a
function of `producer.py` (these run per record).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ferrokafka._runtime import wall_ms
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import (
    ConfigError,
    InvalidTimestampError,
    InvalidTopicError,
    KafkaError,
    PartitionOutOfRangeError,
    SerializationError,
)
from ferrokafka.records import DeliveryFuture, DeliveryReport, RecordMetadata

if TYPE_CHECKING:
    from ferrokafka._held import Headers
    from ferrokafka.producer import Producer

# Bound once: the fast path reads the clocks for every record.
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")
# Kafka 4 rejects timestamps more than an hour ahead (log.message.timestamp.after.max.ms);
# checking here fails only the bad record instead of its whole batch at the broker.
MAX_FUTURE_TIMESTAMP_MS = 3_600_000

#: What ``headers=`` takes: ``[("name", b"value"), ...]`` (names may repeat) or a mapping.
HeadersArg = Sequence[tuple[str, bytes | None]] | Mapping[str, bytes | None] | None
OnDelivery = Callable[[RecordMetadata | None, KafkaError | None], Any]


def header_pairs(headers: HeadersArg) -> list[tuple[str, bytes | None]]:
    assert headers is not None
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for item in items:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise SerializationError(
                f"a header must be a (name, value) pair, got {item!r}: pass "
                "headers=[('name', b'value'), ...]"
            ) from None
        if type(name) is not str:
            raise SerializationError(
                f"header name {name!r} is {type(name).__name__}, not str: Kafka header names "
                "are strings (values are bytes)"
            )
        if value is not None and type(value) is not bytes:
            if isinstance(value, bytearray | memoryview):
                value = bytes(value)
            else:
                raise SerializationError(
                    f"header {name!r} has a {type(value).__name__} value: header values are "
                    "bytes or None; encode it first (e.g. value.encode())"
                )
        out.append((name, value))
    return out


def serialize(
    producer: Producer, topic: str, key: Any, value: Any, headers: Headers
) -> tuple[bytes | None, bytes | None]:
    """The key and value as bytes: through the producer's serializers, or as given."""
    if producer._value_serializer is not None:
        value = producer._value_serializer.serialize(topic, value, headers)
    elif value is not None and type(value) is not bytes:
        value = as_bytes(value, "value", topic)
    if producer._key_serializer is not None:
        key = producer._key_serializer.serialize(topic, key, headers)
    elif key is not None and type(key) is not bytes:
        key = as_bytes(key, "key", topic)
    return key, value


def as_bytes(data: Any, what: str, topic: str) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise SerializationError(
        f"the {what} for topic {topic!r} is a {type(data).__name__}, not bytes: encode it "
        f"yourself or set {what}_serializer (e.g. StringSerializer(), JsonSerializer())",
        topic=topic,
        value_type=type(data),
    )


def check_topic(topic: str) -> None:
    if type(topic) is not str or not _TOPIC_NAME.fullmatch(topic) or topic in (".", ".."):
        # The error's own explanation says what a valid name is: not said twice.
        raise InvalidTopicError(f"cannot send to topic {topic!r}")


def check_timestamp(timestamp_ms: int) -> None:
    # The error's own explanation names the broker's limits and the fix (a current timestamp,
    # or None): the details here say only what is wrong with this one.
    if type(timestamp_ms) is not int or timestamp_ms < 0:
        raise InvalidTimestampError(
            f"timestamp_ms={timestamp_ms!r} is not a non-negative int of milliseconds since the "
            "epoch"
        )
    if timestamp_ms > wall_ms() + MAX_FUTURE_TIMESTAMP_MS:
        # Seconds would be in 1970, which brokers accept by default; a timestamp this far
        # ahead is more likely in micro- or nanoseconds.
        raise InvalidTimestampError(
            f"timestamp_ms={timestamp_ms} is in the future (microseconds or nanoseconds "
            "instead of milliseconds?)"
        )


def delivery_callback(on_delivery: OnDelivery) -> Callable[[DeliveryFuture], None]:
    """The done callback that reports a record's delivery to ``on_delivery``: a
    `DeliveryReport`, so that cancelling the record's future does not cancel the report."""
    return DeliveryReport(on_delivery)


def custom_partition(
    config: ProducerConfig, topic: str, key: Any, key_bytes: bytes | None, value: Any, count: int
) -> int:
    partitioner = config.partitioner
    assert partitioner is not None
    try:
        chosen = partitioner(topic, key, key_bytes, value, count)
    except Exception as exc:
        raise ConfigError(
            f"the custom partitioner {partitioner!r} raised {exc!r} for topic {topic!r}",
            option="partitioner",
        ) from exc
    if type(chosen) is not int or not 0 <= chosen < count:
        valid = "0" if count == 1 else f"an int from 0 to {count - 1}"
        partitions = "1 partition" if count == 1 else f"{count} partitions"
        raise PartitionOutOfRangeError(
            f"the custom partitioner {partitioner!r} returned {chosen!r} for topic {topic!r}, "
            f"which has {partitions}: it must return {valid}"
        )
    return chosen
