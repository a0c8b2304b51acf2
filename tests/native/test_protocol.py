"""The native wire codec (`ferrokafka._native`, rust/src/protocol) seen from Python.

The Rust unit tests compare every encoder and decoder with the `kafka-protocol` crate; here the
bindings are checked for their shapes and errors, hostile bytes are thrown at every decoder,
and a real broker answers requests at every version this client implements. Produce requests
carry record batches built in this file (not by ferrokafka's record encoder), and what they
wrote is read back with confluent-kafka.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
import uuid
from collections.abc import Callable
from typing import Any

import crc32c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrokafka import _native
from ferrokafka.errors import ProtocolError

PRODUCE, METADATA, FIND_COORDINATOR, SASL_HANDSHAKE, API_VERSIONS, INIT_PRODUCER_ID = (
    0,
    3,
    10,
    17,
    18,
    22,
)
SASL_AUTHENTICATE = 36
ADD_PARTITIONS_TO_TXN, ADD_OFFSETS_TO_TXN, END_TXN, TXN_OFFSET_COMMIT = 24, 25, 26, 28
DECODERS: dict[int, Callable[[bytes, int], Any]] = {
    PRODUCE: _native.decode_produce_response,
    METADATA: _native.decode_metadata_response,
    FIND_COORDINATOR: _native.decode_find_coordinator_response,
    SASL_HANDSHAKE: _native.decode_sasl_handshake_response,
    API_VERSIONS: _native.decode_api_versions_response,
    INIT_PRODUCER_ID: _native.decode_init_producer_id_response,
    SASL_AUTHENTICATE: _native.decode_sasl_authenticate_response,
    ADD_PARTITIONS_TO_TXN: _native.decode_add_partitions_to_txn_response,
    ADD_OFFSETS_TO_TXN: _native.decode_add_offsets_to_txn_response,
    END_TXN: _native.decode_end_txn_response,
    TXN_OFFSET_COMMIT: _native.decode_txn_offset_commit_response,
}
# What a coordinator answers a transactional request for an id it never gave a producer id:
# INVALID_PRODUCER_ID_MAPPING, or its state still loading (14, 15) right after start, or
# NOT_COORDINATOR (16) while the transaction state topic the FindCoordinator above asked for is
# still being created, or (group coordinators verifying the transaction, KIP-890)
# INVALID_TXN_STATE / INVALID_PRODUCER_EPOCH / UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION.
UNKNOWN_TXN_ERRORS = {49, 14, 15, 16, 48, 47, 25, 22}


def all_versions() -> list[tuple[int, int]]:
    return [
        (api, version)
        for api, versions in sorted(_native.supported_versions().items())
        for version in range(versions.min_version, versions.max_version + 1)
    ]


# ---- shapes and errors, no broker ------------------------------------------------------------


def test_supported_versions() -> None:
    versions = _native.supported_versions()
    assert versions[PRODUCE] == _native.VersionRange(3, 12)  # v13 needs topic ids
    assert versions[API_VERSIONS] == _native.VersionRange(min_version=0, max_version=4)
    assert versions[METADATA].max_version == 13
    assert set(DECODERS) == set(versions)


def test_request_frames_carry_their_size_and_header() -> None:
    frame = _native.encode_metadata_request(7, "my-client", 12, ["a", "b"], False)
    (size,) = struct.unpack(">i", frame[:4])
    assert size == len(frame) - 4
    api_key, version, correlation_id, client_len = struct.unpack(">hhih", frame[4:14])
    assert (api_key, version, correlation_id) == (METADATA, 12, 7)
    assert frame[14 : 14 + client_len] == b"my-client"
    # A null client id is -1.
    frame = _native.encode_api_versions_request(1, None, 0)
    assert frame[12:14] == b"\xff\xff"


def test_produce_request_groups_batches_by_topic() -> None:
    batches = [
        _native.ProduceBatch("a", 0, b"x" * 10),
        _native.ProduceBatch("b", 2, b"y"),
        _native.ProduceBatch("a", 1, b""),
    ]
    v8 = _native.encode_produce_request(3, "c", 8, -1, 5000, None, batches)
    # v8 (classic encoding): transactional id null, acks, timeout, 2 topics, "a" with 2.
    body = v8[4 + 8 + 2 + 1 :]
    assert body[:2] == b"\xff\xff"
    assert struct.unpack(">hii", body[2:12]) == (-1, 5000, 2)
    assert body[12:17] == b"\x00\x01a\x00\x00"
    assert body[17:19] == b"\x00\x02"
    # The caller's mistake, not the broker's: a ValueError, not a ProtocolError.
    twice = [_native.ProduceBatch("a", 0, b"")] * 2
    with pytest.raises(ValueError, match="two batches for a-0") as refused:
        _native.encode_produce_request(3, "c", 9, 1, 5000, None, twice)
    assert not isinstance(refused.value, ProtocolError)


@pytest.mark.parametrize("version", [2, 13, 99])
def test_unsupported_produce_versions_are_refused(version: int) -> None:
    with pytest.raises(ValueError, match=rf"Produce v{version} is not implemented"):
        _native.encode_produce_request(1, None, version, 1, 1000, None, [])


def test_decode_errors_name_api_and_version() -> None:
    # The public class users catch, raised by the binding itself: nothing to translate.
    with pytest.raises(ProtocolError, match=r"malformed Metadata v12 response"):
        _native.decode_metadata_response(b"\x00\x00\x00\x01\x00", 12)
    with pytest.raises(ProtocolError, match=r"malformed Produce v9 response: .*frame ends inside"):
        _native.decode_produce_response(b"\x00\x00\x00\x01", 9)


def test_bytes_after_the_last_field_are_skipped() -> None:
    # ApiVersions v1 (error, no APIs, throttle) and a byte more: read as Kafka's clients read it.
    frame = b"\x00\x00\x00\x01" + b"\x00\x00\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
    expected = _native.ApiVersionsResult(0, {}, 0, {})
    assert _native.decode_api_versions_response(frame, 1) == expected
    assert _native.decode_api_versions_response(frame + b"!", 1) == expected


def test_tansu_api_versions_answer_is_accepted() -> None:
    """tansu (a Kafka-compatible broker) answers ApiVersions v3+ with tag 3 (ZkMigrationReady)
    after the finalized features: a tagged field this decoder does not read, skipped."""
    frame = struct.pack(">ihb", 42, 0, 3)
    frame += struct.pack(">hhhb", PRODUCE, 0, 11, 0) + struct.pack(">hhhb", API_VERSIONS, 0, 4, 0)
    frame += struct.pack(">i", 0)  # throttle
    frame += bytes([4, 0, 1, 1, 1, 8]) + b"\xff" * 8 + bytes([2, 1, 1, 3, 1, 0])
    for version in (3, 4):
        result = _native.decode_api_versions_response(frame, version)
        assert result == _native.ApiVersionsResult(
            error_code=0,
            api_versions={
                PRODUCE: _native.VersionRange(0, 11),
                API_VERSIONS: _native.VersionRange(0, 4),
            },
            throttle_time_ms=0,
            finalized_features={},
        )


def _i16(n: int) -> bytes:
    return struct.pack(">h", n)


def _i32(n: int) -> bytes:
    return struct.pack(">i", n)


CORRELATION_ID = _i32(1)
NO_HEADER_TAGS = b"\x00"
# A compact length (a varint) of 2^28 - 2: past the end of any of these frames.
HUGE_VARINT = b"\xff\xff\xff\x7f"
PAST_THE_END: list[tuple[int, int, bytes, str]] = [
    # (api, version, frame, the field whose length reaches past the end)
    (PRODUCE, 8, CORRELATION_ID + _i32(1) + _i16(0x7FFF) + b"ab", "topic name"),
    (
        PRODUCE,
        9,
        CORRELATION_ID + NO_HEADER_TAGS + b"\x02" + HUGE_VARINT + b"ab",
        "topic name",
    ),
    (METADATA, 8, CORRELATION_ID + _i32(0) + _i32(1) + _i32(1) + _i16(0x7FFF) + b"h" * 16, "host"),
    (
        METADATA,
        12,
        CORRELATION_ID + NO_HEADER_TAGS + _i32(0) + b"\x02" + _i32(1) + HUGE_VARINT + b"h" * 16,
        "host",
    ),
    (METADATA, 8, CORRELATION_ID + _i32(0) + _i32(0x7FFF_FFFF) + _i32(1), "brokers"),
    (API_VERSIONS, 2, CORRELATION_ID + _i16(0) + _i32(0x7FFF_FFFF) + _i16(0) * 3, "api_keys"),
    (API_VERSIONS, 4, CORRELATION_ID + _i16(0) + HUGE_VARINT + _i16(0) * 3, "api_keys"),
    (
        FIND_COORDINATOR,
        2,
        CORRELATION_ID + _i32(0) + _i16(15) + _i16(0x7FFF) + b"not yet",
        "error_message",
    ),
    (
        FIND_COORDINATOR,
        6,
        CORRELATION_ID + NO_HEADER_TAGS + _i32(0) + b"\x02" + HUGE_VARINT + b"group" * 4,
        "key",
    ),
    (SASL_HANDSHAKE, 1, CORRELATION_ID + _i16(33) + _i32(1) + _i16(0x7FFF) + b"PL", "mechanism"),
    (
        SASL_AUTHENTICATE,
        1,
        CORRELATION_ID + _i16(0) + _i16(-1) + _i32(0x7FFF_FFFF) + b"token",
        "auth_bytes",
    ),
    (
        SASL_AUTHENTICATE,
        2,
        CORRELATION_ID + NO_HEADER_TAGS + _i16(58) + HUGE_VARINT + b"wrong",
        "error_message",
    ),
    (
        INIT_PRODUCER_ID,
        4,
        CORRELATION_ID
        + NO_HEADER_TAGS
        + _i32(0)
        + _i16(0)
        + struct.pack(">qh", 7, 0)
        # One tagged field, tag 0, whose size reaches past the end.
        + b"\x01\x00"
        + HUGE_VARINT
        + b"x",
        "tagged field",
    ),
]


@pytest.mark.parametrize(("api", "version", "frame", "field"), PAST_THE_END)
def test_lengths_past_the_frame_are_refused(
    api: int, version: int, frame: bytes, field: str
) -> None:
    with pytest.raises(ProtocolError, match=rf"frame ends inside {field} \(needs"):
        DECODERS[api](frame, version)
    # Bytes after the end do not make it acceptable: the length is past the frame, not past
    # the message.
    with pytest.raises(ProtocolError, match=rf"frame ends inside {field} \(needs"):
        DECODERS[api](frame + b"\x00" * 16, version)


def test_hostile_counts_are_refused_before_allocating() -> None:
    # 2**31-1 brokers announced in a 16-byte frame: refused before anything is allocated.
    frame = b"\x00\x00\x00\x01" + b"\x00\x00\x00\x00" + b"\x7f\xff\xff\xff" + b"\x00" * 4
    # The count is checked against the bytes left before any element is read or reserved:
    # the error names both.
    with pytest.raises(
        ProtocolError, match=r"inside brokers \(needs 21474836470 more bytes, 4 left\)"
    ):
        _native.decode_metadata_response(frame, 8)


def test_api_versions_unsupported_answer_is_read_in_v0_format() -> None:
    # What a broker sends for an ApiVersions version it does not know: v0, error 35, its range.
    frame = struct.pack(">ihihhh", 9, 35, 1, API_VERSIONS, 0, 2)
    for asked in range(5):
        result = _native.decode_api_versions_response(frame, asked)
        assert result == _native.ApiVersionsResult(
            35, {API_VERSIONS: _native.VersionRange(0, 2)}, 0, {}
        )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_frames_only_raise_protocol_error(frame: bytes) -> None:
    for api, version in all_versions():
        with contextlib.suppress(ProtocolError):
            DECODERS[api](frame, version)


# ---- against a real broker ---------------------------------------------------------------


def record_batch(values: list[bytes], timestamp_ms: int) -> bytes:
    """An uncompressed record batch v2, written from the format description."""

    def varint(n: int) -> bytes:
        z = (n << 1) ^ (n >> 63)
        out = bytearray()
        while z >= 0x80:
            out.append((z & 0x7F) | 0x80)
            z >>= 7
        out.append(z)
        return bytes(out)

    records = b""
    for i, value in enumerate(values):
        body = b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(value)) + value
        body += varint(0)
        records += varint(len(body)) + body
    after_crc = struct.pack(
        ">hiqqqhii", 0, len(values) - 1, timestamp_ms, timestamp_ms, -1, -1, -1, len(values)
    )
    after_crc += records
    crc = crc32c.crc32c(after_crc)
    after_length = struct.pack(">ibI", 0, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


class BlockingClient:
    """One plain socket: enough to exercise the codec without ferrokafka's connection layer."""

    def __init__(self, bootstrap_servers: str) -> None:
        host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=15)
        self.correlation_id = 0

    def roundtrip(self, encode: Callable[[int], bytes]) -> bytes:
        self.correlation_id += 1
        self.sock.sendall(encode(self.correlation_id))
        (size,) = struct.unpack(">i", self.recv(4))
        frame = self.recv(size)
        assert struct.unpack(">i", frame[:4])[0] == self.correlation_id
        return frame

    def recv(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            assert chunk, "broker closed the connection"
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def client(kafka: Any) -> Any:
    c = BlockingClient(kafka.bootstrap_servers)
    yield c
    c.close()


def test_every_version_against_the_broker(kafka: Any, client: BlockingClient) -> None:
    """Each implemented version of each API is encoded, answered and decoded."""
    answer = _native.decode_api_versions_response(
        client.roundtrip(lambda c: _native.encode_api_versions_request(c, "t", 4)), 4
    )
    assert answer.error_code == 0
    broker = answer.api_versions
    topic = kafka.create_topic(f"codec-{uuid.uuid4().hex[:8]}", partitions=2)
    for api, version in all_versions():
        theirs = broker.get(api)
        if theirs is None or not theirs.min_version <= version <= theirs.max_version:
            continue
        if api == API_VERSIONS:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_api_versions_request(c, "t", v)
            )
            assert _native.decode_api_versions_response(frame, version).error_code == 0
        elif api == METADATA:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_metadata_request(c, "t", v, [topic], v < 4)
            )
            meta = _native.decode_metadata_response(frame, version)
            [described] = meta.topics
            assert (described.name, described.error_code, described.is_internal) == (
                topic,
                0,
                False,
            )
            assert len(described.partitions) == 2
            assert (described.topic_id is None) == (version < 10)
            broker_ids = {b.node_id for b in meta.brokers}
            assert broker_ids
            assert {p.leader_id for p in described.partitions} <= broker_ids
        elif api == INIT_PRODUCER_ID:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_init_producer_id_request(
                    c, "t", v, None, 60_000
                )
            )
            ids = _native.decode_init_producer_id_response(frame, version)
            # 14/15: the coordinator is still loading right after the broker started.
            assert ids.error_code in (0, 14, 15)
            if ids.error_code == 0:
                assert ids.producer_id >= 0
                assert ids.producer_epoch >= 0
        elif api == FIND_COORDINATOR:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_find_coordinator_request(c, "t", v, 1, ["tx"])
            )
            found = _native.decode_find_coordinator_response(frame, version)
            assert len(found.coordinators) == 1
            assert found.coordinators[0].key == ("tx" if version >= 4 else None)
        elif api == SASL_HANDSHAKE:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_sasl_handshake_request(c, "t", v, "PLAIN")
            )
            # A plaintext listener has no SASL: ILLEGAL_SASL_STATE (34) or unsupported (33).
            assert _native.decode_sasl_handshake_response(frame, version).error_code in (33, 34)
        elif api == ADD_PARTITIONS_TO_TXN:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_add_partitions_to_txn_request(
                    c, "t", v, "codec-txn", 7, 0, [_native.TxnTopicPartitions(topic, [0, 1])]
                )
            )
            result = _native.decode_add_partitions_to_txn_response(frame, version)
            assert sorted((p.topic, p.partition) for p in result.partitions) == [
                (topic, 0),
                (topic, 1),
            ]
            assert {p.error_code for p in result.partitions} <= UNKNOWN_TXN_ERRORS | {55}
        elif api == ADD_OFFSETS_TO_TXN:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_add_offsets_to_txn_request(
                    c, "t", v, "codec-txn", 7, 0, "codec-group"
                )
            )
            result = _native.decode_add_offsets_to_txn_response(frame, version)
            assert result.error_code in UNKNOWN_TXN_ERRORS
        elif api == END_TXN:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_end_txn_request(
                    c, "t", v, "codec-txn", 7, 0, False
                )
            )
            result = _native.decode_end_txn_response(frame, version)
            assert result.error_code in UNKNOWN_TXN_ERRORS
        elif api == TXN_OFFSET_COMMIT:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_txn_offset_commit_request(
                    c,
                    "t",
                    v,
                    "codec-txn",
                    7,
                    0,
                    "codec-group",
                    -1,
                    "",
                    None,
                    [_native.TxnOffset(topic, 1, 42, -1, None)],
                )
            )
            result = _native.decode_txn_offset_commit_response(frame, version)
            [answer] = result.partitions
            assert (answer.topic, answer.partition) == (topic, 1)
            assert answer.error_code in UNKNOWN_TXN_ERRORS | {16}
        elif api == SASL_AUTHENTICATE:
            frame = client.roundtrip(
                lambda c, v=version: _native.encode_sasl_authenticate_request(c, "t", v, b"\0u\0p")
            )
            answer = _native.decode_sasl_authenticate_response(frame, version)
            assert answer.error_code in (33, 34)


