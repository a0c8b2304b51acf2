"""Type stubs for the Rust extension module (rust/src/bindings/)."""

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from typing import Any, ClassVar, TypedDict, final, type_check_only

from ferrokafka._pending import PendingBatch
from ferrokafka.records import RecordMetadata

__all__ = [
    "RECORD_BATCH_OVERHEAD",
    "Accumulator",
    "ApiVersionsResult",
    "Awaiting",
    "BatchEvent",
    "BatchRecord",
    "BatchRun",
    "BrokerMetadata",
    "CoordinatorResult",
    "DeliveryFuture",
    "FailedBatch",
    "FindCoordinatorResult",
    "InitProducerIdResult",
    "LeaderHint",
    "MetadataResult",
    "PartitionMetadata",
    "PartitionProduceResult",
    "ProduceBatch",
    "ProduceResult",
    "ReadyCheck",
    "RecordError",
    "SaslAuthenticateResult",
    "SaslHandshakeResult",
    "SendCall",
    "SendFastPath",
    "TaskWaiter",
    "TopicMetadata",
    "TopicPartition",
    "TxnCoordinatorResult",
    "TxnOffset",
    "TxnPartitionError",
    "TxnPartitionsResult",
    "TxnTopicPartitions",
    "VersionRange",
    "__version__",
    "check_headers",
    "check_partition",
    "compress",
    "crc32c",
    "decode_add_offsets_to_txn_response",
    "decode_add_partitions_to_txn_response",
    "decode_api_versions_response",
    "decode_batches",
    "decode_end_txn_response",
    "decode_find_coordinator_response",
    "decode_init_producer_id_response",
    "decode_metadata_response",
    "decode_produce_response",
    "decode_sasl_authenticate_response",
    "decode_sasl_handshake_response",
    "decode_txn_offset_commit_response",
    "decompress",
    "encode_add_offsets_to_txn_request",
    "encode_add_partitions_to_txn_request",
    "encode_api_versions_request",
    "encode_batch",
    "encode_end_txn_request",
    "encode_find_coordinator_request",
    "encode_init_producer_id_request",
    "encode_metadata_request",
    "encode_produce_request",
    "encode_sasl_authenticate_request",
    "encode_sasl_handshake_request",
    "encode_txn_offset_commit_request",
    "murmur2",
    "partition_for_key",
    "supported_versions",
    "wake_waiters",
]

__version__: str

# --- protocol (rust/src/bindings/protocol.rs, responses.rs) --------------------------------
# Kafka wire codec. Encoders return a whole frame, size prefix included; decoders take a
# frame without the size prefix (it starts at the correlation id) and return the frozen result
# classes below. A response that does not decode raises ferrokafka.errors.ProtocolError, whose
# message names the API and version; a request that cannot be encoded raises ValueError.
# Result classes take their fields in the order shown, compare and hash by value.

def supported_versions() -> dict[int, VersionRange]: ...
def encode_api_versions_request(
    correlation_id: int, client_id: str | None, version: int
) -> bytes: ...
def decode_api_versions_response(frame: bytes, version: int) -> ApiVersionsResult: ...
def encode_metadata_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    topics: list[str] | None,
    allow_auto_topic_creation: bool,
) -> bytes: ...
def decode_metadata_response(frame: bytes, version: int) -> MetadataResult: ...
def encode_init_producer_id_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    transactional_id: str | None,
    transaction_timeout_ms: int,
    producer_id: int = -1,
    producer_epoch: int = -1,
) -> bytes: ...
def decode_init_producer_id_response(frame: bytes, version: int) -> InitProducerIdResult: ...
def encode_produce_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    acks: int,
    timeout_ms: int,
    transactional_id: str | None,
    batches: Sequence[ProduceBatch],
) -> bytes: ...
def decode_produce_response(frame: bytes, version: int) -> ProduceResult: ...
def encode_find_coordinator_request(
    correlation_id: int, client_id: str | None, version: int, key_type: int, keys: list[str]
) -> bytes: ...
def decode_find_coordinator_response(frame: bytes, version: int) -> FindCoordinatorResult: ...
def encode_sasl_handshake_request(
    correlation_id: int, client_id: str | None, version: int, mechanism: str
) -> bytes: ...
def decode_sasl_handshake_response(frame: bytes, version: int) -> SaslHandshakeResult: ...
def encode_sasl_authenticate_request(
    correlation_id: int, client_id: str | None, version: int, auth_bytes: bytes
) -> bytes: ...
def decode_sasl_authenticate_response(frame: bytes, version: int) -> SaslAuthenticateResult: ...

