"""Records held by `send_nowait` while their topic's metadata is unknown, meeting a full
``buffer_memory`` and a short `close(timeout)`, on a real broker.

Held records count against ``buffer_memory`` like queued ones: the record that does not fit is
refused at once (`BufferFullError`), and every record that was taken ends, delivered once the
metadata arrives, or failed with `ProducerClosedError` by a `close(timeout)` that returns in
time. Nothing is left pending.
"""

from __future__ import annotations

import time
import uuid

import anyio
import pytest
from producer_helpers import options, run

from ferrokafka import BufferFullError, Producer
from ferrokafka.errors import ProducerClosedError
from ferrokafka.records import DeliveryFuture
from ferrokafka.testing import BaseCluster, KafkaCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

BUFFER_MEMORY = 64 * 1024
VALUE_SIZE = 1000
# At most this many sends: far more than the buffer can take, so the loop must meet it full.
MAX_SENDS = 10 * BUFFER_MEMORY // VALUE_SIZE
CLOSE_TIMEOUT_S = 0.5
# close() may overrun its timeout by this much (failing records, closing sockets).
OVERRUN_S = 1.0


def hold_until_full(producer: Producer, topic: str) -> tuple[list[bytes], list[DeliveryFuture]]:
    """send_nowait until the buffer refuses a record; the topic's metadata is not known yet,
    so every record taken is held. Returns the values taken and their futures."""
    values: list[bytes] = []
    futures: list[DeliveryFuture] = []
    refused: BufferFullError | None = None
    for i in range(MAX_SENDS):
        value = b"%06d" % i + b"." * (VALUE_SIZE - 6)
        try:
            future = producer.send_nowait(topic, value)
        except BufferFullError as exc:
            refused = exc
            break
        values.append(value)
        futures.append(future)
    assert refused is not None, f"buffer_memory={BUFFER_MEMORY} took {MAX_SENDS} held records"
    assert "buffer_memory" in str(refused)
    assert "waiting for its metadata" in str(refused)
    return values, futures


def test_held_records_fill_the_buffer_then_are_all_delivered(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    name = topic()

    async def main() -> tuple[list[bytes], list[tuple[int, int]]]:
        async with Producer(
            **options(kafka, buffer_memory=BUFFER_MEMORY, batch_size=16 * 1024, linger_ms=5)
        ) as producer:
            values, futures = hold_until_full(producer, name)
            assert len(values) >= BUFFER_MEMORY // (2 * VALUE_SIZE)
            assert not any(f.done() for f in futures), "a held record ended before metadata"
            with anyio.fail_after(30):
                metas = [await f for f in futures]
        return values, [(m.partition, m.offset) for m in metas]

    values, positions = run(backend, main)
    assert positions == [(0, offset) for offset in range(len(values))]
    assert [r.value for r in kafka.consume(name, len(values))] == values


@pytest.mark.parametrize("fill", [False, True], ids=["some", "full-buffer"])
def test_short_close_ends_held_records_in_time(
    kafka_no_autocreate: KafkaCluster, backend: str, fill: bool
) -> None:
    # The topic does not exist (and is not created), so its metadata never comes: only close()
    # can end the held records before max_block_ms.
    name = f"never-created-{uuid.uuid4().hex[:8]}"

    async def main() -> tuple[float, list[BaseException | None], int]:
        producer = Producer(
            **options(kafka_no_autocreate, buffer_memory=BUFFER_MEMORY, max_block_ms=30_000)
        )
        await producer.start()
        if fill:
            _, futures = hold_until_full(producer, name)
        else:
            futures = [producer.send_nowait(name, b"held-%d" % i) for i in range(20)]
        await anyio.sleep(0.2)
        assert not any(f.done() for f in futures)
        started = time.monotonic()
        await producer.close(timeout=CLOSE_TIMEOUT_S)
        elapsed = time.monotonic() - started
        pending = sum(not f.done() for f in futures)
        errors = [f.exception() if f.done() else None for f in futures]
        return elapsed, errors, pending

    elapsed, errors, pending = run(backend, main)
    assert pending == 0, f"{pending} held records still pending after close()"
    assert elapsed <= CLOSE_TIMEOUT_S + OVERRUN_S, f"close() took {elapsed:.2f} s"
    assert errors
    for error in errors:
        assert isinstance(error, ProducerClosedError), repr(error)
        assert "metadata" in str(error), error
    assert name not in kafka_no_autocreate.describe_topics()
