"""Every wait of the producer is bounded, whatever the network does: the brokers gone entirely,
an advertised host name that does not resolve, a TLS listener that never answers, a blackholed
broker. Each record then fails within ``delivery_timeout_ms`` with the last error in its
message, ``flush(timeout)`` and ``close(timeout)`` return in time, and after ``close`` no task
of the event loop and no file descriptor is left behind.

Each test runs in an event loop of its own, so the loop's task list holds only what the
producer left. The fake brokers here stand in for what a real one cannot be made to do (its
advertised host not resolving, its TLS listener going silent).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fake_broker import FakeBroker, ThreadedServer
from fault_helpers import new_fds, open_fds, producer_options
from proxied_cluster import ProxiedCluster

from ferrokafka import Producer
from ferrokafka.errors import KafkaError, KafkaTimeoutError, ProducerClosedError

DELIVERY_TIMEOUT_MS = 3000
REQUEST_TIMEOUT_MS = 1000
# How late after its deadline a record may end: the sender looks at its deadlines at least
# this often when nothing else wakes it.
LATENESS_S = 1.1
# close()/flush() may overrun their timeout by this much (closing sockets, waking waiters).
OVERRUN_S = 0.5
RECORDS = 40


@dataclass
class Outcome:
    #: (seconds after sending, error) per record.
    ended: list[tuple[float, BaseException | None]] = field(default_factory=list)
    flush_s: float = 0.0
    close_s: float = 0.0
    closed_early: list[BaseException | None] = field(default_factory=list)
    leftover_tasks: list[str] = field(default_factory=list)
    leftover_fds: dict[int, str] = field(default_factory=dict)


def bounded_options(bootstrap_servers: str, **overrides: Any) -> dict[str, Any]:
    return producer_options(
        bootstrap_servers,
        delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
        socket_connection_setup_timeout_ms=500,
        linger_ms=0,
        max_block_ms=5000,
        **overrides,
    )


async def exercise(
    options: dict[str, Any],
    topic: str,
    break_network: Callable[[], Awaitable[None]] | None = None,
    wait_idle: Callable[[], bool] = lambda: True,
    *,
    warm: bool = False,
) -> Outcome:
    """Starts a producer (``warm``: and delivers a record, so it has its producer id and
    connections), breaks the network, then: records that fail on their own, a flush that
    times out, records cut short by close(timeout)."""
    outcome = Outcome()
    loop_fds = open_fds()
    producer = Producer(**options)
    await producer.start()
    await producer.wait_for_topic(topic)
    if warm:
        for partition in range(3):
            await producer.send(topic, b"warm", partition=partition)
    if break_network is not None:
        await break_network()

    sent_at = time.monotonic()
    futures = [producer.send_nowait(topic, b"v%d" % i, key=b"k%d" % i) for i in range(RECORDS)]
    for future in futures:
        future.add_done_callback(
            lambda f: outcome.ended.append((time.monotonic() - sent_at, f.exception()))
        )
    started = time.monotonic()
    with pytest.raises(KafkaTimeoutError):
        await producer.flush(timeout=0.5)
    outcome.flush_s = time.monotonic() - started
    async with asyncio.timeout(DELIVERY_TIMEOUT_MS / 1000 + 5):
        for future in futures:
            with pytest.raises(KafkaError):
                await future

    late = [producer.send_nowait(topic, b"late-%d" % i) for i in range(RECORDS)]
    started = time.monotonic()
    await producer.close(timeout=1.0)
    outcome.close_s = time.monotonic() - started
    outcome.closed_early = [f.exception() if f.done() else None for f in late]
    assert all(f.done() for f in late), "close() left futures pending"

    # The peers see the client's sockets close a moment later, in their own threads.
    assert wait_idle(), "a peer still holds a connection of the closed producer"
    current = asyncio.current_task()
    outcome.leftover_tasks = [repr(t) for t in asyncio.all_tasks() if t is not current]
    outcome.leftover_fds = new_fds(loop_fds)
    return outcome


def assert_bounded(outcome: Outcome, *last_errors: str) -> None:
    """``last_errors``: what the message of each record's error may name as the last error."""
    assert len(outcome.ended) == RECORDS
    deadline = DELIVERY_TIMEOUT_MS / 1000 + LATENESS_S
    for seconds, error in outcome.ended:
        assert isinstance(error, KafkaTimeoutError), error
        assert seconds <= deadline, f"a record failed {seconds:.2f} s after it was sent"
        assert "last error" in str(error), error
        assert any(text in str(error).lower() for text in last_errors), error
    assert outcome.flush_s <= 0.5 + OVERRUN_S
    assert outcome.close_s <= 1.0 + OVERRUN_S
    for error in outcome.closed_early:
        assert isinstance(error, ProducerClosedError | KafkaTimeoutError), error
    assert outcome.leftover_tasks == []
    assert outcome.leftover_fds == {}


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_brokers_gone_entirely(proxied: ProxiedCluster, warm: bool) -> None:
    proxied.heal()
    topic = proxied.create_topic("gone", partitions=3)
    proxies = list(proxied.proxies.values())

    async def vanish() -> None:
        for proxy in proxies:
            proxy.refuse()

    try:
        outcome = asyncio.run(
            exercise(
                bounded_options(proxied.bootstrap_servers),
                topic,
                vanish,
                lambda: all(p.wait_idle(5) for p in proxies),
                warm=warm,
            )
        )
    finally:
        proxied.heal()
    assert_bounded(outcome, "connect")


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_blackholed_brokers(proxied: ProxiedCluster, warm: bool) -> None:
    proxied.heal()
    topic = proxied.create_topic("blackholed", partitions=3)
    proxies = list(proxied.proxies.values())

    async def blackhole() -> None:
        for proxy in proxies:
            proxy.blackhole()

    try:
        outcome = asyncio.run(
            exercise(
                bounded_options(proxied.bootstrap_servers),
                topic,
                blackhole,
                lambda: all(p.wait_idle(5) for p in proxies),
                warm=warm,
            )
        )
    finally:
        proxied.heal()
    assert_bounded(outcome, "no response", "did not answer")


