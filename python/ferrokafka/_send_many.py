"""`Producer.send_many`: many records of one topic in one call into Rust.

For ingestion scripts: the records are bytes (no serializers, no headers) and share one
timestamp, so the accumulator appends them all in one native call and answers with runs of
``(batch id, first index, count)``, one `PendingBatch` per run instead of one future per record.
It never waits: a topic without metadata is refused (`produce_many` waits instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ferrokafka._native import check_partition
from ferrokafka._record_args import check_timestamp, check_topic
from ferrokafka._runtime import current_thread, now_ms, wall_ms
from ferrokafka.bulk import BulkDelivery
from ferrokafka.errors import IllegalStateError

if TYPE_CHECKING:
    from ferrokafka.producer import Producer


def send_many(
    producer: Producer,
    topic: str,
    values: Sequence[bytes | None],
    keys: Sequence[bytes | None] | None,
    partition: int | None,
    timestamp_ms: int | None,
) -> BulkDelivery:
    """`Producer.send_many` on a started producer."""
    if current_thread() != producer._thread:
        producer._check_owner()
    if producer._transactions is not None:
        producer._transactions.check_send()
    if producer._interceptors is not None:
        raise IllegalStateError(
            "send_many and produce_many are not available with interceptors, which see "
            "records one by one: use send_nowait or produce"
        )
    count = producer._partition_counts.get(topic)
    if count is None:
        check_topic(topic)
        # send_many never waits, and its records cannot be held like send_nowait's.
        raise IllegalStateError(
            f"send_many needs the partition count of topic {topic!r}, which is not known "
            f"yet: await producer.wait_for_topic({topic!r}) (or one send) first"
        )
    if partition is not None:
        check_partition(topic, partition, count)
    if timestamp_ms is None:
        timestamp_ms = wall_ms()
    else:
        check_timestamp(timestamp_ms)
    now = now_ms()
    runs = producer._accumulator.append_many(
        topic, count, values, keys, partition=partition, timestamp_ms=timestamp_ms, now_ms=now
    )
    parts = [(producer._batch_for(run.batch_id, now), run.first_index, run.count) for run in runs]
    return BulkDelivery(parts, timestamp_ms)
