"""`DeliveryFuture` with asyncio's helpers and trio's: each takes it as its own kind of future.

asyncio's helpers (`wait`, `as_completed`, `gather`, `shield`, `wait_for`, `ensure_future`,
`wrap_future`) use a future's `get_loop`, `add_done_callback(fn, context=)`,
`remove_done_callback`, `cancel`, `cancelled`, `exception` and `result`, and call
``asyncio.isfuture`` first. Each gets records that are delivered and one that the broker
refuses (over the topic's ``max.message.bytes``). Cancelling a future ends the future, never
the record: what was queued is read back by the independent reader.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
import trio
from producer_helpers import by_value, options, run

from ferrokafka import (
    DeliveryFuture,
    KafkaError,
    Producer,
    RecordMetadata,
    RecordTooLargeError,
)
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

# The topic refuses batches over this; REFUSED is larger by itself, so it fails alone.
MAX_MESSAGE_BYTES = 20_000
REFUSED = b"x" * 30_000
# Long enough that a future is still pending when the test looks, short enough for a test.
LINGER_MS = 300

Scenario = Callable[[Producer, str], Awaitable[None]]


def _topic(topic: TopicFactory) -> str:
    return topic(partitions=2, config={"max.message.bytes": str(MAX_MESSAGE_BYTES)})


def _asyncio(kafka: BaseCluster, scenario: Scenario, name: str, **overrides: Any) -> None:
    async def main() -> None:
        # batch_size above the topic's limit: the refused record is sent (and refused) alone.
        async with Producer(**options(kafka, batch_size=64_000, **overrides)) as producer:
            await producer.wait_for_topic(name)
            await scenario(producer, name)

    asyncio.run(main())


def test_asyncio_sees_a_future(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = _topic(topic)

    async def scenario(producer: Producer, name: str) -> None:
        future = producer.send_nowait(name, b"isfuture")
        assert asyncio.isfuture(future)
        assert future.get_loop() is asyncio.get_running_loop()
        assert asyncio.ensure_future(future) is future
        assert asyncio.wrap_future(future) is future  # type: ignore[arg-type]
        meta = await asyncio.ensure_future(future)
        assert meta.topic == name

    _asyncio(kafka, scenario, name)
    assert [r.value for r in kafka.consume(name, 1)] == [b"isfuture"]


def test_wait(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = _topic(topic)

    async def scenario(producer: Producer, name: str) -> None:
        futures = [producer.send_nowait(name, b"wait-%d" % i) for i in range(20)]
        refused = producer.send_nowait(name, REFUSED)
        done, pending = await asyncio.wait([*futures, refused], timeout=20)
        assert not pending
        assert len(done) == 21
        assert isinstance(refused.exception(), RecordTooLargeError)
        # Futures that ended already: returned at once, with callbacks removed cleanly.
        done, pending = await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 20
        assert not pending
        first = producer.send_nowait(name, b"wait-first")
        done, _ = await asyncio.wait([first], return_when=asyncio.FIRST_EXCEPTION)
        assert done == {first}

    _asyncio(kafka, scenario, name, linger_ms=LINGER_MS)
    assert len(kafka.consume(name, 21)) == 21


def test_as_completed(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = _topic(topic)

    async def scenario(producer: Producer, name: str) -> None:
        futures = [producer.send_nowait(name, b"ac-%d" % i) for i in range(10)]
        futures.append(producer.send_nowait(name, REFUSED))
        results: list[RecordMetadata | KafkaError] = []
        for next_done in asyncio.as_completed(futures, timeout=20):
            try:
                results.append(await next_done)
            except KafkaError as error:
                results.append(error)
        assert sum(isinstance(r, RecordTooLargeError) for r in results) == 1
        assert sum(isinstance(r, RecordMetadata) for r in results) == 10
        # Again, on futures that have all ended: their callbacks come at the next turn.
        again = [await next_done for next_done in asyncio.as_completed(futures[:10])]
        delivered = [r for r in results if isinstance(r, RecordMetadata)]
        assert sorted(again) == sorted(delivered)

    _asyncio(kafka, scenario, name)
    assert len(kafka.consume(name, 10)) == 10


def test_gather(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = _topic(topic)

    async def scenario(producer: Producer, name: str) -> None:
        futures = [producer.send_nowait(name, b"gather-%d" % i) for i in range(10)]
        metas = await asyncio.gather(*futures)
        assert [m.topic for m in metas] == [name] * 10
        refused = producer.send_nowait(name, REFUSED)
        mixed = await asyncio.gather(
            producer.send_nowait(name, b"gather-ok"), refused, return_exceptions=True
        )
        assert isinstance(mixed[0], RecordMetadata)
        assert isinstance(mixed[1], RecordTooLargeError)
        with pytest.raises(RecordTooLargeError):
            await asyncio.gather(refused)
        # `send` itself is a coroutine to gather and create_task.
        sent = await asyncio.gather(*(producer.send(name, b"gather-send-%d" % i) for i in range(5)))
        assert len(sent) == 5

    _asyncio(kafka, scenario, name)
    assert len(kafka.consume(name, 16)) == 16


def test_a_cancelled_gather_cancels_the_futures_not_the_records(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = _topic(topic)
    reported: list[RecordMetadata | None] = []

    async def scenario(producer: Producer, name: str) -> None:
        futures = [
            producer.send_nowait(name, b"g-%d" % i, on_delivery=lambda m, e: reported.append(m))
            for i in range(5)
        ]
        gathering = asyncio.gather(*futures)
        await asyncio.sleep(0)
        gathering.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gathering
        assert all(f.cancelled() and f.done() for f in futures)
        with pytest.raises(asyncio.CancelledError):
            futures[0].result()
        with pytest.raises(asyncio.CancelledError):
            await futures[0]
        await producer.flush()
        # The delivery reports follow the records, not the futures.
        assert len(reported) == 5
        assert all(m is not None for m in reported)

    _asyncio(kafka, scenario, name, linger_ms=LINGER_MS)
    assert sorted(r.value for r in kafka.consume(name, 5)) == [b"g-%d" % i for i in range(5)]


def test_shield(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = _topic(topic)

    async def scenario(producer: Producer, name: str) -> None:
        future = producer.send_nowait(name, b"shielded")
        shielded = asyncio.shield(future)
        shielded.cancel()
        with pytest.raises(asyncio.CancelledError):
            await shielded
        assert not future.cancelled()
        assert (await future).topic == name
        refused = producer.send_nowait(name, REFUSED)
        with pytest.raises(RecordTooLargeError):
            await asyncio.shield(refused)

    _asyncio(kafka, scenario, name, linger_ms=LINGER_MS)
    assert [r.value for r in kafka.consume(name, 1)] == [b"shielded"]


def test_wait_for(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = _topic(topic)

    async def scenario(producer: Producer, name: str) -> None:
        late = producer.send_nowait(name, b"timed-out")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(late, timeout=0.01)
        # The wait ended, and the future with it; the record is still queued.
        assert late.cancelled()
        meta = await asyncio.wait_for(producer.send_nowait(name, b"in-time"), timeout=20)
        assert meta.topic == name
        with pytest.raises(RecordTooLargeError):
            await asyncio.wait_for(producer.send_nowait(name, REFUSED), timeout=20)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(producer.send(name, b"send-timed-out"), timeout=0.01)
        await producer.flush()

    _asyncio(kafka, scenario, name, linger_ms=LINGER_MS)
    values = sorted(r.value for r in kafka.consume(name, 3))
    assert values == [b"in-time", b"send-timed-out", b"timed-out"]


def test_callbacks(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = _topic(topic)
    where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="default")

    async def scenario(producer: Producer, name: str) -> None:
        seen: list[tuple[str, DeliveryFuture]] = []

        def note(future: DeliveryFuture) -> None:
            seen.append((where.get(), future))

        def removed(future: DeliveryFuture) -> None:
            raise AssertionError("a removed callback ran")

        future = producer.send_nowait(name, b"callbacks")
        context = contextvars.copy_context()
        context.run(where.set, "given")
        future.add_done_callback(note, context=context)
        future.add_done_callback(removed)
        future.add_done_callback(removed)
        assert future.remove_done_callback(removed) == 2
        assert future.remove_done_callback(removed) == 0
        await future
        assert seen == [("given", future)]
        # Cancelling a pending future runs its callbacks at the next turn, with it cancelled.
        cancelled = producer.send_nowait(name, b"cancelled")
        cancelled.add_done_callback(note)
        assert cancelled.cancel()
        assert not cancelled.cancel()
        assert seen == [("given", future)]
        await asyncio.sleep(0)
        assert seen[-1] == ("default", cancelled)
        assert "cancelled" in repr(cancelled)
        assert not future.cancel()
        await producer.flush()

    _asyncio(kafka, scenario, name, linger_ms=LINGER_MS)
    assert sorted(r.value for r in kafka.consume(name, 2)) == [b"callbacks", b"cancelled"]


def test_trio(kafka: BaseCluster, topic: TopicFactory) -> None:
    """trio's equivalents: a nursery of awaits, move_on_after and fail_after around one."""
    name = _topic(topic)
    results: dict[int, RecordMetadata | KafkaError] = {}

    async def wait_one(index: int, future: DeliveryFuture) -> None:
        try:
            results[index] = await future
        except KafkaError as error:
            results[index] = error

    async def main() -> None:
        async with Producer(**options(kafka, batch_size=64_000, linger_ms=LINGER_MS)) as producer:
            await producer.wait_for_topic(name)
            futures = [producer.send_nowait(name, b"trio-%d" % i) for i in range(10)]
            futures.append(producer.send_nowait(name, REFUSED))
            async with trio.open_nursery() as nursery:
                for index, future in enumerate(futures):
                    nursery.start_soon(wait_one, index, future)
            with pytest.raises(RuntimeError, match="trio"):
                futures[0].get_loop()
            moved_on = producer.send_nowait(name, b"trio-moved-on")
            with trio.move_on_after(0.01) as scope:
                await moved_on
            assert scope.cancelled_caught
            # The wait was cancelled, not the future, nor its record.
            assert not moved_on.cancelled()
            with pytest.raises(trio.TooSlowError):
                with trio.fail_after(0.01):
                    await producer.send(name, b"trio-too-slow")
            assert (await moved_on).topic == name
            await producer.flush()

    trio.run(main)
    assert sum(isinstance(r, RecordMetadata) for r in results.values()) == 10
    assert isinstance(results[10], RecordTooLargeError)
    records = by_value(kafka.consume(name, 12))
    assert b"trio-moved-on" in records
    assert b"trio-too-slow" in records


