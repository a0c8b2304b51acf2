"""What a test does with a running cluster: topics, and reading records back independently.

Everything here goes through code that is not ferrokafka's: confluent-kafka (librdkafka) for
administration and consuming, and Kafka's own Java console tools.
"""

from __future__ import annotations

import abc
import logging
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from ferrokafka.testing import _cds
from ferrokafka.testing._broker_node import BrokerNode
from ferrokafka.testing._distribution import KafkaDistribution, java_executable
from ferrokafka.testing._errors import KafkaHarnessError, KafkaToolError
from ferrokafka.testing._node import TOOL_JVM_OPTIONS, logging_options
from ferrokafka.testing._read_back import ConsumedRecord, read_to_end

if TYPE_CHECKING:
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.admin._metadata import ClusterMetadata

logger = logging.getLogger("ferrokafka.testing")
# librdkafka reports refused connections while brokers start; they belong in the test's captured
# log, not on stderr through logging's last-resort handler.
logger.addHandler(logging.NullHandler())
_librdkafka_logger = logger.getChild("librdkafka")

_TOOL_STARTUP_ALLOWANCE_S = 60.0


# Named apart from ferrokafka.cluster's TopicDescription and PartitionDescription: this is the
# independent reader's (confluent-kafka's) view, with fewer fields and -1 for no leader.
@dataclass(frozen=True, slots=True)
class PartitionLayout:
    partition: int
    # -1 while the partition has no leader.
    leader: int
    replicas: list[int]
    isr: list[int]


@dataclass(frozen=True, slots=True)
class TopicLayout:
    name: str
    partitions: list[PartitionLayout]


def _confluent_missing() -> KafkaHarnessError:
    return KafkaHarnessError(
        "ferrokafka.testing administers and reads topics with confluent-kafka: "
        "pip install 'confluent-kafka>=2.6'"
    )


