"""A producer belongs to the event loop that started it: from anywhere else, a clear error.

Each case is what a new user tries: the producer made in one ``asyncio.run`` and used in a
second one (the sender died with the first loop: the record would wait forever), awaited from a
loop in another thread (the future would be resolved on the wrong loop: the ``await`` would
never return), ``send_nowait`` from a plain thread (the append would race the sender). And the
rule for cancellation: a cancelled ``await send()`` still delivers its record.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from producer_helpers import options, run

from ferrokafka import IllegalStateError, Producer, RecordMetadata, _native
from ferrokafka.errors import InvalidRecordError
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

# The error names the producer's loop and the way out.
LOOP_ERROR = r"belongs to the event loop it was started on \(.+\).*ferrokafka\.sync\.Producer"


def _in_thread(fn: Callable[[], Any]) -> BaseException | None:
    """Runs ``fn`` in a new thread (bounded); returns what it raised."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the call from another thread did not return"
    return raised[0] if raised else None


def test_a_second_run_is_refused(kafka: BaseCluster, topic: TopicFactory, backend: str) -> None:
    """Started in one ``asyncio.run`` (or ``trio.run``), used in the next one."""
    name = topic()
    producer = Producer(**options(kafka))

    async def first() -> None:
        await producer.start()
        await producer.send(name, b"in the first run")

    async def second() -> None:
        with anyio.fail_after(10), pytest.raises(IllegalStateError, match=LOOP_ERROR):
            await producer.send(name, b"in the second run")
        with pytest.raises(IllegalStateError, match=LOOP_ERROR):
            await producer.produce(name, b"v")
        with pytest.raises(IllegalStateError, match=LOOP_ERROR):
            await producer.produce_many(name, [b"v"])
        # The native send_nowait stepped aside when the first run ended: every record is checked.
        with pytest.raises(IllegalStateError, match=LOOP_ERROR):
            producer.send_nowait(name, b"v")
        with pytest.raises(IllegalStateError, match=LOOP_ERROR):
            producer.send_nowait(name, b"v", headers=[("h", b"")])
        with pytest.raises(IllegalStateError, match=LOOP_ERROR):
            await producer.flush()
        with pytest.raises(IllegalStateError, match=LOOP_ERROR):
            await producer.close()

    run(backend, first)
    run(backend, second)
    assert [r.value for r in kafka.consume(name, 1)] == [b"in the first run"]


