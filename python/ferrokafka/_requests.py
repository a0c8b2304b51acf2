"""Requests ready to send: the API key, the version and the native codec's encoder and decoder
for it, bound together.

A `Request` bundles how to encode a request (given the correlation id and client id that the
connection assigns) and how to decode its response, so that the connection and the sender
never pass protocol versions around. The decoded results are the native module's classes
(`ferrokafka._native.ProduceResult`, ...): the wire schema is written once, in Rust.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ferrokafka import _native
from ferrokafka._native import (
    ApiVersionsResult,
    CoordinatorResult,
    InitProducerIdResult,
    MetadataResult,
    ProduceResult,
    SaslAuthenticateResult,
    SaslHandshakeResult,
    VersionRange,
)

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


#: ``{api_key: VersionRange}`` implemented by the native codec.
SUPPORTED_VERSIONS: dict[int, VersionRange] = _native.supported_versions()


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


def api_versions_request(version: int) -> Request[ApiVersionsResult]:
    return Request(
        ApiKey.API_VERSIONS,
        version,
        lambda cid, client_id: _native.encode_api_versions_request(cid, client_id, version),
        lambda frame: _native.decode_api_versions_response(frame, version),
    )


# --- Metadata ----------------------------------------------------------------------------


def metadata_request(
    version: int, topics: Sequence[str] | None, *, allow_auto_topic_creation: bool = False
) -> Request[MetadataResult]:
    """``topics=None`` asks for every topic."""
    names = None if topics is None else list(topics)
    return Request(
        ApiKey.METADATA,
        version,
        lambda cid, client_id: _native.encode_metadata_request(
            cid, client_id, version, names, allow_auto_topic_creation
        ),
        lambda frame: _native.decode_metadata_response(frame, version),
    )


# --- InitProducerId ----------------------------------------------------------------------


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
        lambda frame: _native.decode_init_producer_id_response(frame, version),
    )


# --- Produce -----------------------------------------------------------------------------


def produce_request(
    version: int,
    *,
    acks: int,
    timeout_ms: int,
    transactional_id: str | None,
    batches: Sequence[_native.ProduceBatch],
) -> Request[ProduceResult]:
    """With ``acks=0`` the broker sends no response: send it with
    ``BrokerConnection.send_oneway``."""
    return Request(
        ApiKey.PRODUCE,
        version,
        lambda cid, client_id: _native.encode_produce_request(
            cid, client_id, version, acks, timeout_ms, transactional_id, batches
        ),
        produce_decoder(version),
    )


@functools.cache
def produce_decoder(version: int) -> Callable[[bytes], ProduceResult]:
    """The decoder of Produce ``version`` responses, for senders that encode the request
    themselves (the accumulator writes its batches straight into the frame). One per version,
    made once: the sender asks for it with every request."""

    def decode(frame: bytes) -> ProduceResult:
        return _native.decode_produce_response(frame, version)

    return decode


# --- FindCoordinator ---------------------------------------------------------------------

COORDINATOR_GROUP = 0
COORDINATOR_TRANSACTION = 1


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
        lambda frame: _native.decode_find_coordinator_response(frame, version).coordinators,
    )


# --- SASL --------------------------------------------------------------------------------


def sasl_handshake_request(version: int, mechanism: str) -> Request[SaslHandshakeResult]:
    return Request(
        ApiKey.SASL_HANDSHAKE,
        version,
        lambda cid, client_id: _native.encode_sasl_handshake_request(
            cid, client_id, version, mechanism
        ),
        lambda frame: _native.decode_sasl_handshake_response(frame, version),
    )


def sasl_authenticate_request(version: int, auth_bytes: bytes) -> Request[SaslAuthenticateResult]:
    return Request(
        ApiKey.SASL_AUTHENTICATE,
        version,
        lambda cid, client_id: _native.encode_sasl_authenticate_request(
            cid, client_id, version, auth_bytes
        ),
        lambda frame: _native.decode_sasl_authenticate_response(frame, version),
    )