@final
class ProduceBatch:
    """One partition's record batch in a Produce request (`encode_produce_request`)."""

    def __new__(cls, topic: str, partition: int, records: bytes) -> ProduceBatch: ...
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def records(self) -> bytes:
        """An encoded record batch (`encode_batch`); read in place, not copied."""

@final
class VersionRange:
    """The versions of one API a broker or this codec speaks, or the levels of one finalized
    feature: both ends included."""

    def __new__(cls, min_version: int, max_version: int) -> VersionRange: ...
    @property
    def min_version(self) -> int: ...
    @property
    def max_version(self) -> int: ...

@final
class ApiVersionsResult:
    def __new__(
        cls,
        error_code: int,
        api_versions: Mapping[int, VersionRange],
        throttle_time_ms: int,
        finalized_features: Mapping[str, VersionRange],
    ) -> ApiVersionsResult: ...
    @property
    def error_code(self) -> int: ...
    @property
    def api_versions(self) -> dict[int, VersionRange]:
        """``{api_key: VersionRange}`` the broker supports."""
    @property
    def throttle_time_ms(self) -> int: ...
    @property
    def finalized_features(self) -> dict[str, VersionRange]:
        """Cluster-wide finalized feature levels (v3+), e.g. ``transaction.version``."""

@final
class BrokerMetadata:
    def __new__(cls, node_id: int, host: str, port: int, rack: str | None) -> BrokerMetadata: ...
    @property
    def node_id(self) -> int: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def rack(self) -> str | None: ...

@final
class PartitionMetadata:
    def __new__(
        cls,
        partition: int,
        error_code: int,
        leader_id: int,
        leader_epoch: int,
        replicas: Sequence[int],
        isr: Sequence[int],
        offline_replicas: Sequence[int],
    ) -> PartitionMetadata: ...
    @property
    def partition(self) -> int: ...
    @property
    def error_code(self) -> int: ...
    @property
    def leader_id(self) -> int:
        """-1 while the partition has no leader."""
    @property
    def leader_epoch(self) -> int:
        """-1 when the broker does not send epochs (Metadata < v7)."""
    @property
    def replicas(self) -> list[int]: ...
    @property
    def isr(self) -> list[int]: ...
    @property
    def offline_replicas(self) -> list[int]: ...

@final
class TopicMetadata:
    def __new__(
        cls,
        name: str,
        error_code: int,
        is_internal: bool,
        partitions: Sequence[PartitionMetadata],
        topic_id: bytes | None,
    ) -> TopicMetadata: ...
    @property
    def name(self) -> str: ...
    @property
    def error_code(self) -> int: ...
    @property
    def is_internal(self) -> bool: ...
    @property
    def partitions(self) -> list[PartitionMetadata]: ...
    @property
    def topic_id(self) -> bytes | None:
        """16 bytes from Metadata v10 on, else ``None``."""

@final
class MetadataResult:
    def __new__(
        cls,
        brokers: Sequence[BrokerMetadata],
        cluster_id: str | None,
        controller_id: int,
        topics: Sequence[TopicMetadata],
        throttle_time_ms: int,
        error_code: int,
    ) -> MetadataResult: ...
    @property
    def brokers(self) -> list[BrokerMetadata]: ...
    @property
    def cluster_id(self) -> str | None: ...
    @property
    def controller_id(self) -> int: ...
    @property
    def topics(self) -> list[TopicMetadata]: ...
    @property
    def throttle_time_ms(self) -> int: ...
    @property
    def error_code(self) -> int:
        """Top-level error (v13+), 0 otherwise."""

