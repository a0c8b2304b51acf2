"""The connection options act as the Java producer's do: socket buffer sizes on every
connection, both ``client_dns_lookup`` modes, idle connections closed, and connection attempts
whose timeout doubles per failure up to its maximum."""

from __future__ import annotations

import itertools
import logging
import re
import socket
import time
from collections.abc import Iterator

import anyio
import pytest
from producer_helpers import options

from ferrokafka import KafkaConnectionError, Producer
from ferrokafka import _dns as dns
from ferrokafka._connection import BrokerConnection
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


def buffers(conn: BrokerConnection | None) -> tuple[int, int]:
    assert conn is not None
    sock = conn._wire.raw_socket()
    assert sock is not None
    return (
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
    )


def reads_back(value: int, asked: int) -> bool:
    # Linux reports twice the size asked for (the kernel's bookkeeping share).
    return value in (asked, 2 * asked)


def test_socket_buffers_reach_every_connection(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()

    async def sizes(**overrides: int) -> list[tuple[int, int]]:
        async with Producer(**options(kafka, **overrides)) as producer:
            await producer.send(name, b"buffers")
            pool = producer._pool
            # The bootstrap connection, and the one to the partition's leader.
            return [buffers(pool._bootstrap_conn), buffers(pool.ready_connection(1))]

    # Java's defaults: 128 KiB to send, 32 KiB to receive.
    for sndbuf, rcvbuf in anyio.run(sizes):
        assert reads_back(sndbuf, 131072), sndbuf
        assert reads_back(rcvbuf, 32768), rcvbuf
    for sndbuf, rcvbuf in anyio.run(
        lambda: sizes(send_buffer_bytes=65536, receive_buffer_bytes=16384)
    ):
        assert reads_back(sndbuf, 65536), sndbuf
        assert reads_back(rcvbuf, 16384), rcvbuf
    # -1: the operating system's default, as a fresh connected socket has it.
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()) as plain,
    ):
        default = (
            plain.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
            plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
        )
    observed = anyio.run(lambda: sizes(send_buffer_bytes=-1, receive_buffer_bytes=-1))
    assert observed == [default, default]


@pytest.fixture
def two_address_name(monkeypatch: pytest.MonkeyPatch) -> str:
    """A name that resolves to an address where nothing listens (127.0.0.2: loopback, but the
    brokers bind 127.0.0.1 only) and then to 127.0.0.1. The resolver is ours: no external DNS
    here, and /etc/hosts gives no name two addresses."""
    real = dns.resolve

    async def resolve(host: str, port: int) -> list[str]:
        if host == "kafka.test":
            return ["127.0.0.2", "127.0.0.1"]
        return await real(host, port)

    monkeypatch.setattr(dns, "resolve", resolve)
    return "kafka.test"


def test_use_all_dns_ips_tries_every_address(
    kafka: BaseCluster, topic: TopicFactory, two_address_name: str
) -> None:
    name = topic()
    port = kafka.bootstrap_servers.split(",")[0].rsplit(":", 1)[1]

    async def main() -> tuple[str, str]:
        async with Producer(
            **options(kafka, bootstrap_servers=f"{two_address_name}:{port}")
        ) as producer:
            await producer.send(name, b"dns")
            conn = producer._pool._bootstrap_conn
            assert conn is not None
            return conn.host, conn.address

    # The first address refused the connection; the second one answered.
    assert anyio.run(main) == (two_address_name, "127.0.0.1")
    assert [r.value for r in kafka.consume(name, 1)] == [b"dns"]


def test_resolve_canonical_bootstrap_servers_only(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    port = kafka.bootstrap_servers.split(",")[0].rsplit(":", 1)[1]

    async def bootstrap_host(mode: str) -> str:
        async with Producer(
            **options(kafka, bootstrap_servers=f"127.0.0.1:{port}", client_dns_lookup=mode)
        ) as producer:
            await producer.send(name, mode.encode())
            conn = producer._pool._bootstrap_conn
            assert conn is not None
            return conn.host

    # 127.0.0.1 resolves to itself; its reverse entry (/etc/hosts) is its canonical name.
    canonical = socket.getnameinfo(("127.0.0.1", 0), socket.NI_NAMEREQD)[0]
    assert canonical != "127.0.0.1"
    assert anyio.run(bootstrap_host, "resolve_canonical_bootstrap_servers_only") == canonical
    assert anyio.run(bootstrap_host, "use_all_dns_ips") == "127.0.0.1"
    assert len(kafka.consume(name, 2)) == 2


def test_idle_connections_are_closed_and_reopened(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()

    async def main() -> None:
        async with Producer(**options(kafka, connections_max_idle_ms=500)) as producer:
            await producer.send(name, b"before")
            pool = producer._pool
            first = pool.ready_connection(1)
            assert first is not None
            assert not first.closed
            with anyio.fail_after(10):
                while not first.closed:  # noqa: ASYNC110 - polled: closing sets no event
                    await anyio.sleep(0.1)
            assert pool.ready_connection(1) is None
            assert pool._bootstrap_conn is None
            await producer.send(name, b"after")
            second = pool.ready_connection(1)
            assert second is not None
            assert second is not first

    anyio.run(main)
    assert [r.value for r in kafka.consume(name, 2)] == [b"before", b"after"]


def test_idle_connections_stay_open_by_default(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()

    async def main() -> None:
        async with Producer(**options(kafka)) as producer:
            await producer.send(name, b"x")
            conn = producer._pool.ready_connection(1)
            await anyio.sleep(1.5)
            assert conn is not None
            assert not conn.closed

    anyio.run(main)


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A listener that accepts nothing: its backlog is filled by connections never accepted,
    so later connection attempts get no answer."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        fillers.append(filler)
    time.sleep(0.2)
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_connection_setup_timeout_doubles_per_failure(
    blackhole: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        producer = Producer(
            bootstrap_servers=blackhole,
            socket_connection_setup_timeout_ms=100,
            socket_connection_setup_timeout_max_ms=800,
            reconnect_backoff_ms=10,
            reconnect_backoff_max_ms=20,
            max_block_ms=4000,
        )
        with pytest.raises(KafkaConnectionError):
            await producer.start()
        await producer.close()

    # Each attempt is logged at DEBUG (WARNING shows a few: test_logging_with_broker.py).
    with caplog.at_level(logging.DEBUG, logger="ferrokafka.connection"):
        anyio.run(main)
    timeouts = [
        float(m[1]) * 1000
        for record in caplog.records
        if record.levelno == logging.DEBUG
        and (m := re.search(r"within (?:the connect timeout \()?([\d.]+) s", record.getMessage()))
    ]
    print("attempt timeouts (ms):", [round(t) for t in timeouts])
    assert len(timeouts) >= 4, timeouts
    # 100 ms with 20% jitter, then doubling, never above the maximum (Java caps after jitter).
    assert 80 <= timeouts[0] <= 120
    # Growing while below the cap: each doubling outruns the jitter.
    assert all(later > earlier for earlier, later in itertools.pairwise(timeouts[:4]))
    assert all(t <= 800 for t in timeouts)
    assert max(timeouts) >= 640
