"""Traffic per broker and in total, recorded by the connections themselves: requests and bytes
out, responses and bytes in, connections made and closed (Java's selector metrics, and its
``producer-node-metrics``)."""

from __future__ import annotations

from ferrokafka._metrics.stats import Meter, Summary, WindowConfig
from ferrokafka._runtime import now_ms


class Traffic:
    """One broker's traffic, or everyone's. Each request written, response read and Produce
    answered is one `Summary` record; the Java metrics are read from them."""

    __slots__ = (
        "incoming",
        "latency",
        "outgoing",
        "produce_latencies",
        "received",
        "request_size",
        "requests",
        "responses",
        "written",
    )

    def __init__(self, config: WindowConfig) -> None:
        # Requests written, by size: request-rate, request-size-avg/max, outgoing-byte-rate.
        self.written = Summary(config)
        # Responses read, by size: response-rate, incoming-byte-rate.
        self.received = Summary(config)
        # Produce requests only, from the sender (as Java's request-latency).
        self.produce_latencies = Summary(config)
        self.requests = self.written.events
        self.request_size = self.written.avg_max
        self.outgoing = self.written.values
        self.responses = self.received.events
        self.incoming = self.received.values
        self.latency = self.produce_latencies.avg_max


class NetworkMetrics:
    """Every connection's traffic, and the connections themselves."""

    def __init__(self, config: WindowConfig) -> None:
        self._config = config
        self.total = Traffic(config)
        self.nodes: dict[int, Traffic] = {}
        self.created = Meter(config)
        self.closed = Meter(config)

    def node(self, node_id: int) -> Traffic:
        traffic = self.nodes.get(node_id)
        if traffic is None:
            traffic = self.nodes[node_id] = Traffic(self._config)
        return traffic

    def connection_opened(self, node_id: int) -> ConnectionObserver:
        """A connection is up: counted, and its traffic counted from now on."""
        self.created.record(1, now_ms())
        return ConnectionObserver(self, self.node(node_id))

    @property
    def open_connections(self) -> int:
        return int(self.created.total - self.closed.total)


class ConnectionObserver:
    """What one `BrokerConnection` reports: one call per request written, per response read,
    and one when it closes."""

    __slots__ = ("_closed", "_network", "_node")

    def __init__(self, network: NetworkMetrics, node: Traffic) -> None:
        self._network = network
        self._node = node
        self._closed = False

    # One of each per request: the Summaries are recorded into directly.

    def request_sent(self, size: int) -> None:
        now = now_ms()
        self._node.written.record(size, now)
        self._network.total.written.record(size, now)

    def response_received(self, size: int) -> None:
        now = now_ms()
        self._node.received.record(size, now)
        self._network.total.received.record(size, now)

    def connection_closed(self) -> None:
        if not self._closed:
            self._closed = True
            self._network.closed.record(1, now_ms())