@final
class InitProducerIdResult:
    def __new__(
        cls, error_code: int, producer_id: int, producer_epoch: int, throttle_time_ms: int
    ) -> InitProducerIdResult: ...
    @property
    def error_code(self) -> int: ...
    @property
    def producer_id(self) -> int: ...
    @property
    def producer_epoch(self) -> int: ...
    @property
    def throttle_time_ms(self) -> int: ...

@final
class RecordError:
    def __new__(cls, batch_index: int, message: str | None) -> RecordError: ...
    @property
    def batch_index(self) -> int: ...
    @property
    def message(self) -> str | None: ...

@final
class LeaderHint:
    def __new__(cls, leader_id: int, leader_epoch: int) -> LeaderHint: ...
    @property
    def leader_id(self) -> int: ...
    @property
    def leader_epoch(self) -> int: ...

@final
class PartitionProduceResult:
    def __new__(
        cls,
        topic: str,
        partition: int,
        error_code: int,
        base_offset: int,
        log_append_time_ms: int,
        log_start_offset: int,
        error_message: str | None,
        record_errors: Sequence[RecordError],
        current_leader: LeaderHint | None,
    ) -> PartitionProduceResult: ...
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def error_code(self) -> int: ...
    @property
    def base_offset(self) -> int: ...
    @property
    def log_append_time_ms(self) -> int:
        """-1 unless the topic uses LogAppendTime."""
    @property
    def log_start_offset(self) -> int: ...
    @property
    def error_message(self) -> str | None: ...
    @property
    def record_errors(self) -> list[RecordError]:
        """The records the broker rejected (v8+)."""
    @property
    def current_leader(self) -> LeaderHint | None:
        """Sent with NOT_LEADER_OR_FOLLOWER (v10+, KIP-951)."""

@final
class ProduceResult:
    def __new__(
        cls,
        partitions: Sequence[PartitionProduceResult],
        node_endpoints: Sequence[BrokerMetadata],
        throttle_time_ms: int,
    ) -> ProduceResult: ...
    @property
    def partitions(self) -> list[PartitionProduceResult]: ...
    @property
    def node_endpoints(self) -> list[BrokerMetadata]:
        """The brokers that ``current_leader`` hints name (v10+)."""
    @property
    def throttle_time_ms(self) -> int: ...

@final
class CoordinatorResult:
    def __new__(
        cls,
        key: str | None,
        node_id: int,
        host: str,
        port: int,
        error_code: int,
        error_message: str | None,
    ) -> CoordinatorResult: ...
    @property
    def key(self) -> str | None:
        """``None`` before v4, whose response answers the one key asked."""
    @property
    def node_id(self) -> int: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def error_code(self) -> int: ...
    @property
    def error_message(self) -> str | None: ...

@final
class FindCoordinatorResult:
    def __new__(
        cls, throttle_time_ms: int, coordinators: Sequence[CoordinatorResult]
    ) -> FindCoordinatorResult: ...
    @property
    def throttle_time_ms(self) -> int: ...
    @property
    def coordinators(self) -> list[CoordinatorResult]: ...

@final
class SaslHandshakeResult:
    def __new__(cls, error_code: int, mechanisms: Sequence[str]) -> SaslHandshakeResult: ...
    @property
    def error_code(self) -> int: ...
    @property
    def mechanisms(self) -> list[str]:
        """The mechanisms the broker enables."""

@final
class SaslAuthenticateResult:
    def __new__(
        cls,
        error_code: int,
        error_message: str | None,
        auth_bytes: bytes,
        session_lifetime_ms: int,
    ) -> SaslAuthenticateResult: ...
    @property
    def error_code(self) -> int: ...
    @property
    def error_message(self) -> str | None: ...
    @property
    def auth_bytes(self) -> bytes: ...
    @property
    def session_lifetime_ms(self) -> int:
        """0 when the broker does not ask for re-authentication (or before v1)."""

