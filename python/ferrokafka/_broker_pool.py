"""The producer's connections: one per broker, opened on demand, plus the metadata they serve.

Owns the `MetadataCache` and decides when to refresh it: on demand (a topic the producer has not
seen, a leader error), and every ``metadata_max_age_ms``. Concurrent refresh requests coalesce
into one request in flight. Every wait grows as the Java client's does (`ExponentialBackoff`):

- a broker that cannot be reached is not retried before its reconnect backoff has passed
  (``reconnect_backoff_ms`` doubling up to ``reconnect_backoff_max_ms``), and each failed
  attempt doubles the next attempt's timeout (``socket_connection_setup_timeout_ms`` up to
  ``socket_connection_setup_timeout_max_ms``); the bootstrap servers count as one more node;
- a refresh that leaves a wanted topic without metadata (it does not exist yet) or that fails
  holds the next one back (``retry_backoff_ms`` up to ``retry_backoff_max_ms``), so a send
  waiting for a missing topic does not ask the broker again and again;
- topics not produced to for ``metadata_max_idle_ms`` are no longer asked for;
- connections idle for ``connections_max_idle_ms`` are closed (the next send reopens them).
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Collection

import anyio

from ferrokafka import _dns
from ferrokafka._backoff import ExponentialBackoff
from ferrokafka._connect import connect_any
from ferrokafka._connection import (
    BrokerAddress,
    BrokerConnection,
    KafkaConnectionError,
)
from ferrokafka._error_codes import ErrorCode
from ferrokafka._logging import CONNECTION, METADATA, client_log
from ferrokafka._metadata import MetadataCache
from ferrokafka._metrics.network import NetworkMetrics
from ferrokafka._runtime import now_ms
from ferrokafka._sasl.authenticator import SaslAuthenticator
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import KafkaTimeoutError

#: The key of the bootstrap servers in the per-node connect state (node ids are >= 0).
BOOTSTRAP = -1
#: How often idle connections are looked for.
IDLE_CHECK_MS = 1000


class ClusterUnreachableError(KafkaConnectionError, KafkaTimeoutError):
    """No bootstrap server answered within ``max_block_ms``: the message names every address
    tried and the last reason. Retriable: the producer may be started again."""


class BrokerPool:
    def __init__(
        self,
        config: ProducerConfig,
        ssl_context: ssl.SSLContext | None,
        authenticator: SaslAuthenticator | None = None,
    ) -> None:
        self._config = config
        self._log = client_log(CONNECTION, config.client_id)
        self._metadata_log = client_log(METADATA, config.client_id)
        self._ssl_context = ssl_context
        # Authenticates every connection (SASL), or None.
        self._authenticator = authenticator
        self._bootstrap = [BrokerAddress(host, port) for host, port in config.bootstrap_addresses]
        self.metadata = MetadataCache()
        self._connections: dict[int, BrokerConnection] = {}
        # The connection used before any node id is known (bootstrap), kept for metadata.
        self._bootstrap_conn: BrokerConnection | None = None
        self._connecting: dict[int, anyio.Event] = {}
        self._reconnect_backoff = ExponentialBackoff(
            config.reconnect_backoff_ms, config.reconnect_backoff_max_ms
        )
        self._setup_timeout = ExponentialBackoff(
            config.socket_connection_setup_timeout_ms,
            config.socket_connection_setup_timeout_max_ms,
        )
        # node id (or BOOTSTRAP) -> consecutive failed connects: grows both the reconnect
        # backoff and the next attempt's timeout; a successful connect removes the entry.
        self._failures: dict[int, int] = {}
        # node id (or BOOTSTRAP) -> earliest next connect attempt, monotonic ms.
        self._retry_at: dict[int, int] = {}
        #: When `close_idle_connections` next has something to look at (monotonic ms): the
        #: sender checks it before calling, once per round.
        self.next_idle_check_ms = 0 if config.connections_max_idle_ms >= 0 else 2**63
        self._refresh_done: anyio.Event | None = None
        # topic -> when it was last produced to (monotonic ms), for metadata_max_idle_ms.
        self._wanted_topics: dict[str, int] = {}
        # Topics whose refresh was asked while one was in flight: fetched right after it.
        self._refresh_again = False
        self._refresh_backoff = ExponentialBackoff(
            config.retry_backoff_ms, config.retry_backoff_max_ms
        )
        # Consecutive refreshes that failed or left a wanted topic without metadata, and the
        # earliest time the next refresh may go out (monotonic ms).
        self._refresh_misses = 0
        self._refresh_allowed_ms = 0
        self.last_refresh_ms = 0
        self.last_error: BaseException | None = None
        self._closed = False
        # Called after every metadata update (the producer refreshes its partition counts).
        self.on_metadata: Callable[[], None] = lambda: None
        # Counts each connection made, and each connection's traffic (metrics).
        self.network: NetworkMetrics | None = None

    @property
    def client_id(self) -> str:
        return self._config.client_id

    # --- connections ---------------------------------------------------------------------

    def ready_connection(self, node_id: int) -> BrokerConnection | None:
        """The open connection to ``node_id``, or ``None`` (without connecting)."""
        conn = self._connections.get(node_id)
        if conn is not None and conn.closed:
            del self._connections[node_id]
            return None
        return conn

    def can_connect(self, node_id: int) -> bool:
        """False while ``node_id`` is in its reconnect backoff or a connect is under way."""
        if node_id in self._connecting:
            return False
        return self._retry_at.get(node_id, 0) <= now_ms()

    def connect_timeout_ms(self, node_id: int) -> int:
        """The timeout of the next connection attempt to ``node_id``: it doubles with every
        consecutive failure (with jitter), up to socket_connection_setup_timeout_max_ms."""
        return self._setup_timeout.backoff_ms(self._failures.get(node_id, 0))

    async def connection(self, node_id: int) -> BrokerConnection:
        """The connection to ``node_id``, opened if needed. Raises `KafkaConnectionError`."""
        conn = self.ready_connection(node_id)
        if conn is not None:
            return conn
        pending = self._connecting.get(node_id)
        if pending is not None:
            await pending.wait()
            conn = self.ready_connection(node_id)
            if conn is None:
                raise KafkaConnectionError(f"could not connect to broker {node_id}")
            return conn
        broker = self.metadata.broker(node_id)
        if broker is None:
            raise KafkaConnectionError(f"broker {node_id} is not in the cluster metadata")
        done = self._connecting[node_id] = anyio.Event()
        try:
            conn = await self._connect(node_id, [BrokerAddress(broker.host, broker.port)])
        finally:
            del self._connecting[node_id]
            done.set()
        conn.node_id = node_id
        if self._closed:
            await conn.close()
            raise KafkaConnectionError("the producer is closed")
        self._connections[node_id] = conn
        return conn

    async def _connect(self, key: int, servers: list[BrokerAddress]) -> BrokerConnection:
        """One connection attempt to ``servers`` (one broker's address, or the bootstrap list),
        with the attempt timeout and socket options of the config; failures grow ``key``'s
        backoff and timeout."""
        config = self._config
        try:
            conn = await connect_any(
                servers,
                client_id=self.client_id,
                connect_timeout=self.connect_timeout_ms(key) / 1000,
                request_timeout=config.request_timeout_ms / 1000,
                max_in_flight=max(config.max_in_flight_requests_per_connection, 1) + 1,
                ssl_context=self._ssl_context,
                send_buffer_bytes=config.send_buffer_bytes,
                receive_buffer_bytes=config.receive_buffer_bytes,
                authenticator=self._authenticator,
            )
        except BaseException as exc:
            self._note_failure(key)
            if isinstance(exc, Exception):
                self.last_error = exc
                self._report_failure(key, exc)
            raise
        self._report_recovery(key, self._failures.pop(key, 0))
        self._retry_at.pop(key, None)
        if self.network is not None:
            conn.observer = self.network.connection_opened(key)
        return conn

    def _report_failure(self, key: int, exc: Exception) -> None:
        # Only connection failures: authentication refusals (an `AuthenticationError` is never
        # a `KafkaConnectionError`) are the sender's to report, as errors, since nothing heals
        # them.
        if isinstance(exc, KafkaConnectionError):
            # Every attempt at DEBUG; a few of a long outage at WARNING.
            self._log.debug("connect attempt to %s failed: %s", _broker_name(key), exc)
            self._log.repeated(
                ("connect", key),
                logging.WARNING,
                "cannot connect to %s (%d failed attempt(s), next in %d ms): %s",
                _broker_name(key),
                self._failures.get(key, 0),
                max(self._retry_at.get(key, 0) - now_ms(), 0),
                exc,
            )

    def _report_recovery(self, key: int, failures: int) -> None:
        held = self._log.settled(("connect", key))
        if failures:
            self._log.info(
                "connected to %s again after %d failed attempt(s)%s",
                _broker_name(key),
                failures,
                f" ({held} not logged)" if held else "",
            )

    def _note_failure(self, key: int) -> None:
        failures = self._failures[key] = self._failures.get(key, 0) + 1
        self._retry_at[key] = now_ms() + self._reconnect_backoff.backoff_ms(failures - 1)

    async def any_connection(self) -> BrokerConnection:
        """A connection for cluster-wide requests: an open broker connection, or bootstrap."""
        now = time.monotonic()
        open_ones = [c for c in self._connections.values() if not c.closed]
        if self._bootstrap_conn is not None and not self._bootstrap_conn.closed:
            open_ones.append(self._bootstrap_conn)
        if open_ones:
            # One the broker is not throttling, if there is one: a throttled broker holds
            # every request until its throttle time passes.
            return min(open_ones, key=lambda c: c.throttled_until > now)
        # Known brokers first (the bootstrap list may be stale), then the bootstrap servers.
        for node_id in list(self.metadata.brokers):
            if self.can_connect(node_id):
                try:
                    return await self.connection(node_id)
                except KafkaConnectionError:
                    continue
        self._bootstrap_conn = await self._connect(BOOTSTRAP, await self._bootstrap_servers())
        return self._bootstrap_conn

    async def _bootstrap_servers(self) -> list[BrokerAddress]:
        if self._config.client_dns_lookup != "resolve_canonical_bootstrap_servers_only":
            return self._bootstrap
        # Resolved on every bootstrap attempt: a name may not resolve yet while the cluster
        # starts (a service of an orchestrator), and it may move.
        return [BrokerAddress(h, p) for h, p in await _dns.canonical_names(self._bootstrap)]

    async def wait_for_cluster(self, timeout_ms: int) -> None:
        """Fetches the first metadata, trying the bootstrap servers again after the reconnect
        backoff until one answers or ``timeout_ms`` passes (as the Java producer waits for
        metadata up to max.block.ms), so a service started before its cluster comes up waits
        instead of failing. Raises `ClusterUnreachableError` naming what was tried; errors that
        waiting cannot heal (authentication, configuration, no common API version) are raised
        at once, as they are no `KafkaConnectionError`."""
        deadline = now_ms() + timeout_ms
        attempts = 0
        reason = "no attempt finished"
        while True:
            attempts += 1
            with anyio.move_on_after(max(deadline - now_ms(), 0) / 1000) as scope:
                try:
                    await self.refresh_metadata()
                    return
                except KafkaConnectionError as exc:
                    # An `AuthenticationError` is none: it is raised at once.
                    reason = str(exc)
            if scope.cancelled_caught:
                reason = "an attempt was still under way when the time ran out"
            wait_ms = max(self._retry_at.get(BOOTSTRAP, 0) - now_ms(), 0)
            if now_ms() + wait_ms >= deadline:
                break
            await anyio.sleep(wait_ms / 1000)
        tried = ",".join(str(server) for server in self._bootstrap)
        raise ClusterUnreachableError(
            f"no bootstrap server answered within max_block_ms={timeout_ms} ({attempts} "
            f"attempt(s) at {tried}); last: {reason}. Check bootstrap_servers, that the brokers "
            "run and are reachable from here, and security_protocol"
        )

    async def close_idle_connections(self) -> None:
        """Closes connections that carried nothing for connections_max_idle_ms (Java's
        Selector does the same); a later request opens them again."""
        limit_ms = self._config.connections_max_idle_ms
        now = now_ms()
        if limit_ms < 0 or now < self.next_idle_check_ms:
            return
        self.next_idle_check_ms = now + min(IDLE_CHECK_MS, max(limit_ms // 2, 1))
        clock = time.monotonic()
        idle = [
            node_id
            for node_id, conn in self._connections.items()
            if conn.idle_seconds(clock) * 1000 >= limit_ms
        ]
        for node_id in idle:
            conn = self._connections.pop(node_id)
            self._log.debug("closing %s: idle for %d ms", conn, limit_ms)
            await conn.close()
        boot = self._bootstrap_conn
        if boot is not None and boot.idle_seconds(clock) * 1000 >= limit_ms:
            self._bootstrap_conn = None
            await boot.close()

    # --- metadata ------------------------------------------------------------------------

    def want_topic(self, topic: str, now: int | None = None) -> None:
        """Notes that ``topic`` is produced to (at ``now``, monotonic ms): its metadata is kept
        fresh until it has not been for metadata_max_idle_ms."""
        self._wanted_topics[topic] = now_ms() if now is None else now

    @property
    def wanted_topics(self) -> Collection[str]:
        return self._wanted_topics.keys()

    def metadata_is_stale(self) -> bool:
        return now_ms() - self.last_refresh_ms >= self._config.metadata_max_age_ms

    def refresh_wait_ms(self) -> int:
        """How long until the next refresh may go out (0: now)."""
        return max(self._refresh_allowed_ms - now_ms(), 0)

    async def refresh_metadata(self) -> None:
        """Refreshes the metadata of every topic the producer uses; joins one under way.
        Raises `KafkaConnectionError` (or a broker error) when no broker answered."""
        if self._refresh_done is not None:
            self._refresh_again = True
            await self._refresh_done.wait()
            return
        self._refresh_done = done = anyio.Event()
        try:
            while True:
                self._refresh_again = False
                await self._refresh_once()
                if not self._refresh_again:
                    break
        finally:
            self._refresh_done = None
            done.set()

    async def _refresh_once(self) -> None:
        topics = self._topics_to_refresh()
        try:
            conn = await self.any_connection()
            # As the Java producer: the broker creates a topic that does not exist if its
            # auto.create.topics.enable says so.
            await self.metadata.refresh(conn, topics, allow_auto_topic_creation=True)
        except KafkaConnectionError as exc:
            self.last_error = exc
            self._note_refresh(complete=False)
            self._metadata_log.repeated("refresh", logging.INFO, "metadata refresh failed: %s", exc)
            raise
        self.last_refresh_ms = now_ms()
        self.last_error = None
        self._note_refresh(complete=self._report_missing(topics))
        self.on_metadata()
        # Connections to brokers that left the cluster are of no use any more.
        for node_id in [n for n in self._connections if n not in self.metadata.brokers]:
            await self._connections.pop(node_id).close()

    def _topics_to_refresh(self) -> list[str]:
        """The wanted topics, less those idle for metadata_max_idle_ms (as Java's
        ``ProducerMetadata.retainTopic``; a topic still waiting for its first metadata stays)."""
        cutoff = now_ms() - self._config.metadata_max_idle_ms
        idle = [
            name
            for name, used in self._wanted_topics.items()
            if used <= cutoff and self._has_metadata(name)
        ]
        for name in idle:
            del self._wanted_topics[name]
        if idle:
            self._metadata_log.debug("no longer refreshing idle topics %s", idle)
            self.metadata.forget(idle)
        return sorted(self._wanted_topics)

    def _report_missing(self, topics: list[str]) -> bool:
        """Whether every one of ``topics`` has metadata now; warns of each that has not (its
        records wait for it, up to max_block_ms)."""
        complete = True
        for name in topics:
            if self._has_metadata(name):
                self._metadata_log.settled(("missing", name))
                continue
            complete = False
            state = self.metadata.topic(name)
            code = ErrorCode.NONE if state is None else state.error_code
            member = ErrorCode._value2member_map_.get(code)
            self._metadata_log.repeated(
                ("missing", name),
                logging.WARNING,
                "no metadata for topic %r yet (%s): its records wait for it",
                name,
                "no partitions" if code == ErrorCode.NONE else getattr(member, "name", code),
            )
        return complete

    def _has_metadata(self, topic: str) -> bool:
        state = self.metadata.topic(topic)
        return state is not None and state.error_code == ErrorCode.NONE and bool(state.partitions)

    def _note_refresh(self, *, complete: bool) -> None:
        if complete:
            self._refresh_misses = 0
            self._refresh_allowed_ms = 0
            return
        self._refresh_allowed_ms = now_ms() + self._refresh_backoff.backoff_ms(self._refresh_misses)
        self._refresh_misses += 1

    # --- the end -------------------------------------------------------------------------

    async def close(self) -> None:
        self._closed = True
        connections = list(self._connections.values())
        if self._bootstrap_conn is not None:
            connections.append(self._bootstrap_conn)
        self._connections.clear()
        self._bootstrap_conn = None
        for conn in connections:
            with anyio.CancelScope(shield=True):
                await conn.close()
        if connections:
            self._log.debug("closed %d connection(s)", len(connections))


def _broker_name(key: int) -> str:
    return "the bootstrap servers" if key == BOOTSTRAP else f"broker {key}"
