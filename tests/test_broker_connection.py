"""`BrokerConnection`: framing, version negotiation, pipelining, timeouts and failures.

Against the real broker: negotiation agrees with Kafka's own `BrokerApiVersionsCommand`,
pipelined requests all come back, bootstrap fails over. Peers that are not Kafka brokers (a
closed port, an HTTP server, a silent one, one that sends garbage) and broker misbehaviour a
real broker cannot be made to show (wrong correlation ids, malformed responses, an old
ApiVersions) come from small socket servers in this file. Every test runs under asyncio and trio.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest

from ferrokafka._connect import connect, connect_any
from ferrokafka._connection import (
    BrokerAddress,
    KafkaConnectionError,
    NoCommonVersionError,
    NoResponseError,
    parse_bootstrap_servers,
)
from ferrokafka._native import VersionRange
from ferrokafka._requests import SUPPORTED_VERSIONS, ApiKey, metadata_request
from ferrokafka.cluster import describe_cluster
from ferrokafka.errors import ConfigError, ProtocolError

API_VERSIONS, METADATA = 18, 3


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(backend: str, fn: Callable[[], Awaitable[None]]) -> None:
    anyio.run(fn, backend=backend)


def host_port(bootstrap_servers: str) -> tuple[str, int]:
    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    return host, int(port)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- small servers that are not (quite) Kafka -----------------------------------------------


def recv_exactly(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_request(conn: socket.socket) -> tuple[int, int, int] | None:
    """``(api_key, api_version, correlation_id)`` of the next request, None at EOF."""
    size = recv_exactly(conn, 4)
    if size is None:
        return None
    body = recv_exactly(conn, struct.unpack(">i", size)[0])
    if body is None:
        return None
    api_key, version, correlation_id = struct.unpack(">hhi", body[:8])
    return api_key, version, correlation_id


def frame(correlation_id: int, body: bytes) -> bytes:
    payload = struct.pack(">i", correlation_id) + body
    return struct.pack(">i", len(payload)) + payload


def api_versions_body(error: int, ranges: list[tuple[int, int, int]], version: int) -> bytes:
    """ApiVersions response body, v0..v2 (classic encoding)."""
    body = struct.pack(">hi", error, len(ranges))
    body += b"".join(struct.pack(">hhh", *r) for r in ranges)
    return body + (struct.pack(">i", 0) if version >= 1 else b"")


def metadata_v4_body(port: int) -> bytes:
    """One broker ("fake", no rack), no cluster id, controller 1, no topics."""
    host = b"fake"
    broker = struct.pack(">ih", 1, len(host)) + host + struct.pack(">ih", port, -1)
    return struct.pack(">ii", 0, 1) + broker + struct.pack(">hii", -1, 1, 0)


class FakeServer:
    """A listener on 127.0.0.1 that runs ``handler(conn)`` in a thread per connection."""

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.handler = handler
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.address = f"127.0.0.1:{self.port}"
        self.closed_by_client = threading.Event()
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            t = threading.Thread(target=self._run, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _run(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(20)
            try:
                self.handler(conn)
                # Whatever the client does next, it must end with closing the socket.
                while conn.recv(65536):
                    pass
                self.closed_by_client.set()
            except TimeoutError:
                pass
            except OSError:
                self.closed_by_client.set()
            except BaseException as exc:
                self.errors.append(exc)

    def close(self) -> None:
        self.listener.close()
        for t in self._threads:
            t.join(timeout=5)


@pytest.fixture
def fake() -> Iterator[Callable[[Callable[[socket.socket], None]], FakeServer]]:
    servers: list[FakeServer] = []

    def start(handler: Callable[[socket.socket], None]) -> FakeServer:
        server = FakeServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
    for server in servers:
        assert not server.errors, server.errors


def old_broker(conn: socket.socket, *, then: Callable[[socket.socket], None] | None = None) -> None:
    """A broker that knows ApiVersions v0..2 and Metadata v0..4 only."""
    request = read_request(conn)
    assert request is not None
    api_key, version, correlation_id = request
    assert (api_key, version) == (API_VERSIONS, 4)
    # A newer ApiVersions than it knows: the v0 answer with UNSUPPORTED_VERSION and its range.
    conn.sendall(frame(correlation_id, api_versions_body(35, [(API_VERSIONS, 0, 2)], 0)))
    request = read_request(conn)
    assert request is not None
    api_key, version, correlation_id = request
    assert (api_key, version) == (API_VERSIONS, 2)
    ranges = [(API_VERSIONS, 0, 2), (METADATA, 0, 4)]
    conn.sendall(frame(correlation_id, api_versions_body(0, ranges, 2)))
    if then is not None:
        then(conn)


# ---- against the real broker --------------------------------------------------------------


TOOL_LINE = re.compile(r"^\s*(\w+)\((\d+)\): (\d+) to (\d+)")


def test_negotiated_versions_agree_with_kafka_tools(kafka: Any, backend: str) -> None:
    tool = kafka.run_tool(
        "org.apache.kafka.tools.BrokerApiVersionsCommand",
        ["--bootstrap-server", kafka.bootstrap_servers],
        timeout=120,
    )
    assert tool.returncode == 0, tool.stderr
    reported = {
        int(m[2]): (int(m[3]), int(m[4]))
        for line in tool.stdout.splitlines()
        if (m := TOOL_LINE.match(line))
    }
    assert len(reported) > 20

    async def main() -> None:
        host, port = host_port(kafka.bootstrap_servers)
        conn = await connect(host, port, client_id="versions-test")
        try:
            assert {
                k: (v.min_version, v.max_version)
                for k, v in conn.api_versions.items()
                if k in reported
            } == reported
            for api_key, ours in SUPPORTED_VERSIONS.items():
                theirs_lo, theirs_hi = reported[api_key]
                assert conn.api_version(api_key) == min(ours.max_version, theirs_hi)
                assert conn.api_version(api_key) >= max(ours.min_version, theirs_lo)
            assert "transaction.version" in conn.finalized_features
        finally:
            await conn.close()
        assert conn.closed

    run(backend, main)


def test_pipelined_requests_all_answered(kafka: Any, backend: str) -> None:
    topic = kafka.create_topic(f"conn-{uuid.uuid4().hex[:8]}", partitions=3)

    async def main() -> None:
        host, port = host_port(kafka.bootstrap_servers)
        conn = await connect(host, port, max_in_flight=4)
        version = conn.api_version(ApiKey.METADATA)
        results: list[int] = []

        async def ask() -> None:
            result = await conn.request(metadata_request(version, [topic]))
            results.append(len(result.topics[0].partitions))

        async with anyio.create_task_group() as tg:
            for _ in range(40):
                tg.start_soon(ask)
        assert results == [3] * 40
        assert conn.in_flight_count == 0
        await conn.close()

    run(backend, main)


def test_bad_request_leaves_connection_usable(kafka: Any, backend: str) -> None:
    async def main() -> None:
        host, port = host_port(kafka.bootstrap_servers)
        conn = await connect(host, port)
        # A version the codec does not implement: refused before anything is written, as the
        # caller's mistake (ValueError), not the broker's (ProtocolError).
        with pytest.raises(ValueError, match="Metadata v3 is not implemented") as refused:
            await conn.request(metadata_request(3, ["x"], allow_auto_topic_creation=False))
        assert not isinstance(refused.value, ProtocolError)
        result = await conn.request(metadata_request(conn.api_version(ApiKey.METADATA), None))
        assert result.brokers
        with pytest.raises(NoCommonVersionError, match=r"no common Metadata version"):
            conn.api_version(ApiKey.METADATA, 20, 30)
        await conn.close()

    run(backend, main)


def test_bootstrap_fails_over_and_tries_every_address(
    kafka: Any, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, port = host_port(kafka.bootstrap_servers)
    real_getaddrinfo = anyio.getaddrinfo

    async def two_addresses(name: str, port: int, **kwargs: Any) -> Any:
        if name != "broker.test":
            return await real_getaddrinfo(name, port, **kwargs)
        # Nothing listens on 127.0.0.2: the first address is refused, the second works.
        info = (socket.AF_INET, socket.SOCK_STREAM, 6, "")
        return [(*info, ("127.0.0.2", port)), (*info, (host, port))]

    monkeypatch.setattr(anyio, "getaddrinfo", two_addresses)

    async def main() -> None:
        servers = parse_bootstrap_servers(f"127.0.0.1:{closed_port()}, broker.test:{port}")
        conn = await connect_any(servers, connect_timeout=5)
        assert (conn.host, conn.address) == ("broker.test", host)
        await conn.close()

        with pytest.raises(KafkaConnectionError) as info:
            await connect_any(
                parse_bootstrap_servers(f"127.0.0.1:{closed_port()},no-such-host.invalid:9092"),
                connect_timeout=5,
            )
        message = str(info.value)
        assert message.startswith("could not connect to any bootstrap server")
        assert "refused" in message
        assert "no-such-host.invalid:9092: cannot resolve" in message

    run(backend, main)


# ---- peers that are not Kafka brokers -------------------------------------------------------


def test_closed_port_fails_fast(backend: str) -> None:
    async def main() -> None:
        port = closed_port()
        started = time.monotonic()
        with pytest.raises(KafkaConnectionError, match=rf"could not connect to 127.0.0.1:{port}"):
            await connect("127.0.0.1", port, connect_timeout=10)
        assert time.monotonic() - started < 5

    run(backend, main)


def test_http_server_is_named(backend: str, fake: Any) -> None:
    def http(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    server = fake(http)

    async def main() -> None:
        with pytest.raises(ProtocolError, match="HTTP server, not a Kafka broker"):
            await connect("127.0.0.1", server.port, connect_timeout=10)

    run(backend, main)
    assert server.closed_by_client.wait(5)


def test_garbage_is_a_protocol_error(backend: str, fake: Any) -> None:
    def garbage(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"\xde\xad\xbe\xef" * 64)

    server = fake(garbage)

    async def main() -> None:
        with pytest.raises(ProtocolError, match="is it a Kafka broker"):
            await connect("127.0.0.1", server.port, connect_timeout=10)

    run(backend, main)
    assert server.closed_by_client.wait(5)


def test_silent_server_times_out_and_is_closed(backend: str, fake: Any) -> None:
    server = fake(lambda conn: None)

    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(
            NoResponseError,
            match=r"did not answer ApiVersions within the connect timeout \(1 s\)",
        ):
            await connect("127.0.0.1", server.port, connect_timeout=1)
        assert time.monotonic() - started < 10

    run(backend, main)
    assert server.closed_by_client.wait(5)


def test_describe_cluster_on_silent_server_returns_within_timeout(backend: str, fake: Any) -> None:
    server = fake(lambda conn: None)

    async def main() -> None:
        started = time.monotonic()
        with pytest.raises(KafkaConnectionError):
            await describe_cluster(server.address, timeout=1.5)
        assert time.monotonic() - started < 10

    run(backend, main)
    assert server.closed_by_client.wait(5)


def test_server_hanging_up_is_a_connection_error(backend: str, fake: Any) -> None:
    def hang_up(conn: socket.socket) -> None:
        conn.shutdown(socket.SHUT_RDWR)

    server = fake(hang_up)

    async def main() -> None:
        with pytest.raises(KafkaConnectionError, match="closed the connection"):
            await connect("127.0.0.1", server.port, connect_timeout=10)

    run(backend, main)


# ---- broker misbehaviour ------------------------------------------------------------------


def test_old_api_versions_is_downgraded(backend: str, fake: Any) -> None:
    server = fake(old_broker)

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10)
        assert conn.api_versions == {
            API_VERSIONS: VersionRange(0, 2),
            METADATA: VersionRange(min_version=0, max_version=4),
        }
        assert conn.api_version(ApiKey.METADATA) == 4
        with pytest.raises(NoCommonVersionError, match="does not support Produce"):
            conn.api_version(ApiKey.PRODUCE)
        await conn.close()

    run(backend, main)


def test_in_flight_limit_and_pipelining(backend: str, fake: Any) -> None:
    seen_outstanding: list[int] = []

    def answer_in_threes(conn: socket.socket) -> None:
        # Reads three requests before answering any: a client that did not pipeline would
        # stall here, and a fourth request inside the window means the limit was not kept.
        while True:
            batch = []
            for _ in range(3):
                request = read_request(conn)
                if request is None:
                    return
                batch.append(request)
            conn.settimeout(0.3)
            try:
                extra = conn.recv(1)
            except TimeoutError:
                extra = b""
            conn.settimeout(20)
            seen_outstanding.append(len(batch) + (1 if extra else 0))
            for _, _, correlation_id in batch:
                conn.sendall(frame(correlation_id, metadata_v4_body(9092)))
            if extra:
                return

    server = fake(lambda conn: old_broker(conn, then=answer_in_threes))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10, max_in_flight=3)
        results = []

        async def ask() -> None:
            result = await conn.request(metadata_request(4, None))
            results.append(result.brokers[0].host)

        async with anyio.create_task_group() as tg:
            for _ in range(9):
                tg.start_soon(ask)
        assert results == ["fake"] * 9
        await conn.close()

    run(backend, main)
    assert seen_outstanding == [3, 3, 3]


def test_wrong_correlation_id_fails_every_request(backend: str, fake: Any) -> None:
    def wrong_id(conn: socket.socket) -> None:
        first = read_request(conn)
        second = read_request(conn)
        assert first is not None
        assert second is not None
        conn.sendall(frame(second[2], metadata_v4_body(9092)))

    server = fake(lambda conn: old_broker(conn, then=wrong_id))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10)
        errors: list[BaseException] = []

        async def ask() -> None:
            try:
                await conn.request(metadata_request(4, None))
            except KafkaConnectionError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(ask)
            tg.start_soon(ask)
        assert len(errors) == 2
        assert all(isinstance(e, ProtocolError) for e in errors)
        assert "correlation id" in str(errors[0])
        assert conn.closed
        with pytest.raises(KafkaConnectionError, match="the connection is closed"):
            await conn.request(metadata_request(4, None))

    run(backend, main)
    assert server.closed_by_client.wait(5)


def test_malformed_response_closes_the_connection(backend: str, fake: Any) -> None:
    def malformed(conn: socket.socket) -> None:
        request = read_request(conn)
        assert request is not None
        conn.sendall(frame(request[2], b"\x00\x00\x00\x05\x00"))

    server = fake(lambda conn: old_broker(conn, then=malformed))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10)
        with pytest.raises(ProtocolError, match="malformed Metadata v4 response"):
            await conn.request(metadata_request(4, None))
        assert conn.closed

    run(backend, main)
    assert server.closed_by_client.wait(5)


def test_request_timeout_fails_the_others_and_closes(backend: str, fake: Any) -> None:
    server = fake(lambda conn: old_broker(conn, then=lambda c: None))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10, request_timeout=30)
        outcomes: dict[str, BaseException] = {}

        async def ask(name: str, limit: float | None) -> None:
            try:
                await conn.request(metadata_request(4, None), request_timeout=limit)
            except KafkaConnectionError as exc:
                outcomes[name] = exc

        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(ask, "slow", None)
            await anyio.sleep(0.05)
            tg.start_soon(ask, "fast", 0.5)
        assert time.monotonic() - started < 10
        assert type(outcomes["fast"]) is NoResponseError
        assert "no response within 0.5 s" in str(outcomes["fast"])
        assert type(outcomes["slow"]) is KafkaConnectionError
        assert "failed" in str(outcomes["slow"])
        assert conn.closed

    run(backend, main)
    assert server.closed_by_client.wait(5)


def test_connection_loss_fails_requests_in_flight(backend: str, fake: Any) -> None:
    def drop_after_request(conn: socket.socket) -> None:
        read_request(conn)
        conn.shutdown(socket.SHUT_RDWR)

    server = fake(lambda conn: old_broker(conn, then=drop_after_request))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10)
        with pytest.raises(KafkaConnectionError, match="closed the connection"):
            await conn.request(metadata_request(4, None))
        assert conn.closed

    run(backend, main)


def test_oneway_requests_expect_no_answer(backend: str, fake: Any) -> None:
    received = []

    def record(conn: socket.socket) -> None:
        for _ in range(2):
            received.append(read_request(conn))

    server = fake(lambda conn: old_broker(conn, then=record))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10)
        await conn.send_oneway(metadata_request(4, None))
        await conn.send_oneway(metadata_request(4, None))
        assert conn.in_flight_count == 0
        await conn.close()

    run(backend, main)
    assert server.closed_by_client.wait(5)
    assert [r[:2] for r in received if r] == [(METADATA, 4), (METADATA, 4)]


# ---- parsing -----------------------------------------------------------------------------


def test_parse_bootstrap_servers() -> None:
    assert parse_bootstrap_servers("a:1, b:2,,c:3") == [
        BrokerAddress("a", 1),
        BrokerAddress("b", 2),
        BrokerAddress("c", 3),
    ]
    assert parse_bootstrap_servers(["[::1]:9092"]) == [BrokerAddress("::1", 9092)]
    assert str(BrokerAddress("::1", 9092)) == "[::1]:9092"
    for bad in ["", "host", "host:", "host:0", "host:http", ":9092", "PLAIN TEXT://c:3"]:
        with pytest.raises(ConfigError, match="bootstrap") as info:
            parse_bootstrap_servers(bad)
        assert info.value.option == "bootstrap_servers"
    assert parse_bootstrap_servers("PLAINTEXT://c:3") == [BrokerAddress("c", 3)]
    with pytest.raises(ConfigError, match="names SASL_SSL but security_protocol='SSL'"):
        parse_bootstrap_servers("SASL_SSL://c:3", "SSL")


def test_submitted_requests_keep_their_order_and_complete_by_callback(
    backend: str, fake: Any
) -> None:
    seen: list[int] = []

    def answer_each(conn: socket.socket) -> None:
        for _ in range(6):
            request = read_request(conn)
            assert request is not None
            seen.append(request[2])
            conn.sendall(frame(request[2], metadata_v4_body(9092)))

    server = fake(lambda conn: old_broker(conn, then=answer_each))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10)
        done: list[tuple[int, int]] = []
        finished = anyio.Event()

        def callback(index: int) -> Callable[[bytes | None, KafkaConnectionError | None], None]:
            def on_done(frame: bytes | None, error: KafkaConnectionError | None) -> None:
                assert error is None
                assert frame is not None
                done.append((index, struct.unpack(">i", frame[:4])[0]))
                if len(done) == 6:
                    finished.set()

            return on_done

        # Submitted in one turn of the loop: written together, answered in order.
        for index in range(6):
            conn.submit(metadata_request(4, None), callback(index))
        with anyio.fail_after(10):
            await finished.wait()
        assert [index for index, _ in done] == list(range(6))
        assert [correlation_id for _, correlation_id in done] == seen
        assert seen == sorted(seen)
        assert conn.in_flight_count == 0
        await conn.close()

    run(backend, main)


def test_submitted_request_past_its_timeout_closes_the_connection(backend: str, fake: Any) -> None:
    server = fake(lambda conn: old_broker(conn, then=lambda c: None))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10)
        errors: list[KafkaConnectionError | None] = []
        conn.submit(
            metadata_request(4, None),
            lambda frame, error: errors.append(error),
            request_timeout=0.2,
        )
        conn.submit(metadata_request(4, None), lambda frame, error: errors.append(error))
        deadline = conn.expire_requests()
        assert deadline is not None
        assert deadline - time.monotonic() < 0.3
        assert not errors
        await anyio.sleep(0.3)
        assert conn.expire_requests() is None
        assert conn.closed
        assert len(errors) == 2
        assert all(type(e) is KafkaConnectionError for e in errors)
        assert "no response within" in str(errors[0])
        with pytest.raises(KafkaConnectionError, match="the connection is closed"):
            conn.submit(metadata_request(4, None), lambda frame, error: None)

    run(backend, main)
    assert server.closed_by_client.wait(5)


def test_oneway_submission_completes_once_handed_over(backend: str, fake: Any) -> None:
    received = []

    def record(conn: socket.socket) -> None:
        received.append(read_request(conn))

    server = fake(lambda conn: old_broker(conn, then=record))

    async def main() -> None:
        conn = await connect("127.0.0.1", server.port, connect_timeout=10)
        written = anyio.Event()
        outcome: list[tuple[bytes | None, KafkaConnectionError | None]] = []

        def on_done(frame: bytes | None, error: KafkaConnectionError | None) -> None:
            outcome.append((frame, error))
            written.set()

        conn.submit(metadata_request(4, None), on_done, expect_response=False)
        with anyio.fail_after(10):
            await written.wait()
        assert outcome == [(b"", None)]
        assert conn.in_flight_count == 0
        await conn.close()

    run(backend, main)
    # The fake broker reads in its own thread, possibly after the client has finished.
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert received
    assert received[0] is not None
