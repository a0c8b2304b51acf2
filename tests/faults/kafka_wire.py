"""Just enough of the Kafka wire format, written independently of ferrokafka's codec, for the
fault proxy and the fake broker: request headers, the topics and partitions of a Produce
request, and the few responses they answer with themselves.

Field layouts follow apache/kafka's clients/src/main/resources/common/message/*.json. A
"flexible" version uses compact (uvarint) lengths and tagged fields; its request header
carries tagged fields too, and so does its response header, except ApiVersions', which stays
v0 so that a client can always read the broker's answer.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PRODUCE = 0
METADATA = 3
FIND_COORDINATOR = 10
SASL_HANDSHAKE = 17
API_VERSIONS = 18
INIT_PRODUCER_ID = 22
SASL_AUTHENTICATE = 36

# The first flexible version of each API (None: never flexible).
_FIRST_FLEXIBLE: dict[int, int | None] = {
    PRODUCE: 9,
    METADATA: 9,
    FIND_COORDINATOR: 3,
    SASL_HANDSHAKE: None,
    API_VERSIONS: 3,
    INIT_PRODUCER_ID: 2,
    SASL_AUTHENTICATE: 2,
}

NOT_LEADER_OR_FOLLOWER = 6
UNKNOWN_TOPIC_OR_PARTITION = 3
NOT_ENOUGH_REPLICAS = 19
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
UNKNOWN_PRODUCER_ID = 59
FENCED_LEADER_EPOCH = 74
UNSUPPORTED_VERSION = 35


def is_flexible(api_key: int, version: int) -> bool:
    first = _FIRST_FLEXIBLE.get(api_key)
    return first is not None and version >= first


class Reader:
    """Reads big-endian fields off a byte string; raises `ValueError` past its end."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"{n} bytes wanted at {self.pos}, {len(self.data) - self.pos} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def i8(self) -> int:
        return int(struct.unpack(">b", self.take(1))[0])

    def i16(self) -> int:
        return int(struct.unpack(">h", self.take(2))[0])

    def i32(self) -> int:
        return int(struct.unpack(">i", self.take(4))[0])

    def i64(self) -> int:
        return int(struct.unpack(">q", self.take(8))[0])

    def uvarint(self) -> int:
        value = shift = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 28:
                raise ValueError("uvarint longer than five bytes")

    def length(self, flexible: bool) -> int:
        """A string/bytes/array length: -1 for null."""
        return self.uvarint() - 1 if flexible else self.i32()

    def string_length(self, flexible: bool) -> int:
        return self.uvarint() - 1 if flexible else self.i16()

    def nullable_string(self, flexible: bool) -> str | None:
        n = self.string_length(flexible)
        return None if n < 0 else self.take(n).decode()

    def read_past_tagged_fields(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def string(value: str | None, flexible: bool) -> bytes:
    if value is None:
        return uvarint(0) if flexible else struct.pack(">h", -1)
    raw = value.encode()
    return (uvarint(len(raw) + 1) if flexible else struct.pack(">h", len(raw))) + raw


def array_length(n: int, flexible: bool) -> bytes:
    return uvarint(n + 1) if flexible else struct.pack(">i", n)


TAGS_NONE = b"\x00"


@dataclass(frozen=True, slots=True)
class RequestHeader:
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None
    #: Where the body starts in the frame (size prefix excluded).
    body_offset: int


def request_header(frame: bytes) -> RequestHeader:
    """The header of a request frame given without its 4-byte size prefix."""
    r = Reader(frame)
    api_key, api_version, correlation_id = r.i16(), r.i16(), r.i32()
    client_id = r.nullable_string(flexible=False)
    if is_flexible(api_key, api_version):
        r.read_past_tagged_fields()
    return RequestHeader(api_key, api_version, correlation_id, client_id, r.pos)


@dataclass(frozen=True, slots=True)
class ProduceRequest:
    acks: int
    timeout_ms: int
    #: ``[(topic, [(partition, records bytes)])]`` in request order.
    topics: list[tuple[str, list[tuple[int, bytes]]]]


def parse_produce_request(frame: bytes) -> tuple[RequestHeader, ProduceRequest]:
    """A Produce request (v3..v12), frame without its size prefix."""
    header = request_header(frame)
    flexible = is_flexible(PRODUCE, header.api_version)
    r = Reader(frame, header.body_offset)
    r.nullable_string(flexible)  # transactional id
    acks, timeout_ms = r.i16(), r.i32()
    topics = []
    for _ in range(r.length(flexible)):
        name = r.nullable_string(flexible) or ""
        partitions = []
        for _ in range(r.length(flexible)):
            index = r.i32()
            size = r.length(flexible)
            records = r.take(size) if size > 0 else b""
            if flexible:
                r.read_past_tagged_fields()
            partitions.append((index, records))
        if flexible:
            r.read_past_tagged_fields()
        topics.append((name, partitions))
    return header, ProduceRequest(acks, timeout_ms, topics)


def response_frame(api_key: int, version: int, correlation_id: int, body: bytes) -> bytes:
    """A whole response frame, size prefix included."""
    header = struct.pack(">i", correlation_id)
    if is_flexible(api_key, version) and api_key != API_VERSIONS:
        header += TAGS_NONE
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def produce_response_body(
    version: int, topics: list[tuple[str, list[tuple[int, int, int]]]], throttle_ms: int = 0
) -> bytes:
    """``topics``: ``[(topic, [(partition, error_code, base_offset)])]``."""
    flexible = is_flexible(PRODUCE, version)
    out = bytearray(array_length(len(topics), flexible))
    for name, partitions in topics:
        out += string(name, flexible)
        out += array_length(len(partitions), flexible)
        for index, error_code, base_offset in partitions:
            out += struct.pack(">ihq", index, error_code, base_offset)
            out += struct.pack(">q", -1)  # log_append_time_ms (v2+)
            if version >= 5:
                out += struct.pack(">q", -1)  # log_start_offset
            if version >= 8:
                out += array_length(0, flexible)  # record_errors
                out += string(None, flexible)  # error_message
            if flexible:
                out += TAGS_NONE
        if flexible:
            out += TAGS_NONE
    out += struct.pack(">i", throttle_ms)
    if flexible:
        out += TAGS_NONE
    return bytes(out)


def produce_error_response(request_frame: bytes, error_code: int) -> bytes:
    """The response a broker gives a Produce request when every partition fails with
    ``error_code`` (request frame without its size prefix; response with it)."""
    header, request = parse_produce_request(request_frame)
    topics = [(name, [(p, error_code, -1) for p, _ in parts]) for name, parts in request.topics]
    body = produce_response_body(header.api_version, topics)
    return response_frame(PRODUCE, header.api_version, header.correlation_id, body)


# --- the few responses of a fake broker (classic, non-flexible versions) ----------------------


def api_versions_v0_body(error_code: int, ranges: list[tuple[int, int, int]]) -> bytes:
    body = struct.pack(">hi", error_code, len(ranges))
    return body + b"".join(struct.pack(">hhh", *r) for r in ranges)


def metadata_v4_body(
    brokers: list[tuple[int, str, int]],
    controller_id: int,
    topics: list[tuple[str, int, list[tuple[int, int, list[int]]]]],
) -> bytes:
    """``brokers``: ``[(node_id, host, port)]``; ``topics``: ``[(name, error_code,
    [(partition, leader, replicas)])]`` (ISR = replicas)."""
    out = bytearray(struct.pack(">i", 0))  # throttle
    out += struct.pack(">i", len(brokers))
    for node_id, host, port in brokers:
        out += struct.pack(">i", node_id) + string(host, False) + struct.pack(">i", port)
        out += string(None, False)  # rack
    out += string("fake-cluster", False) + struct.pack(">i", controller_id)
    out += struct.pack(">i", len(topics))
    for name, error_code, partitions in topics:
        out += struct.pack(">h", error_code) + string(name, False) + b"\x00"  # not internal
        out += struct.pack(">i", len(partitions))
        for partition, leader, replicas in partitions:
            out += struct.pack(">hii", 0, partition, leader)
            for nodes in (replicas, replicas):
                out += struct.pack(">i", len(nodes)) + b"".join(struct.pack(">i", n) for n in nodes)
    return bytes(out)


def metadata_request_topics(frame: bytes) -> list[str] | None:
    """The topics a Metadata v4..v8 request names (None: all topics)."""
    header = request_header(frame)
    r = Reader(frame, header.body_offset)
    n = r.i32()
    if n < 0:
        return None
    return [r.nullable_string(False) or "" for _ in range(n)]


def init_producer_id_v0_body(producer_id: int, epoch: int) -> bytes:
    return struct.pack(">ihqh", 0, 0, producer_id, epoch)
