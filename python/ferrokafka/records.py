"""What a send returns: `RecordMetadata` and the awaitable `DeliveryFuture`."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Literal, NamedTuple

from ferrokafka import _native
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


#: The delivery of one record, returned by `Producer.send_nowait`: awaitable (``await future``
#: gives the `RecordMetadata` or raises the delivery's error), with ``done()``, ``result()``,
#: ``exception()`` and ``add_done_callback(fn)``. Cheaper than an `asyncio.Future`: it is built
#: in Rust with the record, shares its batch's single wake-up, and builds its `RecordMetadata`
#: only when asked; it works under asyncio and trio alike. Its behaviour is the functions below.
DeliveryFuture = _native.DeliveryFuture


def _future_settled(future: DeliveryFuture) -> tuple[PendingBatch, int]:
    batch, index = future.batch_and_index()
    if not batch.resolved:
        raise InvalidStateError("the record is not delivered yet: await the future first")
    if batch.parts is None:
        return batch, index
    return batch.locate(index)


def _future_result(future: DeliveryFuture) -> RecordMetadata:
    batch, index = _future_settled(future)
    if batch.error is not None:
        raise batch.error
    offset = -1 if batch.base_offset < 0 else batch.base_offset + index
    if batch.log_append_time_ms >= 0:
        timestamp, kind = batch.log_append_time_ms, "LogAppendTime"
    else:
        timestamp, kind = future.timestamp, "CreateTime"
    return RecordMetadata(
        batch.topic,
        batch.partition,
        offset,
        timestamp,
        kind,  # type: ignore[arg-type]
        future.serialized_key_size,
        future.serialized_value_size,
    )


def _future_exception(future: DeliveryFuture) -> BaseException | None:
    return _future_settled(future)[0].error


def _future_add_done_callback(
    future: DeliveryFuture, callback: Callable[[DeliveryFuture], Any]
) -> None:
    batch, _ = future.batch_and_index()
    if batch.resolved:
        run_callback(callback, future)
    elif batch.callbacks is None:
        batch.callbacks = [(future, callback)]
    else:
        batch.callbacks.append((future, callback))


def _future_await(future: DeliveryFuture) -> Generator[Any, None, RecordMetadata]:
    while True:
        batch, _ = future.batch_and_index()
        if not batch.resolved:
            waiter = batch.asyncio_waiter()
            if waiter is not None:
                yield from waiter
            else:
                yield from batch.wait().__await__()
        # A record held for metadata moves to its real batch once it is appended.
        if future.batch_and_index()[0] is batch:
            return _future_result(future)


def _future_repr(future: DeliveryFuture) -> str:
    batch, _ = future.batch_and_index()
    state = "pending"
    if batch.resolved:
        state = "failed" if _future_exception(future) is not None else "delivered"
    return f"<DeliveryFuture {batch.topic}-{batch.partition} {state}>"


class InvalidStateError(RuntimeError):
    """A result was asked of a future that has not finished."""
