"""KIP-368 re-authentication on one connection, over a fake wire: requests submitted while the
session is renewed wait, nothing in flight is failed or reordered, and the SASL exchange runs
only once the in-flight requests are answered. (Against Kafka: test_sasl_kafka.py.)"""

from __future__ import annotations

import asyncio
import socket
import struct
import time

import anyio
import pytest

from ferrokafka._connection import BrokerConnection, KafkaConnectionError
from ferrokafka._native import VersionRange
from ferrokafka._requests import api_versions_request
from ferrokafka._sasl.authenticator import SaslAuthenticator
from ferrokafka._sasl.mechanisms import PlainMechanism
from ferrokafka.errors import SaslAuthenticationFailedError, UnsupportedSaslMechanismError

SASL_HANDSHAKE = 17
API_VERSIONS = 18
SASL_AUTHENTICATE = 36
SESSION_MS = 200


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


class FakeSaslWire:
    """Records what the connection writes; answers SASL requests by itself (a broker with a
    PLAIN user alice/right and ``SESSION_MS`` sessions), other requests when the test says."""

    def __init__(self) -> None:
        self.written: list[tuple[int, int]] = []  # (api key, correlation id)
        self.unanswered: list[int] = []
        self.sink: BrokerConnection | None = None
        self.closed = False
        self.mechanisms = ["PLAIN", "SCRAM-SHA-256"]
        # (count, event): set once that many requests are written.
        self._waiters: list[tuple[int, anyio.Event]] = []

    # the Wire protocol
    def attach(self, sink: BrokerConnection, name: str) -> None:
        self.sink = sink

    def write(self, data: bytes) -> None:
        api_key, _version, correlation_id = struct.unpack(">hhi", data[4:12])
        self.written.append((api_key, correlation_id))
        for count, event in self._waiters:
            if len(self.written) >= count:
                event.set()
        if api_key == SASL_HANDSHAKE:
            body = struct.pack(">hi", 0, len(self.mechanisms))
            body += b"".join(_string(m) for m in self.mechanisms)
            if not any(data.endswith(_string(m)) for m in self.mechanisms):
                body = struct.pack(">h", 33) + body[2:]
            self._answer_soon(correlation_id, body)
        elif api_key == SASL_AUTHENTICATE:
            ok = data.endswith(b"\0alice\0right")
            error = struct.pack(">h", 0 if ok else 58)
            message = struct.pack(">h", -1) if ok else _string("Invalid username or password")
            body = error + message + struct.pack(">i", 0) + struct.pack(">q", SESSION_MS)
            self._answer_soon(correlation_id, body)
        else:
            self.unanswered.append(correlation_id)

    def close(self) -> None:
        self.closed = True

    async def drain(self) -> None:
        pass

    async def join(self) -> None:
        pass

    def raw_socket(self) -> socket.socket | None:
        return None

    # the test's side
    async def wait_written(self, count: int) -> None:
        event = anyio.Event()
        self._waiters.append((count, event))
        if len(self.written) >= count:
            event.set()
        with anyio.fail_after(5):
            await event.wait()

    def answer_oldest(self) -> None:
        correlation_id = self.unanswered.pop(0)
        assert self.sink is not None
        self.sink.frame_received(struct.pack(">i", correlation_id) + b"\0\0")

    def _answer_soon(self, correlation_id: int, body: bytes) -> None:
        def deliver() -> None:
            assert self.sink is not None
            if not self.closed:
                self.sink.frame_received(struct.pack(">i", correlation_id) + body)

        asyncio.get_running_loop().call_soon(deliver)


def _connection(wire: FakeSaslWire) -> BrokerConnection:
    conn = BrokerConnection(
        wire,
        host="fake",
        port=9092,
        address="127.0.0.1",
        node_id=1,
        client_id="reauth-test",
        request_timeout=5.0,
        max_in_flight=5,
        max_response_size=1 << 20,
    )
    conn.api_versions = {
        SASL_HANDSHAKE: VersionRange(1, 1),
        SASL_AUTHENTICATE: VersionRange(0, 1),
        API_VERSIONS: VersionRange(0, 3),
    }
    return conn


