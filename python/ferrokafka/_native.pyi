"""Type stubs for the Rust extension module (rust/src/bindings/)."""

from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, TypedDict, final, type_check_only

from ferrokafka._pending import PendingBatch
from ferrokafka.records import RecordMetadata

__all__ = [
    "RECORD_BATCH_OVERHEAD",
    "Accumulator",
    "Awaiting",
    "DeliveryFuture",
    "ProtocolError",
    "RecordTooLargeError",
    "SendFastPath",
    "__version__",
    "compress",
    "crc32c",
    "decode_api_versions_response",
    "decode_batches",
    "decode_find_coordinator_response",
    "decode_init_producer_id_response",
    "decode_metadata_response",
    "decode_produce_response",
    "decode_sasl_authenticate_response",
    "decode_sasl_handshake_response",
    "decompress",
    "encode_api_versions_request",
    "encode_batch",
    "encode_find_coordinator_request",
    "encode_init_producer_id_request",
    "encode_metadata_request",
    "encode_produce_request",
    "encode_sasl_authenticate_request",
    "encode_sasl_handshake_request",
    "murmur2",
    "partition_for_key",
    "supported_versions",
]

__version__: str

# --- protocol (rust/src/bindings/protocol.rs) ---------------------------------------------
# Kafka wire codec. Encoders return a whole frame, size prefix included; decoders take a
# frame without the size prefix (it starts at the correlation id). Failures raise
# ProtocolError, whose message names the API and version.

class ProtocolError(ValueError): ...

def supported_versions() -> dict[int, tuple[int, int]]: ...
def encode_api_versions_request(
    correlation_id: int, client_id: str | None, version: int
) -> bytes: ...
def decode_api_versions_response(
    frame: bytes, version: int
) -> tuple[int, list[tuple[int, int, int]], int, list[tuple[str, tuple[int, int]]]]: ...
def encode_metadata_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    topics: list[str] | None,
    allow_auto_topic_creation: bool,
) -> bytes: ...
def decode_metadata_response(frame: bytes, version: int) -> dict[str, Any]: ...
def encode_init_producer_id_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    transactional_id: str | None,
    transaction_timeout_ms: int,
    producer_id: int = -1,
    producer_epoch: int = -1,
) -> bytes: ...
def decode_init_producer_id_response(frame: bytes, version: int) -> tuple[int, int, int, int]: ...
def encode_produce_request(
    correlation_id: int,
    client_id: str | None,
    version: int,
    acks: int,
    timeout_ms: int,
    transactional_id: str | None,
    batches: list[tuple[str, int, bytes]],
) -> bytes: ...
def decode_produce_response(
    frame: bytes, version: int
) -> tuple[
    list[
        tuple[
            str,
            int,
            int,
            int,
            int,
            int,
            str | None,
            list[tuple[int, str | None]],
            tuple[int, int] | None,
        ]
    ],
    list[tuple[int, str, int, str | None]],
    int,
]: ...
def encode_find_coordinator_request(
    correlation_id: int, client_id: str | None, version: int, key_type: int, keys: list[str]
) -> bytes: ...
def decode_find_coordinator_response(
    frame: bytes, version: int
) -> tuple[int, list[tuple[str | None, int, str, int, int, str | None]]]: ...
def encode_sasl_handshake_request(
    correlation_id: int, client_id: str | None, version: int, mechanism: str
) -> bytes: ...
def decode_sasl_handshake_response(frame: bytes, version: int) -> tuple[int, list[str]]: ...
def encode_sasl_authenticate_request(
    correlation_id: int, client_id: str | None, version: int, auth_bytes: bytes
) -> bytes: ...
def decode_sasl_authenticate_response(
    frame: bytes, version: int
) -> tuple[int, str | None, bytes, int]: ...

# --- end protocol ---------------------------------------------------------------------------

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

def encode_batch(
    records: list[tuple[int, bytes | None, bytes | None, list[tuple[str, bytes | None]]]],
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
# clock. Errors: BufferError (buffer_memory full: wait for a completion, retry),
# RecordTooLargeError (a ValueError), IndexError (explicit partition out of range), KeyError
# (unknown or not-in-flight batch id), RuntimeError (append after close), ValueError (other).

class RecordTooLargeError(ValueError): ...

def murmur2(data: bytes) -> int: ...
def partition_for_key(key: bytes, num_partitions: int) -> int: ...

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
    ) -> list[tuple[int, int, int]]:
        """Returns `(batch_id, first_index, count)` runs covering the appended prefix."""
    def batch_info(self, batch_id: int) -> tuple[str, int]: ...
    def ready(self, now_ms: int) -> tuple[list[tuple[str, int]], int | None]: ...
    def drain(
        self, routing: dict[tuple[str, int], int], max_request_size: int, now_ms: int
    ) -> dict[int, list[int]]: ...
    def take_failed(self) -> list[tuple[int, str]]: ...
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
    def complete(self, batch_id: int, log_append_time_ms: int = -1) -> list[int]: ...
    def retry(self, batch_id: int, now_ms: int, backoff_ms: int) -> None: ...
    def fail(self, batch_id: int) -> int: ...
    def split(self, batch_id: int) -> list[tuple[int, int, int]]: ...
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
    def take_batch_events(self) -> list[tuple[int, str, int, int, int, int]]: ...

# --- end accumulator ------------------------------------------------------------------------

# --- per-record objects (rust/src/bindings/delivery.rs) --------------------------------------

@final
class DeliveryFuture:
    def __new__(
        cls, batch: PendingBatch, index: int, timestamp: int, key_size: int, value_size: int
    ) -> DeliveryFuture: ...
    def done(self) -> bool: ...
    def result(self) -> RecordMetadata: ...
    def exception(self) -> BaseException | None: ...
    def add_done_callback(self, callback: Callable[[DeliveryFuture], Any]) -> None: ...
    def __await__(self) -> Generator[Any, None, RecordMetadata]: ...
    def batch_and_index(self) -> tuple[PendingBatch, int]: ...
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
        batches: dict[int, PendingBatch],
        partition_counts: Mapping[str, int],
        new_batch: Callable[[int, int], PendingBatch],
        fallback: Callable[..., DeliveryFuture],
        now_ms: int,
    ) -> SendFastPath: ...
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

@final
class Awaiting:
    """What ``await future`` iterates under asyncio."""

    def __iter__(self) -> Awaiting: ...
    def __next__(self) -> Any: ...
