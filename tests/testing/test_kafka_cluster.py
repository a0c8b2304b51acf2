"""The real-Kafka harness itself: clusters start, serve, lose and regain nodes, stop without
leaving a process behind, and fail loudly with the broker's log when they cannot start."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ferrokafka.testing import (
    BaseCluster,
    ConsumeTimeoutError,
    ExternalCluster,
    KafkaCluster,
    KafkaStartError,
    KafkaToolError,
    NodeControlError,
    TimestampType,
    UnexpectedRecordsError,
)
from ferrokafka.testing.pytest_plugin import TopicFactory


def assert_gone(pid: int, within: float = 15.0, *, foreign: bool = False) -> None:
    """The process no longer exists; a child of ours not even as a zombie (it was reaped).

    A `foreign` process (not our child) counts as gone once it is a zombie: reaping it is the
    job of whoever inherited it.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if foreign and _is_zombie(pid):
            return
        assert time.monotonic() < deadline, f"process {pid} still exists"
        time.sleep(0.1)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def node_pids(cluster: KafkaCluster) -> list[int]:
    pids = [node.pid for node in cluster.nodes]
    assert None not in pids
    return [pid for pid in pids if pid is not None]


def test_one_node_cluster_starts_and_stops_cleanly(tmp_path: Path) -> None:
    cluster = KafkaCluster(1, workdir=tmp_path)
    with cluster:
        (node,) = cluster.nodes
        assert cluster.bootstrap_servers == f"127.0.0.1:{node.port}"
        assert cluster.broker_ids() == {1}
        assert node.is_running
        assert node.node_id == 1
        assert node.log_path == tmp_path / "node-1" / "kafka.log"
        pids = node_pids(cluster)
    for pid in pids:
        assert_gone(pid, within=0)
    assert not node.is_running
    assert "Kafka Server started" in node.log_path.read_text()


def test_default_workdir_is_removed_after_a_clean_stop() -> None:
    cluster = KafkaCluster(1)
    cluster.start()
    workdir = cluster.workdir
    assert workdir is not None
    assert workdir.is_dir()
    cluster.stop()
    assert not workdir.exists()