def _kinds(wire: FakeSaslWire) -> list[int]:
    return [api_key for api_key, _ in wire.written]


async def test_renewal_waits_for_in_flight_and_holds_new_requests_in_order() -> None:
    wire = FakeSaslWire()
    conn = _connection(wire)
    authenticator = SaslAuthenticator(PlainMechanism("alice", "right"), rng=lambda: 0.0)
    await conn.authenticate(authenticator, 5.0)
    assert _kinds(wire) == [SASL_HANDSHAKE, SASL_AUTHENTICATE]
    done: list[str] = []

    def submit(name: str) -> None:
        conn.submit(
            api_versions_request(0),
            lambda frame, error: done.append(name if error is None else f"{name} failed"),
        )

    submit("a")
    submit("b")
    await anyio.sleep(SESSION_MS * 0.85 / 1000 + 0.05)  # past the renewal time
    submit("c")
    submit("d")
    await anyio.sleep(0.05)
    # c and d wait; the renewal waits for a and b.
    assert _kinds(wire)[2:] == [API_VERSIONS, API_VERSIONS]
    wire.answer_oldest()
    await anyio.sleep(0.05)
    assert _kinds(wire)[2:] == [API_VERSIONS, API_VERSIONS]
    wire.answer_oldest()
    await wire.wait_written(8)
    assert _kinds(wire)[4:] == [SASL_HANDSHAKE, SASL_AUTHENTICATE, API_VERSIONS, API_VERSIONS]
    wire.answer_oldest()
    wire.answer_oldest()
    assert done == ["a", "b", "c", "d"]
    assert authenticator.counts.successful == 1
    assert authenticator.counts.successful_reauthentication == 1
    await conn.close()


async def test_failed_renewal_fails_held_requests_as_a_lost_connection() -> None:
    wire = FakeSaslWire()
    conn = _connection(wire)
    mechanism = PlainMechanism("alice", "right")
    authenticator = SaslAuthenticator(mechanism, rng=lambda: 0.0)
    await conn.authenticate(authenticator, 5.0)
    mechanism._password = "changed"  # the broker no longer accepts it
    await anyio.sleep(SESSION_MS / 1000)
    errors: list[BaseException | None] = []
    ended = anyio.Event()

    def on_done(frame: bytes | None, error: KafkaConnectionError | None) -> None:
        errors.append(error)
        ended.set()

    conn.submit(api_versions_request(0), on_done)
    with anyio.fail_after(5):
        await ended.wait()
    assert isinstance(errors[0], KafkaConnectionError)
    assert "re-authentication" in str(errors[0])
    assert "changed" not in str(errors[0])
    assert conn.closed
    assert authenticator.counts.failed_reauthentication == 1
    await conn.close()


async def test_wrong_password_and_unsupported_mechanism() -> None:
    wire = FakeSaslWire()
    conn = _connection(wire)
    authenticator = SaslAuthenticator(PlainMechanism("alice", "not-the-password"))
    with pytest.raises(SaslAuthenticationFailedError) as info:
        await conn.authenticate(authenticator, 5.0)
    text = str(info.value)
    assert "SASL/PLAIN authentication with fake:9092 (node 1) failed" in text
    assert "Invalid username or password" in text
    assert "not-the-password" not in text

    wire = FakeSaslWire()
    wire.mechanisms = ["SCRAM-SHA-512"]
    conn = _connection(wire)
    with pytest.raises(UnsupportedSaslMechanismError, match="enables: SCRAM-SHA-512"):
        await conn.authenticate(authenticator, 5.0)


def test_renewal_time_is_85_to_95_percent_of_the_session() -> None:
    low = SaslAuthenticator(PlainMechanism("a", "b"), rng=lambda: 0.0)
    high = SaslAuthenticator(PlainMechanism("a", "b"), rng=lambda: 1.0)
    start = time.monotonic()
    assert low.renewal_time(start, 10_000) == pytest.approx(start + 8.5)
    assert high.renewal_time(start, 10_000) == pytest.approx(start + 9.5)
    assert low.renewal_time(start, 0) is None
