"""What the client knows of the cluster: brokers by node id, and for each topic its
partitions (leader, leader epoch, replicas, ISR) or the error the broker reported for it.

The sender routes a partition's batches to its leader from here, and refreshes the cache when
a broker says the leader moved. Partition metadata carrying an older leader epoch than the
cached one is ignored (as the Java client's ``Metadata.updateLatestMetadata`` does): brokers
catch up with the controller at different speeds, and a lagging one must not undo a newer view.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from ferrokafka._connection import BrokerConnection
from ferrokafka._native import BrokerMetadata, MetadataResult, PartitionMetadata
from ferrokafka._requests import ApiKey, metadata_request

NO_LEADER = -1


@dataclass(frozen=True, slots=True)
class TopicState:
    name: str
    #: The broker's error for the whole topic, 0 if none (3: unknown topic; 5: leader not
    #: available yet, e.g. right after creation; 29: not authorized).
    error_code: int
    is_internal: bool
    #: Sorted by partition index.
    partitions: tuple[PartitionMetadata, ...]
    topic_id: bytes | None = None
    #: Partitions that have a leader, which the partitioner may pick for unkeyed records.
    available: tuple[int, ...] = field(default=(), compare=False)


def _topic_state(
    name: str,
    error_code: int,
    is_internal: bool,
    partitions: Iterable[PartitionMetadata],
    topic_id: bytes | None,
) -> TopicState:
    ordered = tuple(sorted(partitions, key=lambda p: p.partition))
    available = tuple(p.partition for p in ordered if p.leader_id != NO_LEADER)
    return TopicState(name, error_code, is_internal, ordered, topic_id, available)


class MetadataCache:
    """The latest metadata, merged from successive Metadata responses."""

    def __init__(self) -> None:
        self.cluster_id: str | None = None
        self.controller_id: int = -1
        self._brokers: dict[int, BrokerMetadata] = {}
        self._topics: dict[str, TopicState] = {}
        #: `time.monotonic()` of the last full or partial update, ``None`` before the first.
        self.updated_at: float | None = None

    # --- reading -------------------------------------------------------------------------

    @property
    def brokers(self) -> Mapping[int, BrokerMetadata]:
        return self._brokers

    @property
    def topics(self) -> Mapping[str, TopicState]:
        return self._topics

    def broker(self, node_id: int) -> BrokerMetadata | None:
        return self._brokers.get(node_id)

    def topic(self, name: str) -> TopicState | None:
        return self._topics.get(name)

    def partition(self, topic: str, partition: int) -> PartitionMetadata | None:
        state = self._topics.get(topic)
        if state is None:
            return None
        parts = state.partitions
        # Partition ids are dense from 0 in practice: try the direct index first.
        if partition < len(parts) and parts[partition].partition == partition:
            return parts[partition]
        return next((p for p in parts if p.partition == partition), None)

    def leader(self, topic: str, partition: int) -> BrokerMetadata | None:
        """The broker to send ``topic``/``partition`` batches to, if known and alive."""
        meta = self.partition(topic, partition)
        if meta is None or meta.leader_id == NO_LEADER:
            return None
        return self._brokers.get(meta.leader_id)

    # --- updating ------------------------------------------------------------------------

    async def refresh(
        self,
        conn: BrokerConnection,
        topics: Collection[str] | None = None,
        *,
        allow_auto_topic_creation: bool = False,
    ) -> MetadataResult:
        """Fetches metadata for ``topics`` (all topics if ``None``) over ``conn`` and merges it."""
        version = conn.api_version(ApiKey.METADATA)
        request = metadata_request(
            version,
            None if topics is None else sorted(topics),
            allow_auto_topic_creation=allow_auto_topic_creation,
        )
        result = await conn.request(request)
        self.update(result, all_topics=topics is None)
        return result

    def update(self, result: MetadataResult, *, all_topics: bool) -> None:
        """Merges a Metadata response. With ``all_topics`` the response is the whole topic list,
        so topics missing from it were deleted; otherwise only the topics it names change."""
        self.cluster_id = result.cluster_id
        self.controller_id = result.controller_id
        self._brokers = {b.node_id: b for b in result.brokers}
        topics = {} if all_topics else dict(self._topics)
        for topic in result.topics:
            partitions = topic.partitions
            if topic.name in self._topics:
                partitions = [
                    _newer(self.partition(topic.name, p.partition), p) for p in partitions
                ]
            topics[topic.name] = _topic_state(
                topic.name, topic.error_code, topic.is_internal, partitions, topic.topic_id
            )
        self._topics = topics
        self.updated_at = time.monotonic()

    def apply_leader_hint(
        self,
        topic: str,
        partition: int,
        leader_id: int,
        leader_epoch: int,
        endpoints: Iterable[BrokerMetadata] = (),
    ) -> bool:
        """Applies a new-leader hint from a Produce response (KIP-951) if its epoch is newer;
        returns whether the cache changed. The leader's endpoint, if sent, is added as well."""
        state = self._topics.get(topic)
        current = self.partition(topic, partition)
        if state is None or current is None or leader_id < 0:
            return False
        if current.leader_epoch >= 0 and leader_epoch <= current.leader_epoch:
            return False
        for endpoint in endpoints:
            if endpoint.node_id == leader_id:
                self._brokers[leader_id] = endpoint
        if leader_id not in self._brokers:
            return False
        moved = PartitionMetadata(
            current.partition,
            current.error_code,
            leader_id,
            leader_epoch,
            current.replicas,
            current.isr,
            current.offline_replicas,
        )
        partitions = [moved if p.partition == partition else p for p in state.partitions]
        self._topics[topic] = _topic_state(
            topic, state.error_code, state.is_internal, partitions, state.topic_id
        )
        return True

    def forget(self, topics: Iterable[str]) -> None:
        """Drops topics the client no longer produces to."""
        for name in topics:
            self._topics.pop(name, None)


def _newer(old: PartitionMetadata | None, new: PartitionMetadata) -> PartitionMetadata:
    if old is not None and new.leader_epoch >= 0 and old.leader_epoch > new.leader_epoch:
        return old
    return new