def test_console_producer_record_read_back_by_both_consumers(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic()
    kafka.console_produce(name, ["order-17\tfirst", "order-18\tsecond"], parse_key=True)

    records = kafka.consume(name, count=2)
    assert [(r.key, r.value) for r in records] == [
        (b"order-17", b"first"),
        (b"order-18", b"second"),
    ]
    assert [r.offset for r in records] == [0, 1]
    assert all(r.topic == name and r.partition == 0 and r.headers == [] for r in records)
    assert all(r.timestamp_type is TimestampType.CREATE_TIME for r in records)
    assert all(abs(r.timestamp - time.time() * 1000) < 600_000 for r in records)

    assert kafka.console_consume(name, max_messages=2, timeout_s=20) == [
        "order-17\tfirst",
        "order-18\tsecond",
    ]


def test_console_producer_reports_a_failed_send(kafka: BaseCluster, topic: TopicFactory) -> None:
    # The console producer only logs a failed send and exits 0; the harness must notice.
    with pytest.raises(KafkaToolError, match="RecordTooLargeException"):
        kafka.console_produce(topic(), ["x" * 200], properties={"max.request.size": "100"})


def test_consume_reads_to_the_end_or_times_out(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=3)
    kafka.console_produce(name, [f"k{i}\tv{i}" for i in range(9)], parse_key=True)
    everything = kafka.consume(name)
    assert sorted(r.value for r in everything if r.value) == [f"v{i}".encode() for i in range(9)]
    assert [(r.partition, r.offset) for r in everything] == sorted(
        (r.partition, r.offset) for r in everything
    )
    with pytest.raises(ConsumeTimeoutError) as caught:
        kafka.consume(name, count=10, timeout=2)
    assert len(caught.value.records) == 9


def test_consume_with_a_count_reads_to_the_end_offsets(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    # A duplicate after the first `count` records is still read, and fails the count.
    name = topic(partitions=2)
    kafka.console_produce(name, ["a\tone", "b\ttwo", "a\tone"], parse_key=True)
    with pytest.raises(UnexpectedRecordsError, match=r"holds 3 records .* expected 2") as caught:
        kafka.consume(name, count=2, timeout=30)
    assert "b'one' at [(" in str(caught.value)
    assert sorted(r.value or b"" for r in caught.value.records) == [b"one", b"one", b"two"]
    assert len(kafka.consume(name, count=3, timeout=30)) == 3


def test_topics_are_created_with_leaders_and_described(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=4, config={"cleanup.policy": "compact"})
    (description,) = kafka.describe_topics([name]).values()
    assert [p.partition for p in description.partitions] == [0, 1, 2, 3]
    assert all(p.leader == 1 and p.replicas == [1] and p.isr == [1] for p in description.partitions)
    kafka.delete_topic(name)
    assert name not in kafka.describe_topics()


def test_external_cluster_reuses_a_running_cluster(
    kafka: BaseCluster, topic: TopicFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    with ExternalCluster() as external:
        name = topic(cluster=external)
        external.console_produce(name, ["plain value"])
        assert [r.value for r in external.consume(name, 1)] == [b"plain value"]
        with pytest.raises(NodeControlError, match="KAFKA_BOOTSTRAP_SERVERS"):
            external.nodes[0].kill()
    # The borrowed cluster keeps running.
    assert kafka.broker_ids()


def test_three_node_cluster_loses_and_regains_a_killed_node(tmp_path: Path) -> None:
    with KafkaCluster(3, workdir=tmp_path) as cluster:
        assert cluster.broker_ids() == {1, 2, 3}
        assert len(cluster.bootstrap_servers.split(",")) == 3
        name = cluster.create_topic("replicated", partitions=2, replication_factor=3)
        assert all(len(p.isr) == 3 for p in cluster.describe_topics([name])[name].partitions)

        victim = cluster.nodes[1]
        old_pid = victim.pid
        assert old_pid is not None
        victim.kill()
        assert not victim.is_running
        assert_gone(old_pid, within=0)
        assert cluster.wait_for_brokers({1, 3}, timeout=30) == {1, 3}

        victim.restart()
        assert victim.is_running
        assert victim.pid != old_pid
        assert cluster.wait_for_brokers({1, 2, 3}, timeout=30) == {1, 2, 3}
        pids = node_pids(cluster)
    for pid in pids:
        assert_gone(pid, within=0)


@pytest.mark.timeout(120)
def test_three_node_fixture_node_stop_and_pause(kafka3: BaseCluster) -> None:
    assert kafka3.wait_for_brokers(3, timeout=30) == {1, 2, 3}
    node = kafka3.nodes[2]

    node.stop()
    assert not node.is_running
    assert kafka3.wait_for_brokers({1, 2}, timeout=30) == {1, 2}
    node.start()
    assert kafka3.wait_for_brokers({1, 2, 3}, timeout=30) == {1, 2, 3}

    # A paused node stops heartbeating and is fenced after broker.session.timeout.ms.
    node.pause()
    try:
        assert node.is_paused
        assert kafka3.wait_for_brokers({1, 2}, timeout=40) == {1, 2}
    finally:
        node.resume()
    assert kafka3.wait_for_brokers({1, 2, 3}, timeout=40) == {1, 2, 3}


def test_bad_broker_property_raises_start_error_with_log_tail(tmp_path: Path) -> None:
    cluster = KafkaCluster(1, workdir=tmp_path, broker_properties={"message.max.bytes": "lots"})
    with pytest.raises(KafkaStartError) as caught:
        cluster.start()
    error = caught.value
    log_path = tmp_path / "node-1" / "kafka.log"
    assert error.log_path == log_path
    assert str(log_path) in str(error)
    assert "Invalid value lots for configuration message.max.bytes" in str(error)
    assert log_path.exists()
    assert not any(node.is_running for node in cluster.nodes)


def test_broker_that_exits_raises_start_error_and_keeps_its_log() -> None:
    # Accepted when the storage is formatted, fatal when the broker starts.
    cluster = KafkaCluster(1, broker_properties={"metric.reporters": "com.example.Missing"})
    with pytest.raises(KafkaStartError, match="Kafka node 1 exited with status 1") as caught:
        cluster.start()
    log_path = caught.value.log_path
    assert log_path is not None
    assert "com.example.Missing" in caught.value.log_tail
    assert "com.example.Missing" in log_path.read_text()
    assert not any(node.is_running for node in cluster.nodes)
    assert cluster.workdir is not None
    shutil.rmtree(cluster.workdir)


def test_start_timeout_raises_start_error_and_reaps_the_node(tmp_path: Path) -> None:
    cluster = KafkaCluster(1, workdir=tmp_path, start_timeout=0.01)
    with pytest.raises(KafkaStartError, match=r"not ready after 0\.01 s") as caught:
        cluster.start()
    assert "--- last lines of kafka.log ---" in str(caught.value)
    assert not any(node.is_running for node in cluster.nodes)


def test_up_command_prints_bootstrap_servers_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ferrokafka.testing", "up", "--nodes", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        bootstrap = process.stdout.readline().strip()
        assert bootstrap.startswith("127.0.0.1:"), process.stderr.read() if process.stderr else ""
        assert ExternalCluster(bootstrap).broker_ids() == {1}
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        assert "stopping" in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    host, _, port = bootstrap.rpartition(":")
    assert not _accepts(host, int(port))


def test_brokers_die_with_a_killed_python_process(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from ferrokafka.testing import KafkaCluster
        cluster = KafkaCluster(1, workdir=sys.argv[1])
        cluster.start()
        print(cluster.nodes[0].pid, flush=True)
        time.sleep(600)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        jvm_pid = int(process.stdout.readline())
    finally:
        process.kill()
        process.wait()
    assert_gone(jvm_pid, within=15, foreign=True)


def _accepts(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