def test_the_error_says_the_loop_is_closed(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    producer = Producer(**options(kafka))
    asyncio.run(producer.start())

    async def second() -> None:
        await producer.send(name, b"v")

    with pytest.raises(
        IllegalStateError, match=r"_UnixSelectorEventLoop 0x[0-9a-f]+ in thread \d+, closed"
    ):
        asyncio.run(second())


def test_awaiting_from_a_loop_in_another_thread_is_refused(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    name = topic()

    async def main() -> None:
        async with Producer(**options(kafka)) as producer:
            await producer.send(name, b"owner")
            raised = _in_thread(lambda: asyncio.run(producer.send(name, b"from a thread")))
            assert isinstance(raised, IllegalStateError)
            assert "from another event loop" in str(raised)
            raised = _in_thread(lambda: asyncio.run(producer.produce(name, b"from a thread")))
            assert isinstance(raised, IllegalStateError)
            # Still usable from its own loop.
            await producer.send(name, b"after")

    run(backend, main)
    assert [r.value for r in kafka.consume(name, 2)] == [b"owner", b"after"]


def test_send_nowait_from_a_plain_thread_is_refused(
    kafka: BaseCluster, topic: TopicFactory, backend: str
) -> None:
    name = topic()

    async def main() -> None:
        async with Producer(**options(kafka, linger_ms=0)) as producer:
            # Delivered: no batch of the topic is open, so the next record opens one.
            await producer.send(name, b"owner")
            raised = _in_thread(lambda: producer.send_nowait(name, b"plain"))
            assert isinstance(raised, IllegalStateError), raised
            assert "where no event loop runs" in str(raised)
            # The Python path (headers, serializers) checks every record.
            raised = _in_thread(lambda: producer.send_nowait(name, b"h", headers={"h": b""}))
            assert isinstance(raised, IllegalStateError), raised
            raised = _in_thread(lambda: producer.send_many(name, [b"many"]))
            assert isinstance(raised, IllegalStateError), raised

    run(backend, main)


def test_a_cancelled_send_still_delivers_its_record(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """Cancelling ``await send()`` stops the wait, not the record: it was queued before the
    await, and is delivered (as a cancelled wait on any future leaves its work running)."""
    name = topic()

    async def main() -> None:
        async with Producer(**options(kafka, linger_ms=500)) as producer:
            await producer.wait_for_topic(name)
            task = asyncio.create_task(producer.send(name, b"cancelled"))
            await asyncio.sleep(0.05)  # queued, and held by linger for 500 ms
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await producer.flush()

    asyncio.run(main())
    assert [r.value for r in kafka.consume(name, 1)] == [b"cancelled"]


async def _send_from_tasks(
    producer: Producer, name: str, count: int
) -> list[asyncio.Task[RecordMetadata]]:
    """``count`` tasks, each awaiting ``send`` of one record, all waiting on one open batch
    (linger keeps it open); returns once every task waits."""
    tasks = [asyncio.create_task(producer.send(name, b"%02d" % i)) for i in range(count)]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in tasks)
    # Each task waits on a waiter of its own, not on a shared or per-record asyncio future.
    waiters = [task._fut_waiter for task in tasks]  # type: ignore[attr-defined]
    assert all(isinstance(waiter, _native.TaskWaiter) for waiter in waiters)
    assert len({id(waiter) for waiter in waiters}) == count
    return tasks


def test_tasks_awaiting_one_batch_all_get_their_metadata(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """50 tasks awaiting ``send`` on one batch are resumed together, each with its own
    record's metadata: consecutive offsets in the order the records were appended."""
    name = topic()

    async def main() -> list[RecordMetadata]:
        async with Producer(**options(kafka, linger_ms=500)) as producer:
            await producer.wait_for_topic(name)
            tasks = await _send_from_tasks(producer, name, 50)
            return await asyncio.gather(*tasks)

    results = asyncio.run(main())
    first = results[0].offset
    assert [r.offset for r in results] == list(range(first, first + 50))
    assert {(r.topic, r.partition, r.serialized_value_size) for r in results} == {(name, 0, 2)}
    consumed = {r.value: r.offset for r in kafka.consume(name, 50)}
    assert consumed == {b"%02d" % i: first + i for i in range(50)}


def test_cancelling_one_of_the_tasks_awaiting_a_batch(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """One cancelled task of 50 waiting on one batch: it raises CancelledError, the 49 others
    get their metadata, and all 50 records are delivered (the documented rule)."""
    name = topic()

    async def main() -> list[RecordMetadata | BaseException]:
        async with Producer(**options(kafka, linger_ms=500)) as producer:
            await producer.wait_for_topic(name)
            tasks = await _send_from_tasks(producer, name, 50)
            cancelled = tasks.pop(7)
            cancelled.cancel("stop waiting")
            with pytest.raises(asyncio.CancelledError, match="stop waiting"):
                await cancelled
            assert not any(task.done() for task in tasks)
            return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert len(results) == 49
    assert all(isinstance(r, RecordMetadata) for r in results), results
    assert sorted(r.value for r in kafka.consume(name, 50)) == [b"%02d" % i for i in range(50)]


def test_callbacks_added_to_a_tasks_waiter_run_in_order_and_can_be_removed(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """Callbacks that other code adds to a waiting task's waiter (``task._fut_waiter``) run
    after the task's own wake-up, in the order added, each given the waiter; one removed does
    not run; the tasks still get their metadata."""
    name = topic()
    calls: list[tuple[str, object]] = []

    def first(waiter: object) -> None:
        calls.append(("first", waiter))

    def removed(waiter: object) -> None:
        calls.append(("removed", waiter))

    def last(waiter: object) -> None:
        calls.append(("last", waiter))

    async def main() -> tuple[list[RecordMetadata], object]:
        async with Producer(**options(kafka, linger_ms=500)) as producer:
            await producer.wait_for_topic(name)
            tasks = await _send_from_tasks(producer, name, 3)
            waiter = tasks[1]._fut_waiter  # type: ignore[attr-defined]
            for callback in (first, removed, last):
                waiter.add_done_callback(callback)
            assert waiter.remove_done_callback(removed) == 1
            assert waiter.remove_done_callback(removed) == 0
            results = await asyncio.gather(*tasks)
            await asyncio.sleep(0)
            return results, waiter

    results, waiter = asyncio.run(main())
    assert [r.serialized_value_size for r in results] == [2, 2, 2]
    assert calls == [("first", waiter), ("last", waiter)]


def test_a_tasks_waiter_speaks_the_future_protocol(kafka: BaseCluster, topic: TopicFactory) -> None:
    """What asyncio and other code see of a waiting task's waiter: a future of the task's loop
    (``asyncio.isfuture``), blocking cleared by the task, not done, ``result()`` refused while
    waiting, bad arguments refused with Python's errors; done once its task resumes."""
    name = topic()

    async def main() -> None:
        async with Producer(**options(kafka, linger_ms=500)) as producer:
            await producer.wait_for_topic(name)
            [task] = await _send_from_tasks(producer, name, 1)
            waiter = task._fut_waiter  # type: ignore[attr-defined]
            assert asyncio.isfuture(waiter)
            assert waiter.get_loop() is asyncio.get_running_loop()
            assert waiter._asyncio_future_blocking is False
            assert not waiter.done()
            assert not waiter.cancelled()
            with pytest.raises(asyncio.InvalidStateError):
                waiter.result()
            with pytest.raises(TypeError, match="unexpected keyword argument 'when'"):
                waiter.add_done_callback(print, when=1)
            with pytest.raises(TypeError, match="one positional argument"):
                waiter.add_done_callback()
            with pytest.raises(TypeError, match="must be bool"):
                waiter._asyncio_future_blocking = 1
            metadata = await task
            assert metadata.topic == name
            assert waiter.done()
            assert not waiter.cancelled()
            assert waiter.result() is None
            assert waiter.exception() is None
            assert waiter.cancel() is False
            late: list[object] = []
            waiter.add_done_callback(late.append)
            await asyncio.sleep(0)
            assert late == [waiter]

    asyncio.run(main())


def test_a_failed_batch_raises_in_every_task_awaiting_it(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    """A batch the broker refuses (records without a key on a compacted topic) raises the
    broker's error in each of the 50 tasks awaiting it."""
    name = topic(config={"cleanup.policy": "compact"})

    async def main() -> list[RecordMetadata | BaseException]:
        async with Producer(**options(kafka, linger_ms=500)) as producer:
            await producer.wait_for_topic(name)
            tasks = await _send_from_tasks(producer, name, 50)
            return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, InvalidRecordError) for r in results), results
    assert len({id(r) for r in results}) == 1
