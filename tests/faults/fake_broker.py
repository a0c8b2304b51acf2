"""Small in-process servers on 127.0.0.1 that speak just enough Kafka for the tests: an
upstream that answers every Produce request (for the proxy's own tests), and a fake broker
for the failures a real one cannot be made to show on demand (an advertised host that does
not resolve, a TLS listener that never answers).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from collections.abc import Callable

import kafka_wire as wire


def recv_exactly(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(conn: socket.socket) -> bytes | None:
    """The next frame without its size prefix; None at the end of the stream."""
    prefix = recv_exactly(conn, 4)
    if prefix is None:
        return None
    return recv_exactly(conn, struct.unpack(">i", prefix)[0])


class ThreadedServer:
    """A listener whose connections are each handled by ``handler(conn)`` in a thread."""

    def __init__(
        self,
        handler: Callable[[socket.socket], None],
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.ssl_context = ssl_context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.connections = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, raw: socket.socket) -> None:
        conn = raw
        try:
            if self.ssl_context is not None:
                conn = self.ssl_context.wrap_socket(raw, server_side=True)
            self.handler(conn)
        except (OSError, ValueError, ssl.SSLError):
            pass
        finally:
            with self._lock:
                self._open.discard(raw)
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ProduceSink:
    """An upstream for the proxy's tests: answers every Produce request with success (base
    offsets counting up) and any other request with an empty body; records what it got."""

    def __init__(self) -> None:
        self.requests: list[wire.RequestHeader] = []
        #: Bytes received per connection, complete frames or not.
        self.received: list[int] = []
        #: recv() calls per connection: more calls than frames means partial reads.
        self.reads: list[int] = []
        self.next_offset = 0
        self.server = ThreadedServer(self._handle)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.server.port)

    def close(self) -> None:
        self.server.close()

    def _handle(self, conn: socket.socket) -> None:
        index = len(self.received)
        self.received.append(0)
        self.reads.append(0)
        buffer = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            self.received[index] += len(chunk)
            self.reads[index] += 1
            buffer += chunk
            while len(buffer) >= 4 and len(buffer) >= 4 + struct.unpack(">i", buffer[:4])[0]:
                size = struct.unpack(">i", buffer[:4])[0]
                frame, buffer = buffer[4 : 4 + size], buffer[4 + size :]
                answer = self._answer(frame)
                if answer is not None:
                    conn.sendall(answer)

    def _answer(self, frame: bytes) -> bytes | None:
        header = wire.request_header(frame)
        self.requests.append(header)
        if header.api_key != wire.PRODUCE:
            return wire.response_frame(
                header.api_key, header.api_version, header.correlation_id, b""
            )
        _, request = wire.parse_produce_request(frame)
        if request.acks == 0:
            return None
        topics = []
        for name, partitions in request.topics:
            answered = []
            for partition, _ in partitions:
                answered.append((partition, 0, self.next_offset))
                self.next_offset += 1
            topics.append((name, answered))
        body = wire.produce_response_body(header.api_version, topics)
        return wire.response_frame(wire.PRODUCE, header.api_version, header.correlation_id, body)


class FakeBroker:
    """One Kafka node in a cluster of its own making: answers ApiVersions (v0, offering only
    the classic versions it implements), Metadata v4 with the brokers and leaders it is given,
    InitProducerId v0, and Produce v3 with success. Optionally behind TLS."""

    def __init__(
        self,
        *,
        topic: str = "t",
        partitions: int = 1,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.topic = topic
        self.partitions = partitions
        self.node_id = 1
        #: ``[(node_id, host, port)]``; defaults to this broker alone.
        self.brokers: list[tuple[int, str, int]] | None = None
        #: Leader of every partition.
        self.leader = 1
        self.produced = 0
        self.server = ThreadedServer(self._handle, ssl_context=ssl_context)
        self.address = self.server.address

    def close(self) -> None:
        self.server.close()

    def _handle(self, conn: socket.socket) -> None:
        while (frame := read_frame(conn)) is not None:
            header = wire.request_header(frame)
            body = self._answer(header, frame)
            if body is not None:
                conn.sendall(
                    wire.response_frame(
                        header.api_key, header.api_version, header.correlation_id, body
                    )
                )

    def _answer(self, header: wire.RequestHeader, frame: bytes) -> bytes | None:
        key, version = header.api_key, header.api_version
        if key == wire.API_VERSIONS:
            ranges = [
                (wire.PRODUCE, 3, 3),
                (wire.METADATA, 4, 4),
                (wire.API_VERSIONS, 0, 0),
                (wire.INIT_PRODUCER_ID, 0, 0),
            ]
            error = wire.UNSUPPORTED_VERSION if version > 0 else 0
            return wire.api_versions_v0_body(error, ranges)
        if key == wire.METADATA:
            brokers = self.brokers or [(self.node_id, "127.0.0.1", self.server.port)]
            replicas = [self.leader]
            topics = [(self.topic, 0, [(p, self.leader, replicas) for p in range(self.partitions)])]
            return wire.metadata_v4_body(brokers, brokers[0][0], topics)
        if key == wire.INIT_PRODUCER_ID:
            return wire.init_producer_id_v0_body(1000, 0)
        if key == wire.PRODUCE:
            _, request = wire.parse_produce_request(frame)
            answers = []
            for name, parts in request.topics:
                answers.append((name, [(p, 0, self.produced) for p, _ in parts]))
                self.produced += len(parts)
            return wire.produce_response_body(version, answers) if request.acks else None
        raise ValueError(f"the fake broker does not answer API {key}")