# --- end protocol ---------------------------------------------------------------------------

# --- transactions (rust/src/bindings/transactions.rs) -------------------------------------
# Codecs of the transactional requests. Encoders return a whole frame; decoders return frozen
# result classes. Failures raise ProtocolError.

@final
class TxnPartitionError:
    """The error code (0 for none) the coordinator answered for one partition."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def error_code(self) -> int: ...

@final
class TxnPartitionsResult:
    """The answer to AddPartitionsToTxn or TxnOffsetCommit: one entry per partition."""

    @property
    def throttle_time_ms(self) -> int: ...
    @property
    def partitions(self) -> list[TxnPartitionError]: ...

@final
class TxnCoordinatorResult:
    """The answer to AddOffsetsToTxn or EndTxn; producer_id/producer_epoch are those the
    coordinator gave at the end of the transaction (EndTxn v5+), -1 otherwise."""

    @property
    def throttle_time_ms(self) -> int: ...
    @property
    def error_code(self) -> int: ...
    @property
    def producer_id(self) -> int: ...
    @property
    def producer_epoch(self) -> int: ...

@final
class TxnTopicPartitions:
    """The partitions of one topic that AddPartitionsToTxn adds to a transaction."""

    def __new__(cls, topic: str, partitions: Sequence[int]) -> TxnTopicPartitions: ...
    @property
    def topic(self) -> str: ...
    @property
    def partitions(self) -> list[int]: ...

@final
class TxnOffset:
    """One partition's offset that TxnOffsetCommit commits for a consumer group."""

    def __new__(
        cls, topic: str, partition: int, offset: int, leader_epoch: int, metadata: str | None
    ) -> TxnOffset: ...
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int:
        """The next offset the group is to consume."""
    @property
    def leader_epoch(self) -> int:
        """The leader epoch of the last consumed record, -1 if unknown."""
    @property
    def metadata(self) -> str | None: ...

def encode_add_partitions_to_txn_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    transactional_id: str,
    producer_id: int,
    producer_epoch: int,
    partitions: Sequence[TxnTopicPartitions],
) -> bytes: ...
def decode_add_partitions_to_txn_response(frame: bytes, version: int) -> TxnPartitionsResult: ...
def encode_add_offsets_to_txn_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    transactional_id: str,
    producer_id: int,
    producer_epoch: int,
    group_id: str,
) -> bytes: ...
def decode_add_offsets_to_txn_response(frame: bytes, version: int) -> TxnCoordinatorResult: ...
def encode_txn_offset_commit_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    transactional_id: str,
    producer_id: int,
    producer_epoch: int,
    group_id: str,
    generation_id: int,
    member_id: str,
    group_instance_id: str | None,
    offsets: Sequence[TxnOffset],
) -> bytes: ...
def decode_txn_offset_commit_response(frame: bytes, version: int) -> TxnPartitionsResult: ...
def encode_end_txn_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    transactional_id: str,
    producer_id: int,
    producer_epoch: int,
    commit: bool,
) -> bytes: ...
def decode_end_txn_response(frame: bytes, version: int) -> TxnCoordinatorResult: ...

# --- end transactions -----------------------------------------------------------------------

# --- record (rust/src/bindings/record.rs) -------------------------------------------------
# Record batch v2 encoding and decoding, CRC-32C and the codecs (none, gzip, snappy, lz4,
# zstd), for tests and tooling. Malformed input or a bad codec/level raises ValueError.

@type_check_only
class DecodedRecord(TypedDict):
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]

@type_check_only
class DecodedBatch(TypedDict):
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    compression: str
    log_append_time: bool
    transactional: bool
    control: bool
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int
    records: list[DecodedRecord]

RECORD_BATCH_OVERHEAD: int

