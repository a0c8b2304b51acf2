"""A KRaft cluster of combined broker+controller JVMs on 127.0.0.1, started from Maven jars."""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from ferrokafka.testing._client import BaseCluster, logger
from ferrokafka.testing._distribution import KafkaDistribution, distribution
from ferrokafka.testing._errors import KafkaStartError
from ferrokafka.testing._node import DEFAULT_JVM_OPTIONS, KafkaNode, free_ports, logging_options

# A port picked free can be taken by another process before the broker binds it; the start is
# then retried on new ports.
_START_ATTEMPTS = 3
_FORMAT_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 30.0

_live_clusters: weakref.WeakSet[KafkaCluster] = weakref.WeakSet()


@atexit.register
def _abandon_live_clusters() -> None:
    for cluster in list(_live_clusters):
        cluster.kill()


def default_broker_properties(nodes: int, distribution: KafkaDistribution) -> dict[str, str]:
    """The settings a test cluster of `nodes` nodes starts with, before the caller's overrides.

    Internal topics are replicated to every node (up to three) and are small; partitions of new
    topics default to one. Topics are auto-created, as by Kafka's default, but the fixtures
    create theirs explicitly. Dead brokers are fenced after 6 s instead of 9 s so failover tests
    stay short.
    """
    replication = min(3, nodes)
    min_isr = 2 if nodes >= 3 else 1
    properties = {
        "num.partitions": "1",
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_isr),
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": str(replication),
        "offsets.topic.num.partitions": "5",
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_isr),
        "transaction.state.log.num.partitions": "5",
        "group.initial.rebalance.delay.ms": "0",
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "6000",
    }
    if distribution.major >= 4:
        properties["share.coordinator.state.topic.replication.factor"] = str(replication)
        properties["share.coordinator.state.topic.min.isr"] = str(min_isr)
    return properties


