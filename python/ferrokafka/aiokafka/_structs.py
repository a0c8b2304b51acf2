"""aiokafka's result types, and the error for what ferrokafka does not have yet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ferrokafka.errors import KafkaError
from ferrokafka.records import RecordMetadata as FerroMetadata

Serializer = Callable[[Any], bytes | None]
HeaderList = Sequence[tuple[str, bytes | None]]

# aiokafka's TimestampType numbers.
CREATE_TIME = 0
LOG_APPEND_TIME = 1

PENDING_TRANSACTIONS = (
    "transactions are not available in this version of ferrokafka (the transactional producer "
    "is a pending feature): remove transactional_id, or keep aiokafka's producer for "
    "transactional code until ferrokafka ships transactions"
)


class TransactionsUnavailableError(KafkaError, NotImplementedError):
    """A transactional call on a ferrokafka that has no transactions yet."""


class TopicPartition(NamedTuple):
    """aiokafka's ``TopicPartition``; equal to it (both are plain tuples)."""

    topic: str
    partition: int


class RecordMetadata(NamedTuple):
    """aiokafka's ``RecordMetadata``: what a send's future resolves to."""

    topic: str
    partition: int
    topic_partition: TopicPartition
    offset: int
    timestamp: int | None
    #: 0: CreateTime (the producer's timestamp), 1: LogAppendTime (the broker's).
    timestamp_type: int
    #: ferrokafka does not read the log start offset from produce responses: always None.
    log_start_offset: int | None


def from_ferrokafka(metadata: FerroMetadata) -> RecordMetadata:
    return RecordMetadata(
        metadata.topic,
        metadata.partition,
        TopicPartition(metadata.topic, metadata.partition),
        metadata.offset,
        metadata.timestamp,
        LOG_APPEND_TIME if metadata.timestamp_type == "LogAppendTime" else CREATE_TIME,
        None,
    )
