"""Reading a topic back to its partitions' end offsets with confluent-kafka, independently
of ferrokafka: what `BaseCluster.consume` returns and how it checks the count."""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ferrokafka.testing._errors import (
    ConsumeTimeoutError,
    KafkaHarnessError,
    UnexpectedRecordsError,
)

if TYPE_CHECKING:
    from confluent_kafka import Consumer


class TimestampType(enum.StrEnum):
    """How a record's timestamp was set, named as Java's `TimestampType` prints it."""

    NO_TIMESTAMP_TYPE = "NoTimestampType"
    CREATE_TIME = "CreateTime"
    LOG_APPEND_TIME = "LogAppendTime"


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """A record as an independent consumer (confluent-kafka) read it from the broker."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    timestamp_type: TimestampType
    timestamp: int


def read_to_end(
    consumer: Consumer, topic: str, count: int | None, deadline: float, timeout: float
) -> list[ConsumedRecord]:
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    metadata = consumer.list_topics(topic, timeout=max(0.1, deadline - time.monotonic()))
    described = metadata.topics.get(topic)
    if described is None or described.error is not None or not described.partitions:
        reason = described.error if described is not None else "not reported"
        raise KafkaHarnessError(f"cannot read topic {topic!r}: {reason}")
    partitions = sorted(described.partitions)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    records: list[ConsumedRecord] = []
    # Per partition, the offset after the last record (or end-of-partition event) read.
    reached = dict.fromkeys(partitions, 0)
    while True:
        ends = _end_offsets(consumer, topic, partitions, deadline)
        _read_to(consumer, topic, ends, reached, records, deadline, timeout, count)
        if count is None or len(records) >= count:
            break
        # Fewer than asked for: the rest may not be written or replicated yet.
        if time.monotonic() >= deadline:
            raise _timed_out(topic, records, count, timeout)
        time.sleep(0.05)
    records.sort(key=_position)
    if count is not None and len(records) > count:
        raise UnexpectedRecordsError(
            f"topic {topic!r} holds {len(records)} records up to its end offsets "
            f"{_describe_ends(ends)}, expected {count}{_repeated_values(records)}",
            records,
        )
    return records


def _end_offsets(
    consumer: Consumer, topic: str, partitions: Sequence[int], deadline: float
) -> dict[int, int]:
    """Each partition's high watermark, asked of its leader now (not librdkafka's cache)."""
    from confluent_kafka import TopicPartition

    ends: dict[int, int] = {}
    for partition in partitions:
        # Not cut short by the read's deadline: an answer late by a second beats a false error.
        wait = max(5.0, min(10.0, deadline - time.monotonic()))
        try:
            _low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=wait, cached=False
            )
        except Exception as exc:  # librdkafka's KafkaException
            raise KafkaHarnessError(
                f"cannot read the end offset of {topic!r} partition {partition}: {exc}"
            ) from exc
        ends[partition] = high
    return ends


def _read_to(
    consumer: Consumer,
    topic: str,
    ends: Mapping[int, int],
    reached: dict[int, int],
    records: list[ConsumedRecord],
    deadline: float,
    timeout: float,
    count: int | None,
) -> None:
    """Consumes until every partition is read up to `ends`, adding to `records` and `reached`."""
    from confluent_kafka import KafkaError

    while any(reached[p] < end for p, end in ends.items()):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(topic, records, count, timeout, ends=ends)
        for message in consumer.consume(500, timeout=min(remaining, 0.5)):
            error = message.error()
            partition = message.partition()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    # The event's offset is where the partition ended when it was fetched.
                    if partition is not None:
                        reached[partition] = max(reached[partition], message.offset() or 0)
                    continue
                raise KafkaHarnessError(f"reading topic {topic!r}: {error}")
            record = _record(message)
            records.append(record)
            reached[record.partition] = max(reached[record.partition], record.offset + 1)


def _timed_out(
    topic: str,
    records: list[ConsumedRecord],
    count: int | None,
    timeout: float,
    *,
    ends: Mapping[int, int] | None = None,
) -> ConsumeTimeoutError:
    got = sorted(records, key=_position)
    if count is not None:
        wanted = f"{count} records"
    else:
        wanted = "the end offsets " + _describe_ends(ends or {})
    return ConsumeTimeoutError(
        f"read {len(got)} records of {topic!r} in {timeout:g} s, waiting for {wanted}", got
    )


def _describe_ends(ends: Mapping[int, int]) -> str:
    return "{" + ", ".join(f"{p}: {end}" for p, end in sorted(ends.items())) + "}"


def _repeated_values(records: Sequence[ConsumedRecord]) -> str:
    """A note naming values the topic holds more than once (the usual reason for extras)."""
    seen: dict[bytes | None, list[tuple[int, int]]] = {}
    for record in records:
        seen.setdefault(record.value, []).append(_position(record))
    repeated = [(value, where) for value, where in seen.items() if len(where) > 1]
    if not repeated:
        return ""
    shown = "; ".join(f"{value!r} at {where}" for value, where in repeated[:5])
    more = f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""
    return f"; values found more than once (at (partition, offset)): {shown}{more}"


def _record(message: Any) -> ConsumedRecord:
    from confluent_kafka import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME

    kind, timestamp = message.timestamp()
    timestamp_type = {
        TIMESTAMP_CREATE_TIME: TimestampType.CREATE_TIME,
        TIMESTAMP_LOG_APPEND_TIME: TimestampType.LOG_APPEND_TIME,
    }.get(kind, TimestampType.NO_TIMESTAMP_TYPE)
    headers = message.headers() or []
    return ConsumedRecord(
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        key=message.key(),
        value=message.value(),
        headers=[(str(name), value) for name, value in headers],
        timestamp_type=timestamp_type,
        timestamp=timestamp,
    )


def _position(record: ConsumedRecord) -> tuple[int, int]:
    return (record.partition, record.offset)
