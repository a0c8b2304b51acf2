"""A broker that stops answering, or stops altogether: `send` gives up after max_block_ms,
every pending record ends within delivery_timeout_ms, and `close(timeout)` keeps its word.

These tests pause and stop their broker, so they use a cluster of their own, not the session's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import pytest
from producer_helpers import BACKENDS, fill_buffer, run

from ferrokafka import (
    DeliveryFuture,
    KafkaError,
    KafkaTimeoutError,
    Producer,
    ProducerClosedError,
)
from ferrokafka.testing import KafkaCluster


@pytest.fixture(scope="module")
def lonely_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(1, workdir=tmp_path_factory.mktemp("kafka-lonely", numbered=True))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def outcomes(futures: list[DeliveryFuture]) -> list[BaseException | None]:
    errors: list[BaseException | None] = []
    for future in futures:
        try:
            await future
        except KafkaError as exc:
            errors.append(exc)
        else:
            errors.append(None)
    return errors


def test_send_gives_up_after_max_block_ms_while_the_broker_hangs(
    lonely_kafka: KafkaCluster,
) -> None:
    name = lonely_kafka.create_topic("hang-" + str(time.time_ns()), partitions=2)
    (node,) = lonely_kafka.nodes
    max_block_ms = 1_000

    async def main() -> tuple[list[bytes], float, BaseException | None]:
        async with Producer(
            bootstrap_servers=lonely_kafka.bootstrap_servers,
            buffer_memory=64 * 1024,
            batch_size=16 * 1024,
            max_block_ms=max_block_ms,
            request_timeout_ms=5_000,
            delivery_timeout_ms=60_000,
        ) as producer:
            await producer.send(name, b"before")
            node.pause()
            try:
                accepted = fill_buffer(producer, name, 1_000)
                started = time.monotonic()
                try:
                    await producer.send(name, b"blocked" + b"z" * 993)
                except KafkaTimeoutError as exc:
                    error: BaseException | None = exc
                else:
                    error = None
                waited = time.monotonic() - started
            finally:
                node.resume()
            # Everything accepted before the broker hung is still delivered once it is back.
            await producer.flush(timeout=60)
            return accepted, waited, error

    accepted, waited, error = run("asyncio", main)
    assert isinstance(error, KafkaTimeoutError), error
    assert "max_block_ms" in str(error)
    assert max_block_ms / 1000 * 0.9 <= waited < max_block_ms / 1000 + 2.0
    # Read to the end: a request written before the pause and retried after it must not
    # leave a duplicate (idempotence).
    values = sorted(r.value or b"" for r in lonely_kafka.consume(name))
    assert values == sorted([b"before", *accepted])


@pytest.mark.parametrize("backend", BACKENDS)
def test_stopped_broker_fails_every_pending_record_in_time(
    lonely_kafka: KafkaCluster, backend: str
) -> None:
    # Runs last in this module: it stops the module's broker.
    name = lonely_kafka.create_topic(f"stopped-{backend}-{time.time_ns()}", partitions=3)
    (node,) = lonely_kafka.nodes
    delivery_timeout_ms = 3_000

    async def main() -> tuple[list[BaseException | None], float, list[BaseException | None], float]:
        producer = Producer(
            bootstrap_servers=lonely_kafka.bootstrap_servers,
            linger_ms=5,
            max_block_ms=1_000,
            request_timeout_ms=1_000,
            delivery_timeout_ms=delivery_timeout_ms,
            reconnect_backoff_ms=50,
            reconnect_backoff_max_ms=200,
        )
        await producer.start()
        await producer.send(name, b"before")
        node.stop()
        started = time.monotonic()
        futures = [producer.send_nowait(name, b"p%d" % i, key=b"%d" % i) for i in range(1_000)]
        with anyio.fail_after(delivery_timeout_ms / 1000 + 5):
            errors = await outcomes(futures)
        ended = time.monotonic() - started
        # Records still queued when close() gives up fail instead of holding close() back.
        late = [producer.send_nowait(name, b"late%d" % i) for i in range(100)]
        started = time.monotonic()
        await producer.close(timeout=0.5)
        closed_in = time.monotonic() - started
        late_errors = await outcomes(late)
        return errors, ended, late_errors, closed_in

    try:
        errors, ended, late_errors, closed_in = run(backend, main)
    finally:
        if not node.is_running:
            node.start()
    assert ended < delivery_timeout_ms / 1000 + 2.0
    assert all(isinstance(e, KafkaTimeoutError) for e in errors), {repr(e) for e in errors}
    assert closed_in < 0.5 + 1.5
    assert all(isinstance(e, KafkaTimeoutError | ProducerClosedError) for e in late_errors), {
        repr(e) for e in late_errors
    }
