"""`BulkDelivery`: what `Producer.send_many` and `Producer.produce_many` return.

A bulk of records crossed into Rust in one call and landed in a handful of batches; this object
waits on those batches, not on one future per record, and builds per-record results only when
asked for them.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ferrokafka._pending import PendingBatch
from ferrokafka.errors import KafkaError
from ferrokafka.records import RecordMetadata


class BulkDelivery:
    """The delivery of the records of one `send_many` call, in input order.

    ``await bulk`` returns the number of records delivered, or raises the first error if any
    record failed (the others may still have been delivered: see `results`).
    """

    __slots__ = ("_parts", "queued")

    def __init__(self, parts: list[tuple[PendingBatch, int, int]], timestamp_ms: int) -> None:
        # (batch, first index in the batch, count, timestamp), consecutive input records per
        # part; the timestamp is per part because produce_many joins calls made at other times.
        self._parts = [(batch, first, count, timestamp_ms) for batch, first, count in parts]
        #: How many of the given records were queued (the rest did not fit in buffer_memory).
        self.queued = sum(count for _, _, count in parts)

    def extend(self, other: BulkDelivery) -> None:
        """Appends the records of ``other`` (a later call), in order."""
        self._parts.extend(other._parts)
        self.queued += other.queued

    def done(self) -> bool:
        return all(batch.resolved for batch, _, _, _ in self._parts)

    def __await__(self) -> Generator[Any, None, int]:
        for batch, _, _, _ in self._parts:
            if not batch.resolved:
                yield from batch.wait().__await__()
        error = self._first_error()
        if error is not None:
            raise error
        return self.queued

    def _first_error(self) -> KafkaError | None:
        # Batch by batch: awaiting a bulk must not build a RecordMetadata per record.
        for parent, first, count, _ in self._parts:
            if parent.parts is None:
                if parent.error is not None:
                    return parent.error
                continue
            # Split after MESSAGE_TOO_LARGE: the records' pieces may have ended differently.
            for i in range(first, first + count):
                batch, _ = parent.locate(i)
                if batch.error is not None:
                    return batch.error
        return None

    def results(self) -> list[RecordMetadata | KafkaError]:
        """Per record, in input order: its metadata or its error. Only once `done()`."""
        if not self.done():
            raise RuntimeError("the bulk is not finished: await it first")
        return list(self._iter_results())

    def _iter_results(self) -> Generator[RecordMetadata | KafkaError, None, None]:
        for parent, first, count, timestamp_ms in self._parts:
            for i in range(first, first + count):
                batch, index = parent.locate(i) if parent.parts is not None else (parent, i)
                if batch.error is not None:
                    yield batch.error
                    continue
                offset = -1 if batch.base_offset < 0 else batch.base_offset + index
                if batch.log_append_time_ms >= 0:
                    yield RecordMetadata(
                        batch.topic,
                        batch.partition,
                        offset,
                        batch.log_append_time_ms,
                        "LogAppendTime",
                        -1,
                        -1,
                    )
                else:
                    yield RecordMetadata(
                        batch.topic,
                        batch.partition,
                        offset,
                        timestamp_ms,
                        "CreateTime",
                        -1,
                        -1,
                    )
