"""What a send returns: `RecordMetadata` and the awaitable `DeliveryFuture`."""

from __future__ import annotations

import asyncio
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
#: gives the `RecordMetadata` or raises the delivery's error), and an asyncio future as far as
#: asyncio's helpers are concerned (``asyncio.isfuture`` is true; ``wait``, ``as_completed``,
#: ``gather``, ``shield``, ``wait_for`` and ``ensure_future`` take it), with ``done()``,
#: ``result()``, ``exception()``, ``add_done_callback(fn, *, context=None)``,
#: ``remove_done_callback(fn)``, ``cancel()``, ``cancelled()`` and ``get_loop()``.
#: ``cancel()`` ends the future, not the record: the record is already queued, and is still
#: delivered (or fails) as every queued record is; ``on_delivery`` still reports it.
#: Cheaper than an `asyncio.Future`: it is built in Rust with the record, shares its batch's
#: single wake-up, and builds its `RecordMetadata` only when asked; it works under asyncio and
#: trio alike. Its behaviour off asyncio is the functions below.
DeliveryFuture = _native.DeliveryFuture


def _future_result(future: DeliveryFuture) -> RecordMetadata:
    batch, index = future._batch, future._index
    return batch.record_metadata(
        index, future.timestamp, future.serialized_key_size, future.serialized_value_size
    )


def _future_exception(future: DeliveryFuture) -> BaseException | None:
    batch, index = future._batch, future._index
    return batch.record_error(index)


def _future_add_done_callback(
    future: DeliveryFuture, callback: Callable[[DeliveryFuture], Any]
) -> None:
    future._batch.add_done_callback(future, callback)


def _future_await(future: DeliveryFuture) -> Generator[Any, None, RecordMetadata]:
    while True:
        if future.cancelled():
            raise asyncio.CancelledError
        batch = future._batch
        if not batch.done():
            waiter = batch.asyncio_waiter()
            if waiter is not None:
                yield from waiter
            else:
                yield from batch.wait().__await__()
        # A record held for metadata moves to its real batch once it is appended.
        if future._batch is batch and not future.cancelled():
            return _future_result(future)


def _future_repr(future: DeliveryFuture) -> str:
    batch = future._batch
    state = "pending"
    if future.cancelled():
        state = "cancelled"
    elif batch.done():
        state = "failed" if _future_exception(future) is not None else "delivered"
    return f"<DeliveryFuture {batch.topic}-{batch.partition} {state}>"


class DeliveryReport:
    """The done callback behind ``send_nowait(..., on_delivery=fn)``: calls
    ``fn(metadata, None)`` or ``fn(None, error)`` when the record's delivery ends. It reads the
    record's batch, not its future: cancelling the future neither runs nor stops it."""

    __slots__ = ("on_delivery",)

    def __init__(self, on_delivery: Callable[[RecordMetadata | None, Any], Any]) -> None:
        self.on_delivery = on_delivery

    def __call__(self, future: DeliveryFuture) -> None:
        error = _future_exception(future)
        if error is None:
            self.on_delivery(_future_result(future), None)
        else:
            self.on_delivery(None, error)


class InvalidStateError(RuntimeError, asyncio.InvalidStateError):
    """A result was asked of a future that has not finished (an `asyncio.InvalidStateError`
    too, as asyncio's helpers expect of a future)."""
