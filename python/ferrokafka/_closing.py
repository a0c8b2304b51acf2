"""What `Producer.close` does between CLOSING and CLOSED: send what is left within the time
given, then stop the sender, fail every record not delivered and close the connections.
`Producer.close` keeps the states and the callers that wait for another close."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from ferrokafka import _fast_paths, _held_records
from ferrokafka.errors import KafkaError, ProducerClosedError

if TYPE_CHECKING:
    from ferrokafka._runtime import BackgroundTask
    from ferrokafka.producer import Producer


async def close_started(producer: Producer, timeout: float | None) -> None:
    """Closes a started producer, now CLOSING: within ``timeout`` seconds (None: the
    delivery timeout) it sends what is left, then stops everything, whatever happened."""
    _fast_paths.remove(producer)
    if producer._metadata_arrived is not None:
        # Sends waiting for a topic's metadata learn that the producer is closing.
        producer._metadata_arrived.set()
        producer._metadata_arrived = None
    limit = producer._delivery_timeout_ms / 1000 if timeout is None else max(timeout, 0.0)
    deadline = anyio.current_time() + limit
    task = producer._sender_task
    assert task is not None
    try:
        await send_what_is_left(producer, task, limit, deadline)
    finally:
        await stop_everything(producer, task)


async def send_what_is_left(
    producer: Producer, task: BackgroundTask, limit: float, deadline: float
) -> None:
    """Aborts an open transaction, appends the held records, and lets the sender deliver the
    rest until ``deadline`` (``limit`` seconds from the start of close)."""
    # Records sent with send_nowait just before close may still wait for their
    # topic's metadata: they are sent once it comes (or fail after max_block_ms), as
    # flush() does.
    if producer._transactions is not None and producer._transactions.is_open:
        # As the Java client does: a transaction still open at close is aborted.
        with anyio.move_on_after(limit):
            try:
                await producer.abort_transaction()
            except KafkaError as exc:
                producer._inflight.log.warning(
                    "close(): the open transaction was not aborted: %s", exc
                )
    with anyio.move_on_after(limit):
        while producer._held:
            await next(iter(producer._held.values())).placeholder.wait()
    for held in list(producer._held.values()):
        _held_records.release_held(producer, held)
    producer._sender.begin_close(abort=False)
    with anyio.move_on_after(max(deadline - anyio.current_time(), 0.0)):
        await task.join()
    if not task.done:
        producer._inflight.log.warning("close(): records left after %.3g s are failed", limit)


async def stop_everything(producer: Producer, task: BackgroundTask) -> None:
    """Stops the sender, fails every record not delivered and closes the connections.
    Shielded, so that it runs to its end also when close() itself is cancelled (e.g. `async
    with` left by a cancelled scope): no connection stays open and no record stays pending."""
    with anyio.CancelScope(shield=True):
        if not task.done:
            task.cancel()
            with anyio.move_on_after(1.0):
                await task.join()
        fail_everything(
            producer, ProducerClosedError("the producer was closed before the record was delivered")
        )
        with anyio.move_on_after(1.0):
            await producer._pool.close()
    producer._accumulator.close()


def fail_everything(producer: Producer, error: KafkaError) -> None:
    for held in list(producer._held.values()):
        held.fail(error)
    producer._held.clear()
    producer._accumulator.abort_all()
    for pending in producer._inflight.take_all():
        pending.fail(error)


def close_interceptors(producer: Producer) -> None:
    """Java closes the interceptors last, once the records have ended (each was acknowledged)."""
    if producer._interceptors is not None:
        producer._interceptors.close()
