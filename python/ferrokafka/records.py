"""What a send returns: `RecordMetadata` and the awaitable `DeliveryFuture`."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Literal, NamedTuple

from ferrokafka._pending import PendingBatch, run_callback

TimestampType = Literal["CreateTime", "LogAppendTime"]


class RecordMetadata(NamedTuple):
    """Where a record was written, as the Java client's `RecordMetadata`. A named tuple: one is
    built per awaited record, and a tuple is the cheapest immutable record to build."""

    topic: str
    partition: int
    # -1 when acks=0: the broker does not say.
    offset: int
    timestamp: int
    timestamp_type: TimestampType
    serialized_key_size: int
    serialized_value_size: int


class DeliveryFuture:
    """The delivery of one record: awaitable, and usable with callbacks.

    Cheaper than an `asyncio.Future`: it shares its batch's single wake-up, and builds its
    `RecordMetadata` only when asked. It works under asyncio and trio alike.
    """

    __slots__ = ("_batch", "_index", "_key_size", "_timestamp", "_value_size")

    def __init__(
        self, batch: PendingBatch, index: int, timestamp: int, key_size: int, value_size: int
    ) -> None:
        self._batch = batch
        self._index = index
        self._timestamp = timestamp
        self._key_size = key_size
        self._value_size = value_size

    def done(self) -> bool:
        return self._batch.resolved

    def result(self) -> RecordMetadata:
        """The metadata, or the delivery's error raised; `InvalidStateError` if still pending."""
        batch, index = self._settled()
        if batch.error is not None:
            raise batch.error
        return self._metadata(batch, index)

    def exception(self) -> BaseException | None:
        return self._settled()[0].error

    def _settled(self) -> tuple[PendingBatch, int]:
        if not self._batch.resolved:
            raise InvalidStateError("the record is not delivered yet: await the future first")
        if self._batch.parts is None:
            return self._batch, self._index
        return self._batch.locate(self._index)

    def add_done_callback(self, callback: Callable[[DeliveryFuture], Any]) -> None:
        """Calls `callback(future)` on the event loop once the record is delivered or failed."""
        batch = self._batch
        if batch.resolved:
            run_callback(callback, self)
        elif batch.callbacks is None:
            batch.callbacks = [(self, callback)]
        else:
            batch.callbacks.append((self, callback))

    def __await__(self) -> Generator[Any, None, RecordMetadata]:
        while True:
            batch = self._batch
            if not batch.resolved:
                future = batch.asyncio_waiter()
                if future is not None:
                    yield from future
                else:
                    yield from batch.wait().__await__()
            # A record held for metadata moves to its real batch once it is appended.
            if self._batch is batch:
                return self.result()

    def batch_and_index(self) -> tuple[PendingBatch, int]:
        return self._batch, self._index

    def rebind(self, batch: PendingBatch, index: int) -> None:
        self._batch = batch
        self._index = index

    def _metadata(self, batch: PendingBatch, index: int) -> RecordMetadata:
        offset = -1 if batch.base_offset < 0 else batch.base_offset + index
        if batch.log_append_time_ms >= 0:
            timestamp, kind = batch.log_append_time_ms, "LogAppendTime"
        else:
            timestamp, kind = self._timestamp, "CreateTime"
        return RecordMetadata(
            batch.topic,
            batch.partition,
            offset,
            timestamp,
            kind,  # type: ignore[arg-type]
            self._key_size,
            self._value_size,
        )

    def __repr__(self) -> str:
        state = "pending"
        if self._batch.resolved:
            state = "failed" if self.exception() is not None else "delivered"
        return f"<DeliveryFuture {self._batch.topic}-{self._batch.partition} {state}>"


class InvalidStateError(RuntimeError):
    """A result was asked of a future that has not finished."""
