"""Type stubs for the Rust extension module (rust/src/bindings/)."""

from typing import Any, TypedDict, type_check_only

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
