"""What the producer's calls wait for: a topic's metadata, room in ``buffer_memory``, and (for
`Producer.flush`) the end of every batch. Functions of the producer: each wait is bounded (by
``max_block_ms``, or the caller's timeout) and wakes on an event, never by polling.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio

from ferrokafka import _held_records
from ferrokafka._record_args import check_topic
from ferrokafka.errors import KafkaTimeoutError

if TYPE_CHECKING:
    from ferrokafka.producer import Producer


async def wait_for_topic(producer: Producer, topic: str, timeout: float | None) -> int:
    """`Producer.wait_for_topic`: the partition count, once ``topic``'s metadata is known."""
    producer._check_owner()
    check_topic(topic)
    config = producer._config
    limit = config.max_block_ms / 1000 if timeout is None else timeout
    # The message names the limit the caller set: the argument, or else the option.
    waited = f"max_block_ms={config.max_block_ms}" if timeout is None else f"timeout={timeout:g} s"
    await wait_for_metadata(producer, topic, time.monotonic() + limit, waited)
    return producer._partition_counts[topic]


async def wait_for_metadata(
    producer: Producer, topic: str, deadline: float, waited: str = ""
) -> None:
    producer._pool.want_topic(topic)
    while topic not in producer._partition_counts:
        producer._check_started()
        refused = _held_records.refused_topic(producer, topic)
        if refused is not None:
            raise refused
        if producer._metadata_arrived is None:
            producer._metadata_arrived = anyio.Event()
        arrived = producer._metadata_arrived
        # Asked again after every metadata update that still lacks the topic; the pool's
        # backoff paces the requests, and a failed refresh is retried by the sender. No
        # polling: thousands of awaiting tasks would wake the loop thousands of times a
        # second for nothing.
        producer._sender.request_metadata()
        with anyio.move_on_after(max(deadline - time.monotonic(), 0)):
            await arrived.wait()
        if time.monotonic() >= deadline and topic not in producer._partition_counts:
            waited = waited or f"max_block_ms={producer._config.max_block_ms}"
            raise _held_records.no_metadata_error(topic, waited, producer._pool)


async def wait_for_space(producer: Producer, deadline: float) -> None:
    started = time.monotonic_ns()
    if producer._space_freed is None:
        producer._space_freed = anyio.Event()
    freed = producer._space_freed
    producer._accumulator.begin_flush()  # waiting appenders make everything sendable (Java)
    producer._sender.wake()
    try:
        with anyio.move_on_after(deadline - time.monotonic()):
            await freed.wait()
    finally:
        producer._accumulator.end_flush()
        producer._metrics.buffer_waited(time.monotonic_ns() - started)
    if not freed.is_set():
        raise KafkaTimeoutError(
            f"no buffer space freed within max_block_ms={producer._config.max_block_ms}: "
            "the brokers are not keeping up or are unreachable; raise buffer_memory or "
            "max_block_ms, or slow down"
        )


def memory_freed(producer: Producer) -> None:
    """The sender's ``on_memory_freed``: wakes the sends waiting for buffer space."""
    if producer._space_freed is not None:
        producer._space_freed.set()
        producer._space_freed = None


async def flush(producer: Producer, timeout: float | None) -> None:
    """`Producer.flush` on a started (or closing) producer."""
    producer._accumulator.begin_flush()
    producer._sender.wake()
    try:
        with anyio.fail_after(timeout):
            # Held records join batches once their topic's metadata arrives (or fail
            # after max_block_ms); then every batch that exists now is waited for.
            while producer._held:
                await next(iter(producer._held.values())).placeholder.wait()
            for pending in producer._inflight:
                await pending.wait()
    except TimeoutError:
        raise KafkaTimeoutError(
            f"flush() did not finish within {timeout} s; records are still being sent"
        ) from None
    finally:
        producer._accumulator.end_flush()