class BaseCluster(abc.ABC):
    """The part of a cluster every test uses, whether started here or reached by address."""

    def __init__(self, distribution: KafkaDistribution) -> None:
        self._distribution = distribution
        self._admin: AdminClient | None = None

    @property
    @abc.abstractmethod
    def bootstrap_servers(self) -> str:
        """`host:port` pairs joined by commas, as clients take them."""

    @property
    @abc.abstractmethod
    def nodes(self) -> Sequence[BrokerNode]:
        """The nodes this process controls (stop, kill, restart, pause)."""

    @abc.abstractmethod
    def start(self) -> None: ...

    @abc.abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def version(self) -> str:
        """The Kafka release of the jars used for the console tools (and brokers, if started)."""
        return self._distribution.version

    @property
    def distribution(self) -> KafkaDistribution:
        return self._distribution

    @property
    def keeps_records_across_restarts(self) -> bool:
        """Whether a broker stopped and started again still has what it had (not so for tansu
        with in-memory storage)."""
        return True

    def client_config(self) -> dict[str, str]:
        """Connection settings for a confluent-kafka client of this cluster."""
        return {"bootstrap.servers": self.bootstrap_servers}

    def admin(self) -> AdminClient:
        """A confluent-kafka AdminClient of this cluster, created once and reused."""
        if self._admin is None:
            try:
                from confluent_kafka.admin import AdminClient
            except ImportError as exc:
                raise _confluent_missing() from exc
            self._admin = AdminClient(_with_logger(self.client_config()))
        return self._admin

    def close_clients(self) -> None:
        self._admin = None

    def metadata(self, *, timeout: float = 10.0) -> ClusterMetadata:
        return self.admin().list_topics(timeout=timeout)

    def broker_ids(self, *, timeout: float = 10.0) -> set[int]:
        """The ids of the brokers the cluster reports alive (fenced brokers are left out)."""
        return set(self.metadata(timeout=timeout).brokers)

    def wait_for_brokers(self, expected: int | Iterable[int], *, timeout: float = 60.0) -> set[int]:
        """Wait until the cluster reports exactly these broker ids (or this many brokers)."""
        wanted: int | set[int] = expected if isinstance(expected, int) else set(expected)
        deadline = time.monotonic() + timeout
        seen: set[int] | None = None
        while True:
            try:
                seen = self.broker_ids(timeout=min(5.0, max(0.5, deadline - time.monotonic())))
            except Exception as exc:  # librdkafka raises KafkaException while brokers restart
                logger.debug("listing brokers failed: %s", exc)
            else:
                if (len(seen) == wanted) if isinstance(wanted, int) else (seen == wanted):
                    return seen
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"the cluster at {self.bootstrap_servers} reported brokers {seen} "
                    f"after {timeout:g} s, expected {wanted}"
                )
            time.sleep(0.2)

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replication_factor: int = 1,
        config: Mapping[str, str] | None = None,
        *,
        timeout: float = 30.0,
    ) -> str:
        """Create a topic and wait until every partition has a leader and a full ISR."""
        from confluent_kafka.cimpl import NewTopic

        new = NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            config=dict(config or {}),
        )
        futures = self.admin().create_topics([new], operation_timeout=timeout)
        futures[name].result(timeout=timeout)
        self._wait_for_topic(name, partitions, replication_factor, timeout=timeout)
        return name

    def delete_topic(self, name: str, *, timeout: float = 30.0) -> None:
        """Delete a topic and wait until the cluster no longer reports it."""
        futures = self.admin().delete_topics([name], operation_timeout=timeout)
        futures[name].result(timeout=timeout)
        deadline = time.monotonic() + timeout
        while name in self.metadata(timeout=timeout).topics:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"topic {name!r} still reported {timeout:g} s after deletion")
            time.sleep(0.1)

    def describe_topics(
        self, names: Iterable[str] | None = None, *, timeout: float = 10.0
    ) -> dict[str, TopicLayout]:
        """Partitions, leaders, replicas and ISRs of the named topics (default: all but `__*`)."""
        metadata = self.metadata(timeout=timeout)
        wanted = set(names) if names is not None else None
        described: dict[str, TopicLayout] = {}
        for name, topic in metadata.topics.items():
            if wanted is None and name.startswith("__"):
                continue
            if wanted is not None and name not in wanted:
                continue
            if topic.error is not None:
                raise KafkaHarnessError(f"describing topic {name!r}: {topic.error}")
            described[name] = TopicLayout(
                name=name,
                partitions=[
                    PartitionLayout(
                        partition=p.id,
                        leader=p.leader,
                        replicas=list(p.replicas),
                        isr=list(p.isrs),
                    )
                    for p in sorted(topic.partitions.values(), key=lambda p: p.id)
                ],
            )
        if wanted is not None and (missing := wanted - described.keys()):
            raise KafkaHarnessError(f"no such topic(s): {', '.join(sorted(missing))}")
        return described

    def consume(
        self,
        topic: str,
        count: int | None = None,
        timeout: float = 30.0,
        *,
        isolation_level: str = "read_committed",
        client_config: Mapping[str, str] | None = None,
    ) -> list[ConsumedRecord]:
        """Read `topic` from the beginning to its partitions' end offsets, with confluent-kafka.

        `client_config` replaces `self.client_config()` (e.g. to read through a TLS listener).

        The end offsets (high watermarks) are asked for first and every partition is read up to
        them, so whatever the topic holds is seen, duplicates included. Without `count`, that
        is the result. With `count`, the topic must hold exactly `count` records: while fewer
        are there, the end offsets are asked for again (records may still be replicating)
        until `timeout` seconds, then `ConsumeTimeoutError`; more raise
        `UnexpectedRecordsError`, naming the values found twice. Partitions are assigned
        directly (no consumer group, no rebalance) and the result is sorted by partition and
        offset.
        """
        try:
            from confluent_kafka import Consumer
        except ImportError as exc:
            raise _confluent_missing() from exc
        deadline = time.monotonic() + timeout
        consumer = Consumer(
            _with_logger(
                {
                    **(self.client_config() if client_config is None else client_config),
                    "group.id": f"ferrokafka-testing-{uuid.uuid4().hex}",
                    "enable.auto.commit": False,
                    "enable.partition.eof": True,
                    "auto.offset.reset": "earliest",
                    "isolation.level": isolation_level,
                }
            )
        )
        try:
            return read_to_end(consumer, topic, count, deadline, timeout)
        finally:
            consumer.close()

    def console_produce(
        self,
        topic: str,
        lines: Iterable[str],
        *,
        parse_key: bool = False,
        key_separator: str = "\t",
        properties: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        """Write one record per line with Kafka's own console producer.

        With `parse_key`, each line is `key<key_separator>value`. `properties` are producer
        configs (`--producer-property`). Raises `KafkaToolError` if a send fails.
        """
        renamed = self._distribution.renamed_tool_options
        reader = "--reader-property" if renamed else "--property"
        client = "--command-property" if renamed else "--producer-property"
        args = ["--bootstrap-server", self.bootstrap_servers, "--topic", topic]
        if parse_key:
            args += [reader, "parse.key=true", reader, f"key.separator={key_separator}"]
        for key, value in (properties or {}).items():
            args += [client, f"{key}={value}"]
        body = "".join(line + "\n" for line in lines)
        result = self.run_tool(
            self._distribution.console_producer_class, args, input=body, timeout=timeout
        )
        # The console producer logs a failed send and still exits 0.
        if result.returncode != 0 or "Error when sending message" in result.stderr:
            raise KafkaToolError(
                f"console producer failed (exit {result.returncode}):\n{_tail(result.stderr)}"
            )

    def console_consume(
        self,
        topic: str,
        max_messages: int,
        timeout_s: float = 30.0,
        *,
        print_key: bool = True,
        key_separator: str = "\t",
        print_headers: bool = False,
        from_beginning: bool = True,
        properties: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Read up to `max_messages` records with Kafka's own console consumer.

        Returns the lines it printed (`key<key_separator>value` with `print_key`); fewer than
        `max_messages` if `timeout_s` passed without a new record. `properties` are consumer
        configs (`--consumer-property`).
        """
        args = [
            "--bootstrap-server",
            self.bootstrap_servers,
            "--topic",
            topic,
            "--max-messages",
            str(max_messages),
            "--timeout-ms",
            str(int(timeout_s * 1000)),
        ]
        renamed = self._distribution.renamed_tool_options
        formatter = "--formatter-property" if renamed else "--property"
        client = "--command-property" if renamed else "--consumer-property"
        if from_beginning:
            args.append("--from-beginning")
        if print_key:
            args += [formatter, "print.key=true", formatter, f"key.separator={key_separator}"]
        if print_headers:
            args += [formatter, "print.headers=true"]
        for key, value in (properties or {}).items():
            args += [client, f"{key}={value}"]
        result = self.run_tool(
            self._distribution.console_consumer_class,
            args,
            timeout=timeout_s + _TOOL_STARTUP_ALLOWANCE_S,
        )
        # A consumer that times out waiting for records ends normally; anything else is a failure.
        if result.returncode != 0 and "TimeoutException" not in result.stderr:
            raise KafkaToolError(
                f"console consumer failed (exit {result.returncode}):\n{_tail(result.stderr)}"
            )
        return result.stdout.splitlines()

    def run_tool(
        self,
        main_class: str,
        args: Sequence[str],
        *,
        input: str | None = None,
        timeout: float = 120.0,
        jvm_options: Sequence[str] = TOOL_JVM_OPTIONS,
    ) -> subprocess.CompletedProcess[str]:
        """Run a Java main class from the Kafka jars (e.g. `ProducerPerformance`), bounded."""
        libs = self._distribution.fetch()
        archive = _cds.plan(self._distribution, "tools", jvm_options, may_dump=True)
        command = [
            java_executable(),
            *jvm_options,
            *_cds.JVM_LOG_OPTIONS,
            *archive.options,
            *logging_options(
                self._distribution.home / "conf",
                self._distribution,
                level="WARN",
                stream="stderr",
                name="tools",
            ),
            "-cp",
            str(libs / "*"),
            main_class,
            *args,
        ]
        try:
            result = subprocess.run(
                command,
                input=input,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="backslashreplace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
            raise KafkaToolError(
                f"{main_class} did not finish within {timeout:g} s\n{_tail(stderr)}"
            ) from exc
        if result.returncode >= 0:
            archive.publish()
        return result

    def _wait_for_topic(
        self, name: str, partitions: int, replication_factor: int, *, timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        state = "not reported"
        while True:
            topic = self.metadata(timeout=timeout).topics.get(name)
            if topic is not None and topic.error is None:
                ready = [
                    p
                    for p in topic.partitions.values()
                    if p.leader >= 0 and len(p.isrs) >= replication_factor
                ]
                if len(ready) == partitions and self._leaders_serve(name, partitions):
                    return
                state = f"{len(ready)} of {partitions} partitions with a leader and full ISR"
            if time.monotonic() >= deadline:
                raise TimeoutError(f"topic {name!r}: {state} after {timeout:g} s")
            time.sleep(0.05)

    def _leaders_serve(self, name: str, partitions: int) -> bool:
        # A broker lists itself as leader in metadata a moment before it takes the partition
        # over: a produce in between fails (with acks=0 the records are silently lost), while
        # ListOffsets answers only once the leader serves.
        from confluent_kafka import TopicPartition
        from confluent_kafka.admin._listoffsets import OffsetSpec

        latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        requests = {TopicPartition(name, p): latest for p in range(partitions)}
        try:
            for future in self.admin().list_offsets(requests, request_timeout=5).values():
                future.result(timeout=10)
        except Exception as exc:  # librdkafka's KafkaException: NOT_LEADER_OR_FOLLOWER and kin
            logger.debug("topic %r not served yet: %s", name, exc)
            return False
        return True


def _with_logger(config: Mapping[str, Any]) -> dict[str, Any]:
    return {**config, "logger": _librdkafka_logger}


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
