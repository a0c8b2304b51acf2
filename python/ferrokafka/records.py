"""What a send returns: `RecordMetadata` and the awaitable `DeliveryFuture`."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Literal, NamedTuple

from ferrokafka import _native

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


def _future_result(future: DeliveryFuture) -> RecordMetadata:
    batch, index = future.batch_and_index()
    return batch.record_metadata(
        index, future.timestamp, future.serialized_key_size, future.serialized_value_size
    )


def _future_exception(future: DeliveryFuture) -> BaseException | None:
    batch, index = future.batch_and_index()
    return batch.record_error(index)


def _future_add_done_callback(
    future: DeliveryFuture, callback: Callable[[DeliveryFuture], Any]
) -> None:
    future.batch_and_index()[0].add_done_callback(future, callback)


def _future_await(future: DeliveryFuture) -> Generator[Any, None, RecordMetadata]:
    while True:
        batch, _ = future.batch_and_index()
        if not batch.done():
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
    if batch.done():
        state = "failed" if _future_exception(future) is not None else "delivered"
    return f"<DeliveryFuture {batch.topic}-{batch.partition} {state}>"


class InvalidStateError(RuntimeError):
    """A result was asked of a future that has not finished."""