@final
class BatchRecord:
    """One record for ``encode_batch``. Its bytes are read in place, not copied."""

    def __new__(
        cls,
        timestamp_ms: int,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes | None]],
    ) -> BatchRecord: ...
    @property
    def timestamp_ms(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> list[tuple[str, bytes | None]]:
        """``(name, value)`` pairs, the public form of headers."""

def encode_batch(
    records: Sequence[BatchRecord],
    *,
    compression: str = "none",
    level: int | None = None,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    transactional: bool = False,
) -> bytes: ...
def decode_batches(data: bytes) -> list[DecodedBatch]: ...
def crc32c(data: bytes) -> int: ...
def compress(codec: str, data: bytes, level: int | None = None) -> bytes: ...
def decompress(codec: str, data: bytes) -> bytes: ...

# --- end record -----------------------------------------------------------------------------

# --- accumulator (rust/src/bindings/accumulator.rs) ---------------------------------------
# Partitioning and the record accumulator. Times are milliseconds on the caller's monotonic
# clock. Errors (rust/src/bindings/accumulator_errors.rs), the public classes of
# ferrokafka.errors for a caller's mistake: BufferFullError (buffer_memory full: wait for a
# completion, retry), RecordTooLargeError, PartitionOutOfRangeError (a partition= that is not
# an int, or not one of the topic's), SerializationError (headers, or send_many's keys and
# values, the wire cannot carry), ProducerClosedError (append after close), ConfigError (a
# setting the accumulator cannot work with). Internal invariants stay builtins: KeyError
# (unknown or not-in-flight batch id), ValueError (partition count below 1, an unimplemented
# Produce version).

def murmur2(data: bytes) -> int: ...
def partition_for_key(key: bytes, num_partitions: int) -> int: ...
def check_partition(topic: str, partition: object, num_partitions: int | None = None) -> None:
    """Raises `PartitionOutOfRangeError` for what the append would refuse as ``partition=``
    (not an int, a bool included; not one of ``num_partitions``, or negative if unknown)."""

def check_headers(topic: str, headers: Sequence[tuple[str, bytes | None]]) -> None:
    """Raises `SerializationError` for headers the append would refuse."""

@final
class BatchRun:
    """``count`` consecutive records that went to batch ``batch_id``. From ``append_many``:
    they are its records ``first_index..first_index + count`` (the input records follow the
    runs in order). From ``split``: they were the split batch's records
    ``first_index..first_index + count`` and are the new batch's ``0..count``."""

    def __new__(cls, batch_id: int, first_index: int, count: int) -> BatchRun: ...
    @property
    def batch_id(self) -> int: ...
    @property
    def first_index(self) -> int: ...
    @property
    def count(self) -> int: ...

@final
class TopicPartition:
    """A partition of a topic: where a batch goes."""

    def __new__(cls, topic: str, partition: int) -> TopicPartition: ...
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...

@final
class ReadyCheck:
    """What ``Accumulator.ready`` found."""

    def __new__(cls, partitions: list[TopicPartition], next_ready_ms: int | None) -> ReadyCheck: ...
    @property
    def partitions(self) -> list[TopicPartition]:
        """The partitions with a batch to send now."""
    @property
    def next_ready_ms(self) -> int | None:
        """The earliest time (ms) another becomes sendable by linger or backoff; ``None``:
        only an append or a completion can change that."""

@final
class FailedBatch:
    """A batch a drain could not seal (a codec failed): its records must be failed."""

    def __new__(cls, batch_id: int, reason: str) -> FailedBatch: ...
    @property
    def batch_id(self) -> int: ...
    @property
    def reason(self) -> str: ...

@final
class BatchEvent:
    """Something that happened to a batch, for the producer's metrics."""

    def __new__(
        cls,
        kind: int,
        topic: str,
        records: int,
        size_bytes: int,
        uncompressed_bytes: int,
        queue_time_ms: int,
    ) -> BatchEvent: ...
    @property
    def kind(self) -> int:
        """0 sent, 1 retried, 2 failed, 3 split."""
    @property
    def topic(self) -> str: ...
    @property
    def records(self) -> int: ...
    @property
    def size_bytes(self) -> int:
        """The sealed (compressed) batch's size; 0 unless sent."""
    @property
    def uncompressed_bytes(self) -> int:
        """The size before compression, batch header included; 0 unless sent."""
    @property
    def queue_time_ms(self) -> int:
        """From the batch's first record to its drain; 0 unless sent."""

@final
class Accumulator:
    def __new__(
        cls,
        *,
        batch_size: int = 16384,
        linger_ms: int = 5,
        buffer_memory: int = 33554432,
        max_request_size: int = 1048576,
        compression: str = "none",
        compression_level: int | None = None,
        idempotent: bool = True,
        transactional: bool = False,
        partitioner_ignore_keys: bool = False,
        partitioner_adaptive: bool = True,
        mute_while_in_flight: bool = False,
        compress_on_workers: bool = True,
    ) -> Accumulator: ...
    def append(
        self,
        topic: str,
        num_partitions: int,
        partition: int | None,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes | None]] | None,
        timestamp_ms: int,
        now_ms: int,
    ) -> int:
        """Returns the handle `batch_id << 32 | index`."""
    def append_many(
        self,
        topic: str,
        num_partitions: int,
        values: Sequence[bytes | None],
        keys: Sequence[bytes | None] | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int,
        now_ms: int,
    ) -> list[BatchRun]:
        """The runs covering the appended prefix, in input order."""
    def batch_info(self, batch_id: int) -> TopicPartition: ...
    def ready(self, now_ms: int) -> ReadyCheck: ...
    def drain(
        self,
        routing: dict[tuple[str, int], int],
        max_request_size: int,
        now_ms: int,
        busy_nodes: Sequence[int] = ...,
    ) -> dict[int, list[int]]:
        """``routing``: ``{(topic, partition): leader node id}``, plain tuples as keys (the
        sender's metadata keys partitions so; hashing them is cheaper than a class's hash).
        ``busy_nodes``: nodes with a request out, which get another only if it is worth one of
        its own (a full batch, a retry, ``batch_size`` bytes in all). Returns ``{node_id:
        [batch_id, ...]}``."""
    def take_failed(self) -> list[FailedBatch]: ...
    def compression_wake_fd(self) -> int | None:
        """Readable when batches come back from the compression workers."""
    def take_compressed(self) -> int: ...
    def compressing_batches(self) -> int: ...
    def produce_request(
        self,
        batch_ids: Sequence[int],
        correlation_id: int,
        client_id: str | None,
        api_version: int,
        acks: int,
        timeout_ms: int,
        transactional_id: str | None,
    ) -> bytes: ...
    def sealed_batch(self, batch_id: int) -> bytes: ...
    def complete(self, batch_id: int) -> int: ...
    def retry(self, batch_id: int, now_ms: int, backoff_ms: int) -> None: ...
    def fail(self, batch_id: int) -> int: ...
    def split(self, batch_id: int) -> list[BatchRun]:
        """Empty for a single-record batch: nothing smaller can hold it (fail it as too
        large); it stays in flight."""
    def expire(self, now_ms: int, delivery_timeout_ms: int) -> list[int]: ...
    def abort_all(self) -> list[int]: ...
    def abort_undrained(self) -> list[int]: ...
    def set_producer_id(self, producer_id: int, epoch: int) -> None: ...
    def reset_sequences(self) -> None: ...
    def set_available_partitions(self, topic: str, partitions: Sequence[int] | None) -> None: ...
    def begin_flush(self) -> None: ...
    def end_flush(self) -> None: ...
    def close(self) -> None: ...
    def buffer_memory(self) -> int: ...
    def available_memory(self) -> int: ...
    def used_memory(self) -> int: ...
    def queued_batches(self) -> int: ...
    def in_flight_batches(self) -> int: ...
    def live_batches(self) -> int: ...
    def has_undrained(self) -> bool: ...
    def metrics(self) -> dict[str, int]: ...
    def take_batch_events(self) -> list[BatchEvent]: ...

