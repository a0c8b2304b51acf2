"""What the fault and chaos tests share: keyed records that carry a per-key sequence number,
and the check of what an independent consumer reads back against what the producer reported.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ferrokafka import Producer
from ferrokafka.records import DeliveryFuture
from ferrokafka.testing import BaseCluster, ConsumedRecord


def key_of(index: int) -> bytes:
    return b"key-%d" % index


def value_of(key: bytes, sequence: int) -> bytes:
    return key + b":%d" % sequence


def parse_value(value: bytes) -> tuple[bytes, int]:
    key, _, sequence = value.rpartition(b":")
    return key, int(sequence)


@dataclass
class Verdict:
    """What the log holds compared with what the producer reported."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    #: Futures not ended when the check ran (must be none).
    pending: list[bytes] = field(default_factory=list)
    in_log: int = 0
    #: Reported delivered, absent from the log.
    lost: list[bytes] = field(default_factory=list)
    #: Present more than once in the log.
    duplicated: list[bytes] = field(default_factory=list)
    #: A key's record found after one with a higher sequence number.
    reordered: list[tuple[bytes, int, int]] = field(default_factory=list)
    #: Delivered at another offset (or partition) than the one reported.
    misplaced: list[bytes] = field(default_factory=list)
    #: In the log but never sent.
    unknown: list[bytes] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (
            self.pending
            or self.lost
            or self.duplicated
            or self.reordered
            or self.misplaced
            or self.unknown
        )

    def summary(self) -> str:
        return (
            f"sent {self.sent}, delivered {self.delivered}, failed {self.failed} {self.errors}, "
            f"pending {len(self.pending)}, in log {self.in_log}; lost {len(self.lost)}, "
            f"duplicated {len(self.duplicated)}, reordered {len(self.reordered)}, "
            f"misplaced {len(self.misplaced)}, unknown {len(self.unknown)}"
        )

    def assert_clean(self, *, all_delivered: bool = True) -> None:
        details = (
            f"{self.summary()}\n lost {self.lost[:5]}\n duplicated {self.duplicated[:5]}\n "
            f"reordered {self.reordered[:5]}\n misplaced {self.misplaced[:5]}\n "
            f"pending {self.pending[:5]}"
        )
        assert self.clean, details
        if all_delivered:
            assert self.delivered == self.sent, details


def check(sent: dict[bytes, DeliveryFuture], log: Iterable[ConsumedRecord]) -> Verdict:
    """Compares the futures of the records sent (by value) with the log as read back."""
    verdict = Verdict(sent=len(sent))
    positions: dict[bytes, list[tuple[int, int]]] = defaultdict(list)
    last_sequence: dict[bytes, int] = {}
    for record in sorted(log, key=lambda r: (r.partition, r.offset)):
        value = record.value or b""
        verdict.in_log += 1
        positions[value].append((record.partition, record.offset))
        if value not in sent:
            verdict.unknown.append(value)
            continue
        key, sequence = parse_value(value)
        assert record.key == key, f"{value!r} was stored under key {record.key!r}"
        previous = last_sequence.get(key, -1)
        if sequence <= previous and len(positions[value]) == 1:
            verdict.reordered.append((key, previous, sequence))
        last_sequence[key] = max(previous, sequence)
    verdict.duplicated = [v for v, where in positions.items() if len(where) > 1]
    for value, future in sent.items():
        if not future.done():
            verdict.pending.append(value)
            continue
        error = future.exception()
        if error is not None:
            verdict.failed += 1
            name = type(error).__name__
            verdict.errors[name] = verdict.errors.get(name, 0) + 1
            continue
        verdict.delivered += 1
        where = positions.get(value)
        if not where:
            verdict.lost.append(value)
            continue
        meta = future.result()
        if (meta.partition, meta.offset) not in where:
            verdict.misplaced.append(value)
    return verdict


def read_back(cluster: BaseCluster, topic: str) -> list[ConsumedRecord]:
    """Every record of ``topic``, read to the end by an independent consumer."""
    return cluster.consume(topic, None, timeout=60)


async def send_keyed(
    producer: Producer,
    topic: str,
    sent: dict[bytes, DeliveryFuture],
    *,
    keys: int,
    rounds: int,
    first_round: int = 0,
    pause: float = 0.0,
) -> None:
    """Sends ``rounds`` records per key (sequence numbers ``first_round..``), key by key within
    a round; waits for buffer space rather than failing when it is full."""
    for sequence in range(first_round, first_round + rounds):
        for index in range(keys):
            key = key_of(index)
            value = value_of(key, sequence)
            sent[value] = await _enqueue(producer, topic, value, key)
        if pause:
            await asyncio.sleep(pause)


async def _enqueue(producer: Producer, topic: str, value: bytes, key: bytes) -> DeliveryFuture:
    from ferrokafka.errors import BufferFullError

    while True:
        try:
            return producer.send_nowait(topic, value, key=key)
        except BufferFullError:
            await asyncio.sleep(0.01)


def open_fds() -> dict[int, str]:
    """This process's file descriptors and what they point at. The directory listing's own
    descriptor is gone by the time it is looked at, and is left out."""
    out = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            out[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
    return out


def new_fds(before: dict[int, str]) -> dict[int, str]:
    """Descriptors open now that were not (or pointed elsewhere) in ``before``."""
    return {fd: target for fd, target in open_fds().items() if before.get(fd) != target}


def producer_options(bootstrap_servers: str, **overrides: Any) -> dict[str, Any]:
    """Timeouts short enough that a fault shows within seconds."""
    return {
        "bootstrap_servers": bootstrap_servers,
        "request_timeout_ms": 3000,
        "delivery_timeout_ms": 60_000,
        "max_block_ms": 20_000,
        "socket_connection_setup_timeout_ms": 2000,
        "reconnect_backoff_ms": 50,
        "reconnect_backoff_max_ms": 500,
        "retry_backoff_ms": 50,
        "retry_backoff_max_ms": 500,
        "linger_ms": 5,
        **overrides,
    }
