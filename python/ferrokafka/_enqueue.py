"""The awaitable enqueue: `Producer.produce` off its fast path, and `Producer.produce_many`.

`send_nowait` never yields to the event loop, so a loop of it starves the sender task (nothing is
sent before the first ``await``, and the buffer fills). `produce` is the same append behind an
``await``: it returns as soon as the record is in a batch, and it makes its caller's loop
cooperative by itself. Every `YIELD_EVERY` records it gives the event loop one turn, in which the
sender drains what was appended and the connections read their responses; it waits instead of
raising when ``buffer_memory`` is full (up to ``max_block_ms``, as `send` does) or when the
topic's metadata is not known yet.

Only those rare calls come here. The common one (a record of a topic with metadata, room in the
buffer, credit left before the next yield, called on the producer's own asyncio loop) stays in
`Producer.produce`, whose cost is `send_nowait`'s plus one coroutine.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

import anyio.lowlevel

from ferrokafka import _waits
from ferrokafka._native import check_partition
from ferrokafka._record_args import check_topic
from ferrokafka._runtime import current_thread
from ferrokafka.bulk import BulkDelivery
from ferrokafka.errors import BufferFullError, SerializationError

if TYPE_CHECKING:
    from ferrokafka.producer import HeadersArg, Producer
    from ferrokafka.records import DeliveryFuture

#: Records `produce` appends between two turns given to the event loop. Measured (200,000
#: records of 100 B, 6 partitions, acks=1, one local broker, 2 shared cores; CPU per record,
#: median of 5, relative to a send_nowait loop that yields every 1,000): every 100 records
#: 1.95×, 300 1.5–1.6×, 1,000 1.3–1.5×, 3,000 and 10,000 1.35–1.45× at linger 0 and 5 ms. Fewer
#: turns stop paying once the sender's requests are full; more turns make smaller requests.
YIELD_EVERY = 1_000
#: Records per native call in `produce_many`: the same turn length as `produce`'s.
BULK_CHUNK = 1_000


async def give_turn() -> None:
    """One turn of the event loop (asyncio or trio): the sender and the connections run."""
    await anyio.lowlevel.checkpoint()


def fast_produce(producer: Producer) -> Callable[..., Awaitable[DeliveryFuture]]:
    """`Producer.produce` for a started producer, put on the instance by `Producer.start`.

    A closure rather than a method: its state (the records left before the next turn, the
    producer's send_nowait and partition counts) are cell variables, cheaper to read than
    attributes, and the per-record cost is what decides whether ``await produce`` can be used
    instead of send_nowait. Per record it compares the thread only (a loop in another thread
    is refused before anything is queued); the full check of the loop runs at every turn and
    when a record opens a batch, and the producer removes this function when its sender ends
    (close, or the end of the asyncio.run that started it).
    """
    send = producer.send_nowait
    counts = producer._partition_counts
    thread = producer._thread
    credit = YIELD_EVERY

    async def produce(
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: HeadersArg = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> DeliveryFuture:
        nonlocal credit
        credit -= 1
        if (
            credit > 0
            and current_thread() == thread
            and headers is None
            and partition is None
            and timestamp_ms is None
            and topic in counts
        ):
            try:
                # Positional arguments only: the cheapest call into the native fast path.
                return send(topic, value, key)
            except BufferFullError:
                pass
        turn = credit <= 0
        if turn:
            credit = YIELD_EVERY
        producer._check_owner()
        return await produce_slowly(
            producer, topic, value, key, headers, partition, timestamp_ms, turn
        )

    produce.__doc__ = type(producer).produce.__doc__
    return produce


def slow_produce(
    producer: Producer,
) -> Callable[..., Awaitable[DeliveryFuture]]:
    """The coroutine the native `produce` hands every other call to (options, unknown
    topic, full buffer, another loop, its turn to yield): `produce_slowly`, owner checked."""

    async def produce(
        topic: str,
        value: Any,
        key: Any,
        headers: HeadersArg,
        partition: int | None,
        timestamp_ms: int | None,
        turn: bool,
    ) -> DeliveryFuture:
        producer._check_owner()
        return await produce_slowly(
            producer, topic, value, key, headers, partition, timestamp_ms, turn
        )

    return produce


async def produce_slowly(
    producer: Producer,
    topic: str,
    value: Any,
    key: Any,
    headers: HeadersArg,
    partition: int | None,
    timestamp_ms: int | None,
    turn: bool,
    *,
    send_nowait: Callable[..., DeliveryFuture] | None = None,
) -> DeliveryFuture:
    """`produce` off its fast path, the loop checked: the turn is due, the call has options,
    the topic's metadata is missing, or the buffer is full. ``send_nowait`` replaces the
    producer's (the interceptors pass the one they wrap)."""
    if partition is not None:
        # Refused at once, not after a wait for metadata or buffer space.
        check_partition(topic, partition, producer._partition_counts.get(topic))
    if turn:
        # Before the append: a produce() cancelled here has enqueued nothing.
        await give_turn()
    deadline = await _wait_for_metadata(producer, topic)
    send = producer.send_nowait if send_nowait is None else send_nowait
    while True:
        try:
            return send(
                topic, value, key, headers=headers, partition=partition, timestamp_ms=timestamp_ms
            )
        except BufferFullError:
            if deadline is None:
                deadline = time.monotonic() + producer.config.max_block_ms / 1000
            # Raises KafkaTimeoutError once max_block_ms has passed without room, as send().
            await _waits.wait_for_space(producer, deadline)


async def produce_many(
    producer: Producer,
    topic: str,
    values: Iterable[bytes | None],
    keys: Iterable[bytes | None] | None,
    partition: int | None,
    timestamp_ms: int | None,
) -> BulkDelivery:
    """`Producer.produce_many`: `send_many` chunk by chunk, waiting for room and for metadata."""
    producer._check_owner()
    await _wait_for_metadata(producer, topic)
    key_iter = None if keys is None else iter(keys)
    delivery: BulkDelivery | None = None
    for chunk, key_chunk in _chunks(topic, iter(values), key_iter):
        deadline: float | None = None
        while True:
            try:
                bulk = producer.send_many(
                    topic, chunk, key_chunk, partition=partition, timestamp_ms=timestamp_ms
                )
            except BufferFullError:
                bulk = None
            if bulk is not None:
                if delivery is None:
                    delivery = bulk
                else:
                    delivery.extend(bulk)
                if bulk.queued == len(chunk):
                    break
                chunk = chunk[bulk.queued :]
                if key_chunk is not None:
                    key_chunk = key_chunk[bulk.queued :]
                # Progress: max_block_ms counts again from here, as for each record of send().
                deadline = None
            if deadline is None:
                deadline = time.monotonic() + producer.config.max_block_ms / 1000
            await _waits.wait_for_space(producer, deadline)
        # One turn per chunk, as produce() gives one per YIELD_EVERY records.
        await give_turn()
    if delivery is None:
        delivery = BulkDelivery([], 0)
    return delivery


def _chunks(
    topic: str, values: Iterator[bytes | None], keys: Iterator[bytes | None] | None
) -> Iterator[tuple[list[bytes | None], list[bytes | None] | None]]:
    while True:
        chunk = list(islice(values, BULK_CHUNK))
        key_chunk = None if keys is None else list(islice(keys, len(chunk) or 1))
        if not chunk:
            if key_chunk:
                raise SerializationError(
                    "produce_many was given more keys than values: pass one key per value "
                    "(or keys=None); the values were queued",
                    topic=topic,
                )
            return
        if key_chunk is not None and len(key_chunk) != len(chunk):
            raise SerializationError(
                "produce_many was given fewer keys than values: pass one key per value "
                "(or keys=None); the records before this chunk were queued",
                topic=topic,
            )
        yield chunk, key_chunk


async def _wait_for_metadata(producer: Producer, topic: str) -> float | None:
    """Waits for ``topic``'s metadata if it is not known; returns the deadline it used."""
    if topic in producer._partition_counts:
        return None
    check_topic(topic)
    deadline = time.monotonic() + producer.config.max_block_ms / 1000
    await _waits.wait_for_metadata(producer, topic, deadline)
    return deadline
