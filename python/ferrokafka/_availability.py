"""Which partitions the built-in partitioner may pick for unkeyed records.

A partition is available when it has a leader and, with ``partitioner_availability_timeout_ms``,
when that leader is not slow: as the Java client's ``NodeLatencyStats``, each leader has the last
time it had a batch ready and the last time a batch was drained to it, and a leader ready for
longer than the timeout without a drain (unreachable, or its in-flight window full of requests
it does not answer) is slow. The Rust partitioner is told the available partitions of each topic;
it never looks them up itself. Only with the built-in adaptive partitioner, as in Java.
"""

from __future__ import annotations

from collections.abc import Iterable

from ferrokafka import _native
from ferrokafka._error_codes import ErrorCode
from ferrokafka._logging import METADATA, client_log
from ferrokafka._metadata import MetadataCache
from ferrokafka.config import ProducerConfig


class PartitionAvailability:
    def __init__(
        self, config: ProducerConfig, accumulator: _native.Accumulator, metadata: MetadataCache
    ) -> None:
        #: 0 when the timeout does not apply: then only leaderless partitions are left out.
        self.timeout_ms = (
            config.partitioner_availability_timeout_ms
            if config.partitioner is None and config.partitioner_adaptive_partitioning_enable
            else 0
        )
        self._log = client_log(METADATA, config.client_id)
        self._acc = accumulator
        self._metadata = metadata
        # Per leader node id, monotonic ms: the last round it led a ready partition, and the
        # last drain to it.
        self._ready_ms: dict[int, int] = {}
        self._drain_ms: dict[int, int] = {}
        self._slow: frozenset[int] = frozenset()

    def update(self) -> None:
        """Tells the partitioner the available partitions of every topic (after a metadata
        update, and whenever the set of slow leaders changes)."""
        slow = self._slow
        for name, state in self._metadata.topics.items():
            if state.error_code == ErrorCode.NONE and state.partitions:
                available = (
                    [
                        p.partition
                        for p in state.partitions
                        if p.leader_id >= 0 and p.leader_id not in slow
                    ]
                    if slow
                    else list(state.available)
                )
                self._acc.set_available_partitions(name, available)

    def drained(self, node: int, now: int) -> None:
        self._drain_ms[node] = now

    def ready(self, now: int, partitions: Iterable[_native.TopicPartition]) -> None:
        """Notes the leaders of the partitions that had batches ready in this round."""
        for ready in partitions:
            leader = self._metadata.partition(ready.topic, ready.partition)
            if leader is not None and leader.leader_id >= 0:
                self._ready_ms[leader.leader_id] = now
                # A leader seen for the first time counts as just drained (Java starts both
                # clocks together).
                self._drain_ms.setdefault(leader.leader_id, now)
        slow = frozenset(
            node
            for node, ready_ms in self._ready_ms.items()
            if ready_ms - self._drain_ms.get(node, ready_ms) > self.timeout_ms
        )
        if slow != self._slow:
            if slow:
                self._log.info(
                    "brokers %s made no progress for partitioner_availability_timeout_ms=%d: "
                    "unkeyed records avoid their partitions",
                    sorted(slow),
                    self.timeout_ms,
                )
            self._slow = slow
            self.update()
