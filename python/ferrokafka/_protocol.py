"""Typed requests and results over the native wire codec (`ferrokafka._native`).

A `Request` bundles how to encode a request (given the correlation id and client id that the
connection assigns) and how to decode its response into a version-independent result, so that
the connection and the sender never handle protocol versions or raw tuples.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from ferrokafka import _native

T = TypeVar("T")


class ApiKey(enum.IntEnum):
    PRODUCE = 0
    METADATA = 3
    FIND_COORDINATOR = 10
    SASL_HANDSHAKE = 17
    API_VERSIONS = 18
    INIT_PRODUCER_ID = 22
    ADD_PARTITIONS_TO_TXN = 24
    ADD_OFFSETS_TO_TXN = 25
    END_TXN = 26
    TXN_OFFSET_COMMIT = 28
    SASL_AUTHENTICATE = 36

    @property
    def display_name(self) -> str:
        """The name Kafka's documentation uses, e.g. ``InitProducerId``."""
        return _DISPLAY_NAMES[self]


_DISPLAY_NAMES = {key: "".join(p.capitalize() for p in key.name.split("_")) for key in ApiKey}


def api_name(api_key: int) -> str:
    try:
        return ApiKey(api_key).display_name
    except ValueError:
        return f"API {api_key}"


#: ``{api_key: (min_version, max_version)}`` implemented by the native codec.
SUPPORTED_VERSIONS: dict[int, tuple[int, int]] = _native.supported_versions()


@dataclass(frozen=True, slots=True)
class Request(Generic[T]):
    """One request, ready to be sent on any connection."""

    api_key: ApiKey
    version: int
    #: ``(correlation_id, client_id) -> frame`` (size prefix included).
    encode: Callable[[int, str | None], bytes]
    #: ``frame -> result``; the frame starts at the correlation id.
    decode: Callable[[bytes], T]

    @property
    def name(self) -> str:
        return f"{self.api_key.display_name} v{self.version}"


# --- ApiVersions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiVersionsResult:
    error_code: int
    #: ``{api_key: (min_version, max_version)}`` the broker supports.
    api_versions: dict[int, tuple[int, int]]
    throttle_time_ms: int
    #: Cluster-wide finalized feature levels (v3+), e.g. ``transaction.version``.
    finalized_features: dict[str, tuple[int, int]]


def api_versions_request(version: int) -> Request[ApiVersionsResult]:
    def decode(frame: bytes) -> ApiVersionsResult:
        error_code, keys, throttle, features = _native.decode_api_versions_response(frame, version)
        return ApiVersionsResult(
            error_code=error_code,
            api_versions={key: (lo, hi) for key, lo, hi in keys},
            throttle_time_ms=throttle,
            finalized_features=dict(features),
        )

    return Request(
        ApiKey.API_VERSIONS,
        version,
        lambda cid, client_id: _native.encode_api_versions_request(cid, client_id, version),
        decode,
    )


# --- Metadata ----------------------------------------------------------------------------


class BrokerMetadata(NamedTuple):
    node_id: int
    host: str
    port: int
    rack: str | None


class PartitionMetadata(NamedTuple):
    partition: int
    error_code: int
    #: -1 while the partition has no leader.
    leader_id: int
    #: -1 when the broker does not send epochs (Metadata < v7).
    leader_epoch: int
    replicas: list[int]
    isr: list[int]
    offline_replicas: list[int]


class TopicMetadata(NamedTuple):
    name: str
    error_code: int
    is_internal: bool
    partitions: list[PartitionMetadata]
    #: 16 bytes from Metadata v10 on, else ``None``.
    topic_id: bytes | None


@dataclass(frozen=True, slots=True)
class MetadataResult:
    brokers: list[BrokerMetadata]
    cluster_id: str | None
    controller_id: int
    topics: list[TopicMetadata]
    throttle_time_ms: int
    #: Top-level error (v13+), 0 otherwise.
    error_code: int


def metadata_request(
    version: int, topics: Sequence[str] | None, *, allow_auto_topic_creation: bool = False
) -> Request[MetadataResult]:
    """``topics=None`` asks for every topic."""
    names = None if topics is None else list(topics)

    def decode(frame: bytes) -> MetadataResult:
        raw = _native.decode_metadata_response(frame, version)
        return MetadataResult(
            brokers=[BrokerMetadata._make(b) for b in raw["brokers"]],
            cluster_id=raw["cluster_id"],
            controller_id=raw["controller_id"],
            topics=[
                TopicMetadata(
                    name,
                    error_code,
                    is_internal,
                    [PartitionMetadata._make(p) for p in partitions],
                    topic_id,
                )
                for name, error_code, is_internal, partitions, topic_id in raw["topics"]
            ],
            throttle_time_ms=raw["throttle_time_ms"],
            error_code=raw["error_code"],
        )

    return Request(
        ApiKey.METADATA,
        version,
        lambda cid, client_id: _native.encode_metadata_request(
            cid, client_id, version, names, allow_auto_topic_creation
        ),
        decode,
    )


