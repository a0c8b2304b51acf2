"""Records given to `send_nowait` for a topic whose metadata has not arrived yet.

`send_nowait` never waits, so such records are held here (their size counted against
``buffer_memory``) and appended, in order, as soon as the topic's partition count is known; their
futures then follow the batch they landed in. After ``max_block_ms`` they fail with
`KafkaTimeoutError`, as the Java client's `send` does when a topic never shows up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ferrokafka._logging import UNNAMED, ClientLog
from ferrokafka._pending import PendingBatch
from ferrokafka.errors import KafkaError
from ferrokafka.records import DeliveryFuture

Headers = list[tuple[str, bytes | None]] | None


@dataclass(slots=True)
class HeldRecord:
    partition: int | None
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int
    future: DeliveryFuture
    # The key and value as given to send_nowait, kept only for a custom partitioner, which
    # sees them as for any other record.
    original: tuple[Any, Any] | None = None


class HeldTopic:
    """The held records of one topic, sharing one placeholder batch their futures wait on."""

    def __init__(
        self, topic: str, deadline_ms: int, delivery_deadline_ms: int, log: ClientLog = UNNAMED
    ) -> None:
        self.topic = topic
        self.deadline_ms = deadline_ms
        self.placeholder = PendingBatch(topic, -1, delivery_deadline_ms, log)
        self.records: list[HeldRecord] = []
        self.size = 0

    def hold(
        self,
        partition: int | None,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        timestamp_ms: int,
        original: tuple[Any, Any] | None = None,
    ) -> DeliveryFuture:
        future = DeliveryFuture(
            self.placeholder,
            len(self.records),
            timestamp_ms,
            -1 if key is None else len(key),
            -1 if value is None else len(value),
        )
        self.records.append(
            HeldRecord(partition, key, value, headers, timestamp_ms, future, original)
        )
        self.size += record_size(key, value, headers)
        return future

    def release(self, append: Callable[[HeldRecord], tuple[PendingBatch, int]]) -> None:
        """Appends every held record with ``append`` (which returns the batch and index it
        landed at) and moves each future, and its callbacks, onto that batch. A record that
        cannot be appended fails alone with the error ``append`` raised."""
        callbacks = self.placeholder.callbacks or []
        self.placeholder.callbacks = None
        for record in self.records:
            try:
                batch, index = append(record)
            except KafkaError as error:
                batch, index = PendingBatch(self.topic, -1, 0, self.placeholder.log), 0
                batch.fail(error)
            record.future.rebind(batch, index)
        for future, callback, context in callbacks:
            future._batch.add_done_callback(future, callback, context)
        self.records.clear()
        self.placeholder.wake()

    def fail(self, error: KafkaError) -> None:
        self.records.clear()
        self.placeholder.fail(error)


def record_size(key: bytes | None, value: bytes | None, headers: Headers) -> int:
    """Approximately what a record takes in a batch (for memory accounting while held)."""
    size = 21 + (len(key) if key else 0) + (len(value) if value else 0)
    if headers:
        size += sum(len(k) + (len(v) if v else 0) + 4 for k, v in headers)
    return size