# --- end accumulator ------------------------------------------------------------------------

# --- per-record objects (rust/src/bindings/delivery.rs) --------------------------------------

@final
class DeliveryFuture:
    def __new__(
        cls, batch: PendingBatch, index: int, timestamp: int, key_size: int, value_size: int
    ) -> DeliveryFuture: ...
    _asyncio_future_blocking: ClassVar[bool]
    def get_loop(self) -> asyncio.AbstractEventLoop: ...
    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def cancel(self, msg: Any | None = None) -> bool: ...
    @property
    def _cancel_message(self) -> Any | None: ...
    def _make_cancelled_error(self) -> asyncio.CancelledError: ...
    def result(self) -> RecordMetadata: ...
    def exception(self) -> BaseException | None: ...
    def add_done_callback(
        self,
        callback: Callable[[DeliveryFuture], Any],
        *,
        context: contextvars.Context | None = None,
    ) -> None: ...
    def remove_done_callback(self, callback: Callable[[DeliveryFuture], Any]) -> int: ...
    def __await__(self) -> Generator[Any, None, RecordMetadata]: ...
    def __iter__(self) -> Generator[Any, None, RecordMetadata]: ...
    @property
    def _batch(self) -> PendingBatch:
        """The batch that holds the record (package-private)."""
    @property
    def _index(self) -> int:
        """The record's index in its batch (package-private)."""
    def rebind(self, batch: PendingBatch, index: int) -> None: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def serialized_key_size(self) -> int: ...
    @property
    def serialized_value_size(self) -> int: ...