class KafkaCluster(BaseCluster):
    """`nodes` KRaft nodes, each a broker and a voter of a static controller quorum.

    ```python
    with KafkaCluster(nodes=3) as cluster:
        cluster.create_topic("orders", partitions=3, replication_factor=3)
        cluster.nodes[0].kill()
        cluster.wait_for_brokers({2, 3})
        cluster.nodes[0].start()
    ```

    Every node listens on 127.0.0.1 on free ports and logs to `<workdir>/node-<id>/kafka.log`.
    With `external_advertised_ports` (one per node), each node also has an EXTERNAL listener on
    a free port of its own (`node.external_port`) that it advertises at 127.0.0.1:<the given
    port>, where a proxy can sit in front of it; clients bootstrapped at
    `external_bootstrap_servers` then reach every broker through those addresses, while the
    brokers talk to each other over PLAINTEXT.
    Without `workdir`, a temporary directory is used and removed by `stop()`, unless a start
    failed: then it stays so the log named in `KafkaStartError` can be read.
    """

    def __init__(
        self,
        nodes: int = 1,
        *,
        version: str | None = None,
        broker_properties: Mapping[str, str | int | bool] | None = None,
        workdir: str | os.PathLike[str] | None = None,
        jvm_options: Sequence[str] | None = None,
        start_timeout: float = 120.0,
        external_advertised_ports: Sequence[int] | None = None,
    ) -> None:
        if nodes < 1:
            raise ValueError(f"a cluster needs at least one node, not {nodes}")
        if external_advertised_ports is not None and len(external_advertised_ports) != nodes:
            raise ValueError(
                f"external_advertised_ports needs one port per node ({nodes}), "
                f"not {len(external_advertised_ports)}"
            )
        self.external_advertised_ports = (
            tuple(external_advertised_ports) if external_advertised_ports is not None else None
        )
        super().__init__(distribution(version))
        self.node_count = nodes
        self.broker_properties = {
            key: _property_value(value) for key, value in (broker_properties or {}).items()
        }
        self.jvm_options = tuple(jvm_options) if jvm_options is not None else DEFAULT_JVM_OPTIONS
        self.start_timeout = start_timeout
        self._requested_workdir = Path(workdir) if workdir is not None else None
        self._workdir: Path | None = None
        self._owns_workdir = False
        self._keep_workdir = False
        self._nodes: list[KafkaNode] = []
        self.cluster_id = _random_cluster_id()
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<KafkaCluster {self.version} nodes={self.node_count} {self.bootstrap_servers!r}>"

    @property
    def nodes(self) -> list[KafkaNode]:
        return list(self._nodes)

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.address for node in self._nodes)

    @property
    def external_bootstrap_servers(self) -> str:
        """The EXTERNAL listeners' advertised addresses (see `external_advertised_ports`)."""
        if self.external_advertised_ports is None:
            raise ValueError("no EXTERNAL listener: pass external_advertised_ports")
        return ",".join(f"127.0.0.1:{port}" for port in self.external_advertised_ports)

    @property
    def workdir(self) -> Path | None:
        return self._workdir

    @property
    def log_paths(self) -> list[Path]:
        return [node.log_path for node in self._nodes]

    @property
    def is_running(self) -> bool:
        return any(node.is_running for node in self._nodes)

    def start(self) -> None:
        """Fetch the jars if needed, format storage, start every node and wait until all serve.

        Raises `KafkaStartError` naming the failing node's log and quoting its tail.
        """
        with self._lock:
            if self.is_running:
                return
            self._distribution.fetch()
            self._workdir = self._prepare_workdir()
            self._keep_workdir = False
            _live_clusters.add(self)
            for attempt in range(1, _START_ATTEMPTS + 1):
                try:
                    self._start_once()
                    return
                except KafkaStartError as exc:
                    # Keep the log that the error names.
                    self._keep_workdir = True
                    self.kill()
                    if attempt < _START_ATTEMPTS and "Address already in use" in exc.log_tail:
                        logger.info("Kafka port taken meanwhile, retrying on new ports")
                        self._keep_workdir = False
                        continue
                    raise
                except BaseException:
                    # Interrupted (Ctrl-C) or failed outside Kafka: leave no JVM behind.
                    self._keep_workdir = True
                    self.kill()
                    raise

    def stop(self, timeout: float = _STOP_TIMEOUT_S) -> None:
        """Stop every node (SIGTERM in parallel, SIGKILL after `timeout`) and reap them all.

        With several nodes this takes about 5 s: whichever node leads the controller quorum last
        waits that long (hard-coded in Kafka) for followers that are already gone.
        """
        with self._lock:
            deadline = time.monotonic() + timeout
            for node in self._nodes:
                node.terminate()
            for node in self._nodes:
                node.wait_stopped(max(0.0, deadline - time.monotonic()))
            self._finish()

    def kill(self) -> None:
        """SIGKILL every node at once; for teardown when a graceful stop is not wanted."""
        with self._lock:
            for node in self._nodes:
                node.kill()
            self._finish()

    def _finish(self) -> None:
        self.close_clients()
        _live_clusters.discard(self)
        if self._owns_workdir and not self._keep_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def _prepare_workdir(self) -> Path:
        if self._requested_workdir is not None:
            self._requested_workdir.mkdir(parents=True, exist_ok=True)
            return self._requested_workdir
        if self._workdir is not None and self._owns_workdir and self._workdir.exists():
            return self._workdir
        self._owns_workdir = True
        return Path(tempfile.mkdtemp(prefix="ferrokafka-kafka-"))

    def _start_once(self) -> None:
        workdir = self._workdir
        assert workdir is not None
        for node in self._nodes:
            shutil.rmtree(node.directory, ignore_errors=True)
        self.close_clients()
        per_node = 2 if self.external_advertised_ports is None else 3
        ports = free_ports(per_node * self.node_count)
        self._nodes = [
            KafkaNode(
                node_id=index + 1,
                port=ports[per_node * index],
                controller_port=ports[per_node * index + 1],
                directory=workdir / f"node-{index + 1}",
                distribution=self._distribution,
                jvm_options=self.jvm_options,
                ready_check=self._serves,
                external_port=ports[per_node * index + 2] if per_node == 3 else None,
            )
            for index in range(self.node_count)
        ]
        for node in self._nodes:
            shutil.rmtree(node.data_dir, ignore_errors=True)
            node.write_config(self._node_properties(node))
        tool_logging = logging_options(
            workdir, self._distribution, level="WARN", stream="stdout", name="tools"
        )
        formats = [
            node.format_storage(self.cluster_id, tool_logging, self._format_arguments())
            for node in self._nodes
        ]
        for node, started in zip(self._nodes, formats, strict=True):
            node.finish_format(started, _FORMAT_TIMEOUT_S)
        for node in self._nodes:
            node.start(wait=False)
        self._wait_ready(time.monotonic() + self.start_timeout)

    def _wait_ready(self, deadline: float) -> None:
        expected = {node.node_id for node in self._nodes}
        reported: set[int] = set()
        while True:
            for node in self._nodes:
                node.check_alive()
            if all(node.accepts_connections() for node in self._nodes):
                try:
                    reported = self.broker_ids(timeout=2.0)
                except Exception as exc:  # librdkafka raises KafkaException until a broker answers
                    logger.debug("cluster not answering yet: %s", exc)
                if reported == expected:
                    return
            if time.monotonic() >= deadline:
                missing = [node for node in self._nodes if node.node_id not in reported]
                culprit = missing[0] if missing else self._nodes[0]
                raise culprit.start_error(
                    f"Kafka cluster not ready after {self.start_timeout:g} s: brokers "
                    f"{sorted(reported)} registered, expected {sorted(expected)}"
                )
            time.sleep(0.1)

    def _serves(self, node: KafkaNode) -> bool:
        try:
            return node.node_id in self.broker_ids(timeout=2.0)
        except Exception as exc:  # librdkafka raises KafkaException while the cluster recovers
            logger.debug("listing brokers failed: %s", exc)
            return False

    def _format_arguments(self) -> list[str]:
        """Extra `StorageTool format` arguments (a secured cluster adds its SCRAM users)."""
        return []

    def _node_properties(self, node: KafkaNode) -> dict[str, str]:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self._nodes)
        properties = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(node.data_dir),
            **default_broker_properties(self.node_count, self._distribution),
        }
        if self.external_advertised_ports is not None:
            advertised = self.external_advertised_ports[node.node_id - 1]
            properties["listeners"] += f",EXTERNAL://127.0.0.1:{node.external_port}"
            properties["advertised.listeners"] += f",EXTERNAL://127.0.0.1:{advertised}"
            properties["listener.security.protocol.map"] += ",EXTERNAL:PLAINTEXT"
        properties.update(self.broker_properties)
        return properties


def _property_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _random_cluster_id() -> str:
    # Kafka's Uuid.randomUuid: 16 random bytes, URL-safe base64 without padding, never starting
    # with '-' (the tools would read it as an option).
    while True:
        encoded = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not encoded.startswith("-"):
            return encoded
