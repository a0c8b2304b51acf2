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

from ferrokafka import IllegalStateError, Producer
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
