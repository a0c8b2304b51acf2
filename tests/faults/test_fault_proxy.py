"""The fault proxy itself: each fault does what it says, seen from both ends. The upstream is
a small server that answers Produce requests; requests are built by ferrokafka's encoder."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import kafka_wire as wire
import pytest
from fake_broker import ProduceSink, read_frame, recv_exactly
from fault_proxy import Action, Direction, FaultProxy, Rule

from ferrokafka import _native
from ferrokafka.errors import ProtocolError

PRODUCE_VERSION = 9
TIMEOUT = 5.0


@pytest.fixture
def sink() -> Iterator[ProduceSink]:
    server = ProduceSink()
    yield server
    server.close()


@pytest.fixture
def proxy(sink: ProduceSink) -> Iterator[FaultProxy]:
    with FaultProxy(sink.address, name="unit") as p:
        yield p


def produce(correlation_id: int, *, acks: int = -1, partitions: int = 2, size: int = 100) -> bytes:
    batches = [_native.ProduceBatch("t", p, bytes([p]) * size) for p in range(partitions)]
    return _native.encode_produce_request(
        correlation_id, "client", PRODUCE_VERSION, acks, 1000, None, batches
    )


def connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT)
    sock.settimeout(TIMEOUT)
    return sock


def answer(sock: socket.socket) -> tuple[int, list[tuple[str, int, int, int]]]:
    """(correlation id, [(topic, partition, error, base offset)]) of the next response."""
    frame = read_frame(sock)
    assert frame is not None, "the connection ended instead of answering"
    correlation_id = struct.unpack(">i", frame[:4])[0]
    response = _native.decode_produce_response(frame, PRODUCE_VERSION)
    return correlation_id, [
        (p.topic, p.partition, p.error_code, p.base_offset) for p in response.partitions
    ]


def wait_for(condition: object, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def drain(sock: socket.socket) -> None:
    while sock.recv(65536):
        pass


def assert_reset(sock: socket.socket) -> None:
    with pytest.raises(ConnectionResetError):
        drain(sock)


def test_passes_requests_and_responses_in_order(proxy: FaultProxy, sink: ProduceSink) -> None:
    with connect(proxy) as sock:
        for cid in range(3):
            sock.sendall(produce(cid))
        assert [answer(sock)[0] for _ in range(3)] == [0, 1, 2]
    assert [h.correlation_id for h in sink.requests] == [0, 1, 2]
    assert proxy.stats.requests[wire.PRODUCE] == 3


def test_parses_the_produce_request_ferrokafka_encodes() -> None:
    frame = produce(7, acks=1, partitions=3, size=10)
    header, request = wire.parse_produce_request(frame[4:])
    assert (header.api_key, header.api_version, header.correlation_id) == (0, 9, 7)
    assert header.client_id == "client"
    assert request.acks == 1
    assert request.topics == [("t", [(p, bytes([p]) * 10) for p in range(3)])]


def test_latency_delays_each_direction(proxy: FaultProxy) -> None:
    proxy.latency(0.2)
    with connect(proxy) as sock:
        started = time.monotonic()
        sock.sendall(produce(0))
        answer(sock)
        assert time.monotonic() - started >= 0.4


def test_stalled_responses_wait_until_resumed(proxy: FaultProxy, sink: ProduceSink) -> None:
    proxy.stall(Direction.RESPONSES)
    with connect(proxy) as sock:
        sock.sendall(produce(0))
        wait_for(lambda: len(sink.requests) == 1)
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)
        sock.settimeout(TIMEOUT)
        proxy.resume()
        assert answer(sock)[0] == 0


def test_blackhole_accepts_and_never_answers(proxy: FaultProxy, sink: ProduceSink) -> None:
    proxy.blackhole()
    with connect(proxy) as sock:
        sock.sendall(produce(0))
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    assert sink.server.connections == 0
    proxy.blackhole(False)
    with connect(proxy) as sock:
        sock.sendall(produce(1))
        assert answer(sock)[0] == 1


def test_fragmented_writes_arrive_whole_in_partial_reads(
    proxy: FaultProxy, sink: ProduceSink
) -> None:
    proxy.fragment(16)
    with connect(proxy) as sock:
        sock.sendall(produce(0, size=2000))
        assert answer(sock) == (0, [("t", 0, 0, 0), ("t", 1, 0, 1)])
    # The request reached the upstream in several reads, not in one. (How many depends on how
    # fast the upstream reads on a loaded machine: pieces that wait in its buffer merge.)
    assert sink.reads[0] > 1


def test_reset_connections_sends_rst(proxy: FaultProxy) -> None:
    with connect(proxy) as sock:
        sock.sendall(produce(0))
        answer(sock)
        assert proxy.reset_connections() == 1
        assert_reset(sock)


def test_refuse_closes_the_port_until_accept(proxy: FaultProxy) -> None:
    proxy.refuse()
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)
    proxy.accept()
    with connect(proxy) as sock:
        sock.sendall(produce(0))
        assert answer(sock)[0] == 0


def test_answer_error_keeps_response_order(proxy: FaultProxy, sink: ProduceSink) -> None:
    rule = proxy.add_rule(Rule(Action.ANSWER_ERROR, error_code=wire.NOT_LEADER_OR_FOLLOWER, skip=1))
    # The upstream answers request 0 late: the proxy's answer to request 1 must wait for it.
    proxy.latency(0.2, Direction.RESPONSES)
    with connect(proxy) as sock:
        sock.sendall(produce(0) + produce(1) + produce(2))
        first, second, third = answer(sock), answer(sock), answer(sock)
    assert first == (0, [("t", 0, 0, 0), ("t", 1, 0, 1)])
    assert second == (1, [("t", 0, 6, -1), ("t", 1, 6, -1)])
    assert third == (2, [("t", 0, 0, 2), ("t", 1, 0, 3)])
    assert rule.fired == 1
    assert [h.correlation_id for h in sink.requests] == [0, 2]


def test_acks_zero_requests_are_owed_nothing(proxy: FaultProxy, sink: ProduceSink) -> None:
    with connect(proxy) as sock:
        sock.sendall(produce(0, acks=0) + produce(1))
        assert answer(sock)[0] == 1
    assert len(sink.requests) == 2


def test_reset_mid_request(proxy: FaultProxy, sink: ProduceSink) -> None:
    proxy.add_rule(Rule(Action.RESET_MID_REQUEST))
    request = produce(0, size=1000)
    with connect(proxy) as sock:
        sock.sendall(request)
        assert_reset(sock)
    wait_for(lambda: sink.received and sink.received[0] == len(request) // 2)
    assert sink.requests == []


def test_reset_after_request_loses_the_response(proxy: FaultProxy, sink: ProduceSink) -> None:
    proxy.add_rule(Rule(Action.RESET_AFTER_REQUEST))
    with connect(proxy) as sock:
        sock.sendall(produce(0))
        assert_reset(sock)
    assert len(sink.requests) == 1


def test_stall_after_request(proxy: FaultProxy, sink: ProduceSink) -> None:
    proxy.add_rule(Rule(Action.STALL_AFTER_REQUEST))
    with connect(proxy) as sock:
        sock.sendall(produce(0))
        wait_for(lambda: len(sink.requests) == 1)
        sock.sendall(produce(1))
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    # What followed the stalled request never reached the broker.
    assert len(sink.requests) == 1


def test_truncated_response_then_close(proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(Action.TRUNCATE_RESPONSE))
    with connect(proxy) as sock:
        sock.sendall(produce(0))
        size = struct.unpack(">i", recv_exactly(sock, 4) or b"")[0]
        assert recv_exactly(sock, size) is None


def test_corrupt_response_is_framed_but_undecodable(proxy: FaultProxy) -> None:
    proxy.add_rule(Rule(Action.CORRUPT_RESPONSE))
    with connect(proxy) as sock:
        sock.sendall(produce(5))
        frame = read_frame(sock)
        assert frame is not None
        assert struct.unpack(">i", frame[:4])[0] == 5
        with pytest.raises(ProtocolError):
            _native.decode_produce_response(frame, PRODUCE_VERSION)
        # The rule acted once: the next response is whole again.
        sock.sendall(produce(6))
        assert answer(sock)[0] == 6


def test_broker_down_resets_the_client(sink: ProduceSink) -> None:
    sink.close()

    def exchange(proxy: FaultProxy) -> None:
        # The reset may come before connect() returns, or at the first read.
        with connect(proxy) as sock:
            sock.sendall(produce(0))
            sock.recv(1)

    with FaultProxy(sink.address) as proxy, pytest.raises(ConnectionResetError):
        exchange(proxy)


def test_tap_sees_whole_frames_both_ways(proxy: FaultProxy) -> None:
    seen: list[tuple[Direction, bytes]] = []
    proxy.tap = lambda direction, frame: seen.append((direction, frame))
    request = produce(3)
    with connect(proxy) as sock:
        sock.sendall(request)
        answer(sock)
    assert seen[0] == (Direction.REQUESTS, request)
    assert seen[1][0] is Direction.RESPONSES
    assert struct.unpack(">ii", seen[1][1][:8]) == (len(seen[1][1]) - 4, 3)


def test_connection_tap_names_each_connection(proxy: FaultProxy) -> None:
    # Correlation ids are numbered per connection: two connections may use the same one.
    seen: list[tuple[int, Direction]] = []
    proxy.connection_tap = lambda connection, direction, _frame: seen.append(
        (connection, direction)
    )
    with connect(proxy) as first, connect(proxy) as second:
        for sock in (first, second):
            sock.sendall(produce(7))
            assert answer(sock)[0] == 7
    connections = sorted({connection for connection, _ in seen})
    assert len(connections) == 2
    for connection in connections:
        assert [d for c, d in seen if c == connection] == [Direction.REQUESTS, Direction.RESPONSES]
