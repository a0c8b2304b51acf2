"""The ``ferrokafka`` command run as a subprocess against a real broker; records read back by
confluent-kafka, ``perf-test`` output compared in shape with Java's ``ProducerPerformance``."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ferrokafka.testing import BaseCluster

TopicFactory = Callable[..., str]
COMMAND = [sys.executable, "-m", "ferrokafka.cli"]
TIMEOUT_S = 180

# Kafka 4.1's ProducerPerformance.Stats lines: every five seconds, and the total.
WINDOW_LINE = re.compile(
    r"\d+ records sent, \d+\.\d records/sec \(\d+\.\d\d MB/sec\), \d+\.\d ms avg latency, "
    r"\d+\.\d ms max latency\."
)
TOTAL_LINE = re.compile(
    r"\d+ records sent, \d+\.\d records/sec \(\d+\.\d\d MB/sec\), \d+\.\d\d ms avg latency, "
    r"\d+\.\d\d ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\."
)
WARMUP_NOTE = (
    "Warmup first 100 records. Steady state results will print after the complete test summary."
)


def ferrokafka(
    args: Sequence[str], *, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, **(env or {})},
        check=False,
    )


def exact_shape(line: str) -> str:
    """The line with every run of digits replaced by N: its words and number formats."""
    return re.sub(r"\d+", "N", line)


# --- produce ---------------------------------------------------------------------------------


def test_produce_text_lines_with_keys_from_stdin(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=3)
    lines = [f"user-{i % 5}\tclicked {i}" for i in range(500)]
    result = ferrokafka(
        ["produce", name, "-b", kafka.bootstrap_servers, "--key-separator", "\t"],
        stdin=("\n".join(lines) + "\n").encode(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"500 of 500 records acknowledged by {name!r}, 0 failed" in result.stderr
    records = kafka.consume(name, 500)
    assert sorted((r.key, r.value) for r in records) == sorted(  # type: ignore[type-var]
        (line.split("\t")[0].encode(), line.split("\t")[1].encode()) for line in lines
    )
    partitions_of_key: dict[bytes | None, set[int]] = {}
    for record in records:
        partitions_of_key.setdefault(record.key, set()).add(record.partition)
    assert all(len(p) == 1 for p in partitions_of_key.values())


def test_produce_json_lines_from_files_with_fields(
    kafka: BaseCluster, topic: TopicFactory, tmp_path: Path
) -> None:
    name = topic(partitions=2)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(json.dumps({"id": i, "trace": f"t{i}"}) + "\n" for i in range(100)))
    second.write_text(
        "".join(json.dumps({"id": i, "trace": f"t{i}"}) + "\n" for i in range(100, 150))
    )
    result = ferrokafka(
        [
            "produce",
            name,
            str(first),
            str(second),
            "--json",
            "--key-field",
            "id",
            "--header-field",
            "trace",
            "-X",
            "linger.ms=20",
            "-X",
            "compression.type=zstd",
            "--progress",
            "lines",
            "--progress-interval",
            "0",
        ],
        env={"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers},
    )
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if " acknowledged, " in line]
    assert progress
    assert all(
        re.fullmatch(r" *\d+\.\d s: \d+ sent, \d+ acknowledged, \d+ failed, \S+ records/sec", line)
        for line in progress
    )
    records = kafka.consume(name, 150)
    by_id = {json.loads(r.value or b"")["id"]: r for r in records}
    assert sorted(by_id) == list(range(150))
    for i, record in by_id.items():
        assert record.key == str(i).encode()
        assert record.headers == [("trace", f"t{i}".encode())]
        assert json.loads(record.value or b"") == {"id": i, "trace": f"t{i}"}


def test_produce_value_field_and_invalid_lines(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    body = b'{"v": "one"}\nnot json\n{"v": {"nested": 1}}\n{"other": 2}\n'
    result = ferrokafka(
        ["produce", name, "-b", kafka.bootstrap_servers, "--json", "--value-field", "v"],
        stdin=body,
    )
    assert result.returncode == 1
    assert "2 of 2 records acknowledged" in result.stderr
    assert "2 input lines invalid" in result.stderr
    assert "invalid: <stdin>:2: not JSON" in result.stderr
    assert "invalid: <stdin>:4: no field 'v'" in result.stderr
    assert [r.value for r in kafka.consume(name, 2)] == [b"one", b'{"nested":1}']


def test_produce_refuses_bad_options(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic()
    result = ferrokafka(["produce", name, "-b", kafka.bootstrap_servers, "-X", "lingr.ms=5"])
    assert result.returncode == 2
    assert "unknown option 'lingr.ms'" in result.stderr
    assert "did you mean 'linger.ms'" in result.stderr
    result = ferrokafka(["produce", name, "--key-field", "id"])
    assert result.returncode == 2
    assert "need --json" in result.stderr


def test_produce_draws_a_progress_bar_on_a_terminal(
    kafka: BaseCluster, topic: TopicFactory, tmp_path: Path
) -> None:
    name = topic()
    source = tmp_path / "lines.txt"
    source.write_text("".join(f"line {i}\n" for i in range(3000)))
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [
                *COMMAND,
                "produce",
                name,
                str(source),
                "-b",
                kafka.bootstrap_servers,
                "--rate",
                "1500",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=TIMEOUT_S,
            check=False,
        )
        os.close(follower)
        screen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(leader)
    assert process.returncode == 0
    text = screen.decode()
    frames = [frame for frame in text.split("\r") if "acked" in frame]
    assert len(frames) >= 2  # redrawn in place, not printed line after line
    assert "100.0%" in text
    assert re.search(r"[\d,]+ acked / [\d,]+ sent +[\d,]+ rec/s +0 failed", text)
    assert "3000 of 3000 records acknowledged" in text
    assert len(kafka.consume(name, 3000)) == 3000


# --- perf-test -------------------------------------------------------------------------------


def test_perf_test_prints_what_javas_producer_performance_prints(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=3)
    # ~7 s at 3000 records/sec: long enough for one five-second window line.
    args = [
        "--topic", name, "--num-records", "20000", "--record-size", "100",
        "--throughput", "3000", "--producer-props", f"bootstrap.servers={kafka.bootstrap_servers}",
        "acks=1", "linger.ms=5",
    ]  # fmt: skip
    ours = ferrokafka(["perf-test", *args])
    assert ours.returncode == 0, ours.stderr
    java = kafka.run_tool("org.apache.kafka.tools.ProducerPerformance", args, timeout=TIMEOUT_S)
    assert java.returncode == 0, java.stderr

    for output in (ours.stdout, java.stdout):
        *windows, total = output.strip().splitlines()
        assert windows, output
        assert all(exact_shape(w) == exact_shape(windows[0]) for w in windows)
        assert total.startswith("20000 records sent, ")
    ours_lines, java_lines = ours.stdout.strip().splitlines(), java.stdout.strip().splitlines()
    # Field by field: the same words, the same numbers of decimals.
    assert exact_shape(ours_lines[-1]) == exact_shape(java_lines[-1])
    assert exact_shape(ours_lines[0]) == exact_shape(java_lines[0])
    assert WINDOW_LINE.fullmatch(java_lines[0])
    assert TOTAL_LINE.fullmatch(java_lines[-1])
    assert len(kafka.consume(name, 40000, timeout=60)) == 40000


def test_perf_test_flags_of_kafka_4_2_and_payload_file(
    kafka: BaseCluster, topic: TopicFactory, tmp_path: Path
) -> None:
    name = topic()
    payloads = tmp_path / "payloads.txt"
    payloads.write_text("alpha\nbeta\ngamma\n")
    config = tmp_path / "producer.properties"
    config.write_text(f"# a comment\nbootstrap.servers={kafka.bootstrap_servers}\nacks: all\n")
    result = ferrokafka(
        [
            "perf-test",
            "--topic",
            name,
            "--num-records",
            "300",
            "--payload-file",
            str(payloads),
            "--throughput",
            "-1",
            "--command-config",
            str(config),
            "--command-property",
            "linger.ms=1",
            "--print-metrics",
            "--warmup-records",
            "100",
        ]
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Number of messages read: 3" in lines
    assert lines.count(WARMUP_NOTE) == 1
    assert any(line.startswith("300 records sent, ") for line in lines)
    assert any(line.startswith("200 steady state records sent, ") for line in lines)
    assert any(line.startswith("record-send-total") for line in lines)
    assert {r.value for r in kafka.consume(name, 300)} <= {b"alpha", b"beta", b"gamma"}


def test_perf_test_refuses_what_it_cannot_do(kafka: BaseCluster) -> None:
    common = ["perf-test", "--topic", "t", "--record-size", "10", "--throughput", "-1"]
    props = ["--producer-props", f"bootstrap.servers={kafka.bootstrap_servers}"]
    result = ferrokafka([*common, "--num-records", "0", *props])
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "perf-test: --num-records should be greater than zero",
    )
    result = ferrokafka([*common, "--num-records", "5"])
    assert result.returncode == 2
    assert "Either --producer-props or --producer.config must be specified." in result.stderr
    result = ferrokafka([*common, "--num-records", "5", *props, "--transaction-duration-ms", "0"])
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "perf-test: --transaction-duration-ms should be greater than zero",
    )


def test_perf_test_transactions_as_javas(kafka: BaseCluster, topic: TopicFactory) -> None:
    """--transactional-id and --transaction-duration-ms: a transaction commits once a record is
    sent that long after it began, and the last one at the end, for ferrokafka and for Java's
    tool alike; every record is read back with read_committed, and the commit markers between
    them (one offset each) show that several transactions were committed."""
    outputs = []
    for tool in ("ours", "java"):
        name = topic(partitions=1)
        args = [
            "--topic", name, "--num-records", "3000", "--record-size", "50",
            "--throughput", "2000", "--transactional-id", f"perf-{tool}-{name}",
            "--transaction-duration-ms", "400",
            "--producer-props", f"bootstrap.servers={kafka.bootstrap_servers}", "linger.ms=5",
        ]  # fmt: skip
        if tool == "ours":
            result = ferrokafka(["perf-test", *args])
        else:
            result = kafka.run_tool(
                "org.apache.kafka.tools.ProducerPerformance", args, timeout=TIMEOUT_S
            )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.strip().splitlines()[-1])
        records = kafka.consume(name, 3000, isolation_level="read_committed")
        assert len(records) == 3000
        offsets = [r.offset for r in records]
        markers = offsets[-1] + 1 - len(offsets)
        # 1.5 s of records in transactions of 0.4 s: a few commit markers between them.
        assert 2 <= markers <= 10, (tool, markers)
    ours, java = outputs
    assert ours.startswith("3000 records sent, ")
    assert exact_shape(ours) == exact_shape(java)


def test_perf_test_transactional_id_as_javas() -> None:
    """Which id and duration, from which flag or property (ConfigPostProcessor's rules)."""
    from argparse import Namespace

    from ferrokafka.cli.perf_test import _transactions

    def decide(props: dict[str, str], **flags: object) -> tuple[int | None, str | None]:
        args = Namespace(**{"transactional_id": None, "transaction_duration_ms": None, **flags})
        duration = _transactions(args, props)
        return duration, props.get("transactional.id")

    assert decide({}) == (None, None)
    assert decide({}, transactional_id="a") == (3000, "a")
    assert decide({"transactional.id": "p"}) == (3000, "p")
    assert decide({"transactional.id": "p"}, transactional_id="a") == (3000, "a")
    duration, generated = decide({}, transaction_duration_ms=250)
    assert duration == 250
    assert generated is not None
    assert re.fullmatch(r"performance-producer-[A-Za-z0-9_-]{22}", generated)


# --- describe --------------------------------------------------------------------------------


def test_describe_brokers_topics_partitions_leaders(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=3)
    result = ferrokafka(["describe", "-b", kafka.bootstrap_servers, "--topic", name])
    assert result.returncode == 0, result.stderr
    described = kafka.describe_topics([name])[name]
    brokers = kafka.broker_ids()
    assert re.search(r"^Cluster: \S+\tController: \d+$", result.stdout, re.M)
    for broker in brokers:
        assert re.search(rf"^\tId: {broker}\tHost: \S+:\d+$", result.stdout, re.M)
    assert f"Topic: {name}\tTopicId: " in result.stdout
    assert "PartitionCount: 3\tReplicationFactor: 1" in result.stdout
    for partition in described.partitions:
        assert (
            f"\tTopic: {name}\tPartition: {partition.partition}\tLeader: {partition.leader}\t"
            f"Replicas: {','.join(map(str, partition.replicas))}\t"
            f"Isr: {','.join(map(str, partition.isr))}"
        ) in result.stdout

    as_json = json.loads(ferrokafka(["describe", "-b", kafka.bootstrap_servers, "--json"]).stdout)
    assert {b["id"] for b in as_json["brokers"]} == brokers
    (mine,) = [t for t in as_json["topics"] if t["name"] == name]
    assert [p["leader"] for p in mine["partitions"]] == [p.leader for p in described.partitions]

    missing = ferrokafka(
        ["describe", "-b", kafka.bootstrap_servers, "--topic", "no-such-topic-here"]
    )
    assert missing.returncode == 1
    assert (
        "Topic: no-such-topic-here\tError: UnknownTopicOrPartitionError (code 3)" in missing.stdout
    )