def test_awaiting_from_another_loop_is_refused(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    errors: list[BaseException] = []

    async def main() -> None:
        async with Producer(**options(kafka, linger_ms=LINGER_MS)) as producer:
            future = producer.send_nowait(name, b"other-loop")

            def elsewhere() -> None:
                try:
                    asyncio.run(_await(future))
                except BaseException as exc:
                    errors.append(exc)

            await anyio.to_thread.run_sync(elsewhere)
            await future

    asyncio.run(main())
    (error,) = errors
    assert "awaited from another one" in str(error)
    assert [r.value for r in kafka.consume(name, 1)] == [b"other-loop"]


async def _await(future: DeliveryFuture) -> RecordMetadata:
    return await future


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_refused_record_fails_its_future(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    name = _topic(topic)

    async def main() -> None:
        async with Producer(**options(kafka, batch_size=64_000)) as producer:
            await producer.wait_for_topic(name)
            refused = producer.send_nowait(name, REFUSED)
            with pytest.raises(RecordTooLargeError):
                await refused
            assert refused.done()
            assert not refused.cancelled()
            assert isinstance(refused.exception(), RecordTooLargeError)
            with pytest.raises(RecordTooLargeError):
                refused.result()
            with pytest.raises(RecordTooLargeError):
                await producer.send(name, os.urandom(30_000))

    run(backend, main)
