"""`BrokerConnection` over a fake wire: correlation ids, the in-flight queue, frame checks,
request timeouts and the end of a connection, without a socket.

The fake wire keeps what the connection writes; the test plays the broker's side by handing
frames to the connection as the real wire does (`frame_size`, `frame_received`,
`wire_closed`).
"""

from __future__ import annotations

import struct

import pytest

from ferrokafka._connection import BrokerConnection, NoResponseError, OnDone
from ferrokafka._requests import api_versions_request
from ferrokafka.errors import KafkaConnectionError, ProtocolError


class FakeWire:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def attach(self, sink: object, name: str) -> None:
        self.sink = sink

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        self.closed = True

    async def drain(self) -> None:
        pass

    async def join(self) -> None:
        pass

    def raw_socket(self) -> None:
        return None


class Outcomes:
    """An ``on_done`` per request, recording what each was told, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes | None, KafkaConnectionError | None]] = []

    def on_done(self, name: str) -> OnDone:
        def done(frame: bytes | None, error: KafkaConnectionError | None) -> None:
            self.seen.append((name, frame, error))

        return done


def _connection() -> tuple[BrokerConnection, FakeWire]:
    wire = FakeWire()
    conn = BrokerConnection(
        wire,
        host="b1",
        port=9092,
        address="127.0.0.1",
        node_id=1,
        client_id="unit",
        request_timeout=30.0,
        max_in_flight=5,
        max_response_size=1024,
    )
    return conn, wire


def _correlation_id(request_bytes: bytes) -> int:
    # size, api key, api version, then the correlation id.
    (correlation_id,) = struct.unpack_from(">i", request_bytes, 8)
    return int(correlation_id)


def _response(correlation_id: int, body: bytes = b"") -> bytes:
    return struct.pack(">i", correlation_id) + body


async def test_requests_are_written_in_order_and_answered_in_order() -> None:
    conn, wire = _connection()
    outcomes = Outcomes()
    for name in ("a", "b", "c"):
        conn.submit(api_versions_request(3), outcomes.on_done(name))
    assert [_correlation_id(data) for data in wire.written] == [0, 1, 2]
    assert conn.in_flight_count == 3
    for correlation_id in (0, 1):
        conn.frame_received(_response(correlation_id, b"body"))
    assert [(name, frame) for name, frame, _ in outcomes.seen] == [
        ("a", _response(0, b"body")),
        ("b", _response(1, b"body")),
    ]
    assert conn.in_flight_count == 1


async def test_a_one_way_request_is_done_once_written() -> None:
    conn, wire = _connection()
    outcomes = Outcomes()
    conn.submit(api_versions_request(3), outcomes.on_done("oneway"), expect_response=False)
    assert outcomes.seen == [("oneway", b"", None)]
    assert conn.in_flight_count == 0
    assert len(wire.written) == 1


async def test_an_unexpected_correlation_id_ends_the_connection_and_fails_the_rest() -> None:
    conn, wire = _connection()
    outcomes = Outcomes()
    conn.submit(api_versions_request(3), outcomes.on_done("a"))
    conn.submit(api_versions_request(3), outcomes.on_done("b"))
    with pytest.raises(ProtocolError, match="correlation id 1 where 0") as caught:
        conn.frame_received(_response(1))
    # The wire reports its end with the error the frame raised.
    conn.wire_closed(caught.value)
    assert conn.closed
    assert wire.closed
    assert [name for name, _, _ in outcomes.seen] == ["a", "b"]
    assert all(isinstance(error, ProtocolError) for _, _, error in outcomes.seen)
    with pytest.raises(KafkaConnectionError, match="the connection is closed"):
        conn.submit(api_versions_request(3), outcomes.on_done("late"))


async def test_a_response_with_nothing_in_flight_is_refused() -> None:
    conn, _wire = _connection()
    with pytest.raises(ProtocolError, match="while no request was waiting"):
        conn.frame_received(_response(0))


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        (struct.pack(">i", 3), "a frame of 3 bytes"),
        (struct.pack(">i", 1025), "a frame of 1025 bytes"),
        (b"HTTP", "it is an HTTP server"),
        (b"\x15\x03\x03\x00", "looks like a TLS alert"),
    ],
)
async def test_impossible_frame_sizes_are_refused_with_a_reason(
    prefix: bytes, message: str
) -> None:
    conn, _wire = _connection()
    with pytest.raises(ProtocolError, match=message):
        conn.frame_size(prefix)


async def test_frame_sizes_within_the_limit_are_taken() -> None:
    conn, _wire = _connection()
    assert conn.frame_size(struct.pack(">i", 4)) == 4
    assert conn.frame_size(struct.pack(">i", 1024)) == 1024


async def test_a_late_request_closes_the_connection_and_fails_every_request_on_it() -> None:
    conn, _wire = _connection()
    outcomes = Outcomes()
    conn.submit(api_versions_request(3), outcomes.on_done("slow"), request_timeout=1.0)
    conn.submit(api_versions_request(2), outcomes.on_done("other"), request_timeout=10.0)
    deadline = conn.expire_requests(now=0.0)
    assert deadline is not None
    assert conn.expire_requests(now=deadline - 0.001) == deadline
    assert not conn.closed
    assert conn.expire_requests(now=deadline) is None
    assert conn.closed
    assert [name for name, _, _ in outcomes.seen] == ["slow", "other"]
    for _, _, error in outcomes.seen:
        # Each fails because the connection ended; the cause names the late request.
        assert type(error) is KafkaConnectionError
        assert isinstance(error.__cause__, NoResponseError)
        assert str(error.__cause__).startswith("ApiVersions v3 to b1:9092 (node 1) got no response")