@final
class SendFastPath:
    def __new__(
        cls,
        accumulator: Accumulator,
        partition_counts: Mapping[str, int],
        batch_for: Callable[[int, int], PendingBatch],
        fallback: Callable[..., DeliveryFuture],
        now_ms: int,
        *,
        event_loop: asyncio.AbstractEventLoop | None,
        send_fallback: Callable[..., Awaitable[RecordMetadata]],
        produce_fallback: Callable[..., Awaitable[DeliveryFuture]],
        yield_every: int,
    ) -> SendFastPath: ...
    def partition_counts_changed(self) -> None: ...
    def send(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        on_delivery: Callable[..., Any] | None = None,
    ) -> DeliveryFuture: ...
    def send_awaited(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> Awaitable[RecordMetadata]: ...
    def produce(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> Awaitable[DeliveryFuture]: ...

def wake_waiters(batch: PendingBatch, waiters: list[asyncio.Future[None] | TaskWaiter]) -> None: ...

@final
class TaskWaiter:
    """What ``await producer.send(...)`` yields to its task while the batch is open: the
    parts of the future protocol asyncio's Task uses."""

    _asyncio_future_blocking: bool
    def get_loop(self) -> asyncio.AbstractEventLoop: ...
    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def result(self) -> None: ...
    def exception(self) -> BaseException | None: ...
    def add_done_callback(
        self,
        callback: Callable[[TaskWaiter], Any],
        /,
        *,
        context: contextvars.Context | None = None,
    ) -> None: ...
    def remove_done_callback(self, callback: Callable[[TaskWaiter], Any], /) -> int: ...
    def cancel(self, msg: Any | None = None) -> bool: ...

@final
class Awaiting:
    """What ``await future`` iterates under asyncio."""

    def __iter__(self) -> Awaiting: ...
    def __next__(self) -> Any: ...

@final
class SendCall:
    """The native coroutine of ``await producer.send(...)`` / ``await producer.produce(...)``."""

    def __await__(self) -> SendCall: ...
    def __iter__(self) -> SendCall: ...
    def __next__(self) -> Any: ...
    def send(self, value: Any, /) -> Any: ...
    def throw(self, error: Any, value: Any = None, traceback: Any = None, /) -> Any: ...
    def close(self) -> None: ...
