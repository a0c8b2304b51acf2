"""The producer's connections: one per broker, opened on demand, plus the metadata they serve.

Owns the `MetadataCache` and decides when to refresh it: on demand (a topic the producer has not
seen, a leader error), and every ``metadata_max_age_ms``. Concurrent refresh requests coalesce
into one request in flight. A broker that cannot be reached is not retried before its reconnect
backoff has passed (``reconnect_backoff_ms`` doubling up to ``reconnect_backoff_max_ms``).
"""

from __future__ import annotations

import logging
import random
import ssl
from collections.abc import Callable, Collection

import anyio

from ferrokafka._connection import (
    BrokerAddress,
    BrokerConnection,
    KafkaConnectionError,
    connect_any,
)
from ferrokafka._metadata import MetadataCache
from ferrokafka._runtime import now_ms
from ferrokafka._sasl.authenticator import SaslAuthenticator
from ferrokafka.config import ProducerConfig

log = logging.getLogger("ferrokafka.producer")


class BrokerPool:
    def __init__(
        self,
        config: ProducerConfig,
        ssl_context: ssl.SSLContext | None,
        authenticator: SaslAuthenticator | None = None,
    ) -> None:
        self._config = config
        self._ssl_context = ssl_context
        # Authenticates every connection (SASL), or None.
        self._authenticator = authenticator
        self._bootstrap = [BrokerAddress(host, port) for host, port in config.bootstrap_addresses]
        self.metadata = MetadataCache()
        self._connections: dict[int, BrokerConnection] = {}
        # The connection used before any node id is known (bootstrap), kept for metadata.
        self._bootstrap_conn: BrokerConnection | None = None
        self._connecting: dict[int, anyio.Event] = {}
        # node id -> (earliest next attempt in monotonic ms, current backoff ms)
        self._backoff: dict[int, tuple[int, int]] = {}
        self._refresh_done: anyio.Event | None = None
        self._wanted_topics: set[str] = set()
        # Topics whose refresh was asked while one was in flight: fetched right after it.
        self._refresh_again = False
        self.last_refresh_ms = 0
        self.last_error: BaseException | None = None
        self._closed = False
        # Called after every metadata update (the producer refreshes its partition counts).
        self.on_metadata: Callable[[], None] = lambda: None

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
        backoff = self._backoff.get(node_id)
        return backoff is None or backoff[0] <= now_ms()

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
            conn = await connect_any(
                [BrokerAddress(broker.host, broker.port)],
                client_id=self.client_id,
                connect_timeout=self._config.socket_connection_setup_timeout_ms / 1000,
                request_timeout=self._config.request_timeout_ms / 1000,
                max_in_flight=max(self._config.max_in_flight_requests_per_connection, 1) + 1,
                ssl_context=self._ssl_context,
                authenticator=self._authenticator,
            )
        except BaseException as exc:
            self._note_failure(node_id)
            if isinstance(exc, Exception):
                self.last_error = exc
            raise
        finally:
            del self._connecting[node_id]
            done.set()
        conn.node_id = node_id
        self._backoff.pop(node_id, None)
        if self._closed:
            await conn.close()
            raise KafkaConnectionError("the producer is closed")
        self._connections[node_id] = conn
        return conn

    def _note_failure(self, node_id: int) -> None:
        base = self._config.reconnect_backoff_ms
        _, previous = self._backoff.get(node_id, (0, 0))
        backoff = min(previous * 2 if previous else base, self._config.reconnect_backoff_max_ms)
        # 20% jitter, as the Java client, so reconnecting clients do not move in lockstep.
        jittered = int(backoff * random.uniform(0.8, 1.2))
        self._backoff[node_id] = (now_ms() + jittered, backoff)

    async def any_connection(self) -> BrokerConnection:
        """A connection for cluster-wide requests: an open broker connection, or bootstrap."""
        for conn in list(self._connections.values()):
            if not conn.closed:
                return conn
        if self._bootstrap_conn is not None and not self._bootstrap_conn.closed:
            return self._bootstrap_conn
        # Known brokers first (the bootstrap list may be stale), then the bootstrap servers.
        for node_id in list(self.metadata.brokers):
            if self.can_connect(node_id):
                try:
                    return await self.connection(node_id)
                except KafkaConnectionError:
                    continue
        self._bootstrap_conn = await connect_any(
            self._bootstrap,
            client_id=self.client_id,
            connect_timeout=self._config.socket_connection_setup_timeout_ms / 1000,
            request_timeout=self._config.request_timeout_ms / 1000,
            ssl_context=self._ssl_context,
            authenticator=self._authenticator,
        )
        return self._bootstrap_conn

    # --- metadata ------------------------------------------------------------------------

    def want_topic(self, topic: str) -> None:
        self._wanted_topics.add(topic)

    @property
    def wanted_topics(self) -> Collection[str]:
        return self._wanted_topics

    def metadata_is_stale(self) -> bool:
        return now_ms() - self.last_refresh_ms >= self._config.metadata_max_age_ms

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
        conn = await self.any_connection()
        try:
            await self.metadata.refresh(conn, sorted(self._wanted_topics))
        except KafkaConnectionError as exc:
            self.last_error = exc
            raise
        self.last_refresh_ms = now_ms()
        self.last_error = None
        self.on_metadata()
        # Connections to brokers that left the cluster are of no use any more.
        for node_id in [n for n in self._connections if n not in self.metadata.brokers]:
            await self._connections.pop(node_id).close()

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
            log.debug("closed %d connection(s) of client %s", len(connections), self.client_id)