# --- InitProducerId ----------------------------------------------------------------------


class InitProducerIdResult(NamedTuple):
    error_code: int
    producer_id: int
    producer_epoch: int
    throttle_time_ms: int


def init_producer_id_request(
    version: int,
    transactional_id: str | None,
    transaction_timeout_ms: int,
    producer_id: int = -1,
    producer_epoch: int = -1,
) -> Request[InitProducerIdResult]:
    """A known ``producer_id``/``producer_epoch`` asks for an epoch bump (v3+, KIP-360)."""
    return Request(
        ApiKey.INIT_PRODUCER_ID,
        version,
        lambda cid, client_id: _native.encode_init_producer_id_request(
            cid,
            client_id,
            version,
            transactional_id,
            transaction_timeout_ms,
            producer_id,
            producer_epoch,
        ),
        lambda frame: InitProducerIdResult._make(
            _native.decode_init_producer_id_response(frame, version)
        ),
    )


# --- Produce -----------------------------------------------------------------------------


class PartitionProduceResult(NamedTuple):
    topic: str
    partition: int
    error_code: int
    base_offset: int
    #: -1 unless the topic uses LogAppendTime.
    log_append_time_ms: int
    log_start_offset: int
    error_message: str | None
    #: ``(batch_index, message)`` of the records the broker rejected (v8+).
    record_errors: list[tuple[int, str | None]]
    #: ``(leader_id, leader_epoch)`` sent with NOT_LEADER_OR_FOLLOWER (v10+, KIP-951).
    current_leader: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class ProduceResult:
    partitions: list[PartitionProduceResult]
    #: Brokers named by ``current_leader`` hints, ``(node_id, host, port, rack)`` (v10+).
    node_endpoints: list[BrokerMetadata]
    throttle_time_ms: int


def produce_request(
    version: int,
    *,
    acks: int,
    timeout_ms: int,
    transactional_id: str | None,
    batches: list[tuple[str, int, bytes]],
) -> Request[ProduceResult]:
    """``batches`` are ``(topic, partition, record_batch)``. With ``acks=0`` the broker sends no
    response: send it with ``BrokerConnection.send_oneway``."""

    def decode(frame: bytes) -> ProduceResult:
        partitions, endpoints, throttle = _native.decode_produce_response(frame, version)
        return ProduceResult(
            partitions=[PartitionProduceResult._make(p) for p in partitions],
            node_endpoints=[BrokerMetadata._make(e) for e in endpoints],
            throttle_time_ms=throttle,
        )

    return Request(
        ApiKey.PRODUCE,
        version,
        lambda cid, client_id: _native.encode_produce_request(
            cid, client_id, version, acks, timeout_ms, transactional_id, batches
        ),
        decode,
    )


# --- FindCoordinator ---------------------------------------------------------------------

COORDINATOR_GROUP = 0
COORDINATOR_TRANSACTION = 1


class CoordinatorResult(NamedTuple):
    #: ``None`` before v4, whose response answers the one key asked.
    key: str | None
    node_id: int
    host: str
    port: int
    error_code: int
    error_message: str | None


def find_coordinator_request(
    version: int, key_type: int, keys: Sequence[str]
) -> Request[list[CoordinatorResult]]:
    key_list = list(keys)
    return Request(
        ApiKey.FIND_COORDINATOR,
        version,
        lambda cid, client_id: _native.encode_find_coordinator_request(
            cid, client_id, version, key_type, key_list
        ),
        lambda frame: [
            CoordinatorResult._make(c)
            for c in _native.decode_find_coordinator_response(frame, version)[1]
        ],
    )


# --- SASL --------------------------------------------------------------------------------


class SaslHandshakeResult(NamedTuple):
    error_code: int
    mechanisms: list[str]


class SaslAuthenticateResult(NamedTuple):
    error_code: int
    error_message: str | None
    auth_bytes: bytes
    session_lifetime_ms: int


def sasl_handshake_request(version: int, mechanism: str) -> Request[SaslHandshakeResult]:
    return Request(
        ApiKey.SASL_HANDSHAKE,
        version,
        lambda cid, client_id: _native.encode_sasl_handshake_request(
            cid, client_id, version, mechanism
        ),
        lambda frame: SaslHandshakeResult._make(
            _native.decode_sasl_handshake_response(frame, version)
        ),
    )


def sasl_authenticate_request(version: int, auth_bytes: bytes) -> Request[SaslAuthenticateResult]:
    return Request(
        ApiKey.SASL_AUTHENTICATE,
        version,
        lambda cid, client_id: _native.encode_sasl_authenticate_request(
            cid, client_id, version, auth_bytes
        ),
        lambda frame: SaslAuthenticateResult._make(
            _native.decode_sasl_authenticate_response(frame, version)
        ),
    )