# Right after a topic is created its leader may not serve it yet.
RETRIABLE = {5: "LEADER_NOT_AVAILABLE", 6: "NOT_LEADER_OR_FOLLOWER", 3: "UNKNOWN_TOPIC"}


def produce_until_led(
    client: BlockingClient, version: int, batches: list[_native.ProduceBatch]
) -> dict[int, _native.PartitionProduceResult]:
    """Sends the batches, re-sending only those whose partition was not ready yet."""
    results: dict[int, _native.PartitionProduceResult] = {}
    pending = list(batches)
    for _ in range(50):
        frame = client.roundtrip(
            lambda c, p=pending: _native.encode_produce_request(
                c, "t", version, -1, 10_000, None, p
            )
        )
        response = _native.decode_produce_response(frame, version)
        assert response.throttle_time_ms >= 0
        for result in response.partitions:
            if result.error_code not in RETRIABLE:
                results[result.partition] = result
        pending = [b for b in pending if b.partition not in results]
        if not pending:
            return results
        time.sleep(0.1)
    raise AssertionError(f"partitions never got ready: {pending}")


@pytest.mark.parametrize("version", range(3, 13))
def test_produce_every_version_read_back_by_confluent(
    kafka: Any, client: BlockingClient, version: int
) -> None:
    topic = kafka.create_topic(f"produce-v{version}-{uuid.uuid4().hex[:8]}", partitions=2)
    now = int(time.time() * 1000)
    batches = [
        _native.ProduceBatch(topic, 0, record_batch([b"a0", b"a1"], now)),
        _native.ProduceBatch(topic, 1, record_batch([f"v{version}".encode()], now)),
    ]
    results = produce_until_led(client, version, batches)
    assert sorted(results) == [0, 1]
    for r in results.values():
        assert (r.topic, r.error_code, r.base_offset, r.log_append_time_ms) == (topic, 0, 0, -1)
        assert (r.error_message, r.record_errors, r.current_leader) == (None, [], None)
    records = kafka.consume(topic, count=3, timeout=30)
    assert sorted((r.partition, r.offset, r.value) for r in records) == [
        (0, 0, b"a0"),
        (0, 1, b"a1"),
        (1, 0, f"v{version}".encode()),
    ]


def test_produce_errors_are_reported_per_partition(kafka: Any, client: BlockingClient) -> None:
    topic = kafka.create_topic(f"produce-err-{uuid.uuid4().hex[:8]}", partitions=1)
    batch = record_batch([b"x"], int(time.time() * 1000))
    produce_until_led(client, 12, [_native.ProduceBatch(topic, 0, batch)])
    corrupt = batch[:-1] + bytes([batch[-1] ^ 0xFF])  # CRC no longer matches
    frame = client.roundtrip(
        lambda c: _native.encode_produce_request(
            c,
            "t",
            12,
            1,
            10_000,
            None,
            [_native.ProduceBatch(topic, 0, corrupt), _native.ProduceBatch(topic, 7, batch)],
        )
    )
    response = _native.decode_produce_response(frame, 12)
    codes = {p.partition: p.error_code for p in response.partitions}
    assert codes[0] == 2  # CORRUPT_MESSAGE
    assert codes[7] == 3  # UNKNOWN_TOPIC_OR_PARTITION
