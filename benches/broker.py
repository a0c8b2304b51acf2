"""The Kafka the benchmarks run against: started here (one node) or given by
`KAFKA_BOOTSTRAP_SERVERS`; a fresh topic per run, and what the broker stored afterwards."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from confluent_kafka import Producer as ConfluentProducer
from confluent_kafka import TopicPartition
from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]

from ferrokafka.testing import BaseCluster, ExternalCluster, KafkaCluster

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
GC_LOG = "gc.log"
# The test harness gives its brokers a small heap and only the C1 JIT, to start fast on shared
# machines; a broker under benchmark load gets the optimising JIT and room for its buffers.
BROKER_JVM_OPTIONS = (
    "-Xms1g",
    "-Xmx1g",
    "-XX:-UsePerfData",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    # Every stop-the-world pause, stamped in epoch milliseconds, in the node's directory (the
    # JVM's working directory): `broker_view.gc_pauses` finds those that fell inside a run.
    # ZGC logs its (sub-millisecond) pauses as phases.
    f"-Xlog:gc,gc+phases=info:file={GC_LOG}:timemillis",
)
# The broker's garbage collector: G1 as Kafka's own start script sets it, or ZGC, whose pauses
# stay under a millisecond, to see the clients' latency without the broker's young-generation
# pauses (several ms on two shared cores).
BROKER_GC_OPTIONS = {
    "g1": ("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"),
    "zgc": ("-XX:+UseZGC",),
}
DEFAULT_BROKER_GC = "g1"


class Broker:
    def __init__(
        self,
        bootstrap_servers: str | None = None,
        *,
        broker_properties: dict[str, str] | None = None,
        gc: str = DEFAULT_BROKER_GC,
    ) -> None:
        servers = bootstrap_servers or os.environ.get(BOOTSTRAP_ENV, "").strip()
        self.cluster: BaseCluster = (
            ExternalCluster(servers)
            if servers
            else KafkaCluster(
                jvm_options=(*BROKER_GC_OPTIONS[gc], *BROKER_JVM_OPTIONS),
                broker_properties=broker_properties,
            )
        )
        self.external = bool(servers)

    def __enter__(self) -> Broker:
        self.cluster.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cluster.stop()

    @property
    def bootstrap_servers(self) -> str:
        return self.cluster.bootstrap_servers

    @property
    def version(self) -> str:
        return self.cluster.version

    @property
    def gc_log(self) -> Path | None:
        """The broker's GC log (the first node's), or None for a broker started elsewhere."""
        if isinstance(self.cluster, KafkaCluster) and self.cluster.nodes:
            return self.cluster.nodes[0].directory / GC_LOG
        return None

    def cpu_seconds(self) -> float | None:
        """CPU time (user and system, every thread) the broker's JVMs have used so far, or None
        for a broker started elsewhere. Read before and after a run: the broker's share of the
        run's work, which on a shared machine is CPU the client does not get."""
        if not isinstance(self.cluster, KafkaCluster) or not self.cluster.nodes:
            return None
        ticks_per_s = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for node in self.cluster.nodes:
            pid = node.pid
            if pid is None:
                return None
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                return None
            # After the command name (in parentheses, which may hold spaces): utime and stime
            # are the 12th and 13th fields.
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks_per_s
        return total

    @property
    def log(self) -> Path | None:
        """The broker's own log (the first node's), or None for a broker started elsewhere."""
        if isinstance(self.cluster, KafkaCluster) and self.cluster.nodes:
            return self.cluster.nodes[0].log_path
        return None

    def warm_up(self, seconds: float, partitions: int) -> int:
        """Produces to a scratch topic for ``seconds`` (large batches, then small acks=all
        requests) so that the broker's JIT has compiled its produce path before the first
        client is measured: otherwise whichever client runs first pays for it. Returns the
        records written."""
        topic = self.fresh_topic("warm-up", partitions)
        written = 0
        for linger_ms, per_poll in ((5, 1000), (0, 20)):
            producer = ConfluentProducer(
                {
                    "bootstrap.servers": self.bootstrap_servers,
                    "acks": "all",
                    "enable.idempotence": True,
                    "linger.ms": linger_ms,
                }
            )
            deadline = time.monotonic() + seconds / 2
            while time.monotonic() < deadline:
                for _ in range(per_poll):
                    try:
                        producer.produce(topic, b"w" * 100)
                        written += 1
                    except BufferError:
                        producer.poll(0.01)
                producer.poll(0.001 if linger_ms == 0 else 0)
            producer.flush(30)
        self.delete_topic(topic)
        return written

    def fresh_topic(
        self,
        prefix: str,
        partitions: int,
        config: dict[str, str] | None = None,
        *,
        timeout: float = 30.0,
    ) -> str:
        name = f"bench-{prefix}-{uuid.uuid4().hex[:8]}"
        self.cluster.create_topic(name, partitions=partitions, config=config, timeout=timeout)
        return name

    def prime(self, topic: str, partitions: int, *, timeout: float = 120.0) -> None:
        """Writes one record to every partition of a fresh topic: the broker's first append to
        a partition costs far more than the next ones, and would otherwise be paid by whichever
        client runs first."""
        producer = ConfluentProducer({"bootstrap.servers": self.bootstrap_servers, "acks": "all"})
        for partition in range(partitions):
            while True:
                try:
                    producer.produce(topic, b"p" * 100, partition=partition)
                    break
                except BufferError:
                    producer.poll(0.01)
        left = producer.flush(timeout)
        if left:
            raise RuntimeError(f"priming {topic}: {left} records unsent after {timeout:g} s")

    def delete_topic(self, name: str, *, timeout: float = 30.0) -> None:
        self.cluster.delete_topic(name, timeout=timeout)

    def delete_topics(self, names: Sequence[str], *, timeout: float = 300.0) -> None:
        """Deletes many topics in one request, and waits until the cluster reports none."""
        if not names:
            return
        futures = self.cluster.admin().delete_topics(list(names), operation_timeout=timeout)
        for future in futures.values():
            future.result(timeout=timeout)
        deadline = time.monotonic() + timeout
        while set(names) & set(self.cluster.metadata(timeout=timeout).topics):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"topics still reported {timeout:g} s after their deletion")
            time.sleep(0.5)

    def record_count(self, topic: str, partitions: int) -> int:
        """Records the topic holds: the sum of its partitions' end offsets (fresh topics start
        at 0; transaction markers would count too, and none are written)."""
        latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        request = {TopicPartition(topic, p): latest for p in range(partitions)}
        futures = self.cluster.admin().list_offsets(request, request_timeout=30)
        return sum(future.result(timeout=30).offset for future in futures.values())

    def stored_bytes(self, topic: str) -> int:
        """Bytes of the topic's log segments, as the broker stored them (compressed)."""
        if isinstance(self.cluster, KafkaCluster):
            total = 0
            for node in self.cluster.nodes:
                for directory in Path(node.data_dir).glob(f"{topic}-*"):
                    total += sum(segment.stat().st_size for segment in directory.glob("*.log"))
            return total
        # A broker elsewhere: ask it (kafka-log-dirs.sh).
        result = self.cluster.run_tool(
            "org.apache.kafka.tools.LogDirsCommand",
            ["--bootstrap-server", self.bootstrap_servers, "--describe", "--topic-list", topic],
            timeout=60,
        )
        document = next(
            json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")
        )
        return sum(
            partition["size"]
            for broker in document["brokers"]
            for log_dir in broker["logDirs"]
            for partition in log_dir["partitions"]
        )
