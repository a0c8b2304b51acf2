"""Helpers shared by the producer's end-to-end tests.

pytest-asyncio runs every `async def` test on asyncio (auto mode), so a test meant for both
asyncio and trio is a plain function taking the `backend` fixture and running its coroutine
with `run(backend, main)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from ferrokafka import BufferFullError, Producer
from ferrokafka.testing import BaseCluster, ConsumedRecord

T = TypeVar("T")

BACKENDS = ["asyncio", "trio"]


def run(backend: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    return anyio.run(fn, *args, backend=backend)


def by_value(records: list[ConsumedRecord]) -> dict[bytes | None, ConsumedRecord]:
    """The consumed records keyed by value; the values of a test are unique."""
    seen: dict[bytes | None, ConsumedRecord] = {}
    for record in records:
        assert record.value not in seen, f"duplicate record {record}"
        seen[record.value] = record
    return seen


def fill_buffer(producer: Producer, topic: str, size: int) -> list[bytes]:
    """Queues records of `size` bytes with send_nowait, without awaiting (so the sender frees
    nothing), until the buffer is full; returns the values it took."""
    accepted: list[bytes] = []
    while True:
        value = b"%06d" % len(accepted) + b"." * (size - 6)
        try:
            producer.send_nowait(topic, value)
        except BufferFullError:
            return accepted
        accepted.append(value)


def options(kafka: BaseCluster, **overrides: Any) -> dict[str, Any]:
    """Options for a test producer: the cluster, and timeouts that keep failures short."""
    return {
        "bootstrap_servers": kafka.bootstrap_servers,
        "max_block_ms": 20_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        **overrides,
    }
