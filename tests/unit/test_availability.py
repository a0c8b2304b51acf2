"""`PartitionAvailability`: which partitions the built-in partitioner may pick for unkeyed
records. The accumulator is a fake that records what it is told; the metadata is played into
a real `MetadataCache`; time is the milliseconds each call is given."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest

from ferrokafka._availability import PartitionAvailability
from ferrokafka._metadata import MetadataCache
from ferrokafka._native import (
    BrokerMetadata,
    MetadataResult,
    PartitionMetadata,
    TopicMetadata,
    TopicPartition,
)
from ferrokafka.config import ProducerConfig

TIMEOUT_MS = 1_000


class FakeAccumulator:
    def __init__(self) -> None:
        self.told: list[tuple[str, list[int]]] = []

    def set_available_partitions(self, topic: str, partitions: list[int]) -> None:
        self.told.append((topic, list(partitions)))


def _metadata(leaders: dict[str, list[int]]) -> MetadataCache:
    """Topics with one partition per entry, led by the node given (-1: no leader)."""
    cache = MetadataCache()
    result = MetadataResult(
        [BrokerMetadata(n, f"b{n}", 9092, None) for n in (1, 2, 3)],
        "c",
        1,
        [
            TopicMetadata(
                name,
                0,
                False,
                [PartitionMetadata(p, 0, leader, 0, [1], [1], []) for p, leader in enumerate(ls)],
                None,
            )
            for name, ls in leaders.items()
        ],
        0,
        0,
    )
    cache.update(result, all_topics=False)
    return cache


def _availability(
    leaders: dict[str, list[int]], **options: Any
) -> tuple[PartitionAvailability, FakeAccumulator]:
    config = ProducerConfig(bootstrap_servers="b1:9092", client_id="avail", **options)  # type: ignore[arg-type]
    acc = FakeAccumulator()
    return PartitionAvailability(config, cast(Any, acc), _metadata(leaders)), acc


def test_partitions_without_a_leader_are_left_out() -> None:
    availability, acc = _availability({"t": [1, -1, 2, -1], "u": [3]})
    availability.update()
    assert acc.told == [("t", [0, 2]), ("u", [0])]


def test_the_timeout_applies_only_to_the_built_in_adaptive_partitioner() -> None:
    assert _availability({}, partitioner_availability_timeout_ms=TIMEOUT_MS)[0].timeout_ms == 1000
    assert (
        _availability(
            {},
            partitioner_availability_timeout_ms=TIMEOUT_MS,
            partitioner_adaptive_partitioning_enable=False,
        )[0].timeout_ms
        == 0
    )
    custom = _availability(
        {}, partitioner_availability_timeout_ms=TIMEOUT_MS, partitioner=lambda *a: 0
    )[0]
    assert custom.timeout_ms == 0


def test_a_leader_ready_longer_than_the_timeout_without_a_drain_is_avoided_until_drained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    availability, acc = _availability(
        {"t": [1, 2, 1]}, partitioner_availability_timeout_ms=TIMEOUT_MS
    )
    ready = [TopicPartition("t", 0), TopicPartition("t", 1)]
    # First seen at 0: both clocks start then.
    availability.ready(0, ready)
    availability.drained(2, 500)
    availability.ready(TIMEOUT_MS, ready)
    assert acc.told == []  # ready for exactly the timeout: not slow yet
    with caplog.at_level(logging.INFO, logger="ferrokafka.metadata"):
        availability.ready(TIMEOUT_MS + 1, ready)
    # Node 1 led partitions 0 and 2 and was never drained: only partition 1 is left.
    assert acc.told == [("t", [1])]
    assert [r.getMessage() for r in caplog.records] == [
        "[Producer clientId=avail] brokers [1] made no progress for "
        "partitioner_availability_timeout_ms=1000: unkeyed records avoid their partitions"
    ]
    # Unchanged: the partitioner is not told again.
    availability.ready(TIMEOUT_MS + 2, ready)
    assert len(acc.told) == 1
    availability.drained(1, TIMEOUT_MS + 3)
    availability.ready(TIMEOUT_MS + 3, ready)
    assert acc.told[-1] == ("t", [0, 1, 2])