def test_advertised_host_does_not_resolve() -> None:
    broker = FakeBroker(topic="dns")
    broker.brokers = [(1, "127.0.0.1", broker.server.port), (2, "broker-2.invalid", 9092)]
    broker.leader = 2
    try:
        outcome = asyncio.run(
            exercise(
                bounded_options(broker.address),
                "dns",
                wait_idle=lambda: wait_until(lambda: broker.server.open_connections == 0),
            )
        )
    finally:
        broker.close()
    assert_bounded(outcome, "resolve")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def test_tls_listener_never_answers(certificate: tuple[Path, Path]) -> None:
    import ssl

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    silent = ThreadedServer(_read_forever)
    broker = FakeBroker(topic="tls", ssl_context=context)
    broker.brokers = [(1, "127.0.0.1", broker.server.port), (2, "127.0.0.1", silent.port)]
    broker.leader = 2
    options = bounded_options(broker.address, security_protocol="SSL", ssl_cafile=str(cert))
    try:
        outcome = asyncio.run(
            exercise(
                options,
                "tls",
                wait_idle=lambda: wait_until(
                    lambda: broker.server.open_connections == silent.open_connections == 0
                ),
            )
        )
    finally:
        broker.close()
        silent.close()
    assert silent.connections >= 1
    assert_bounded(outcome, "no answer within")


@pytest.mark.parametrize("kind", ["refused", "unresolvable", "silent TLS"])
def test_start_gives_up_in_time(kind: str, certificate: tuple[Path, Path]) -> None:
    silent = ThreadedServer(_read_forever)
    options: dict[str, Any] = {"max_block_ms": 2000, "socket_connection_setup_timeout_ms": 500}
    if kind == "refused":
        with ThreadedServer(_read_forever) as closed:
            address = closed.address
        options["bootstrap_servers"] = address
    elif kind == "unresolvable":
        options["bootstrap_servers"] = "bootstrap.invalid:9092"
    else:
        options.update(
            bootstrap_servers=silent.address,
            security_protocol="SSL",
            ssl_cafile=str(certificate[0]),
        )

    async def start() -> tuple[float, BaseException | None, list[str], dict[int, str]]:
        fds = open_fds()
        producer = Producer(**options)
        started = time.monotonic()
        error: BaseException | None = None
        try:
            await producer.start()
        except Exception as exc:
            error = exc
        elapsed = time.monotonic() - started
        await producer.close(timeout=1)
        assert wait_until(lambda: silent.open_connections == 0)
        current = asyncio.current_task()
        tasks = [repr(t) for t in asyncio.all_tasks() if t is not current]
        return elapsed, error, tasks, new_fds(fds)

    try:
        elapsed, error, tasks, fds = asyncio.run(start())
    finally:
        silent.close()
    assert isinstance(error, KafkaError), repr(error)
    assert error.retriable
    assert elapsed <= 2.0 + OVERRUN_S
    assert tasks == []
    assert fds == {}


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def _read_forever(conn: Any) -> None:
    while conn.recv(65536):
        pass
