"""examples/exactly_once.py against the real broker: every input record once in the output,
and the group's committed offsets at the input's end."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "exactly_once.py"


def test_exactly_once_example(kafka: BaseCluster, topic: TopicFactory) -> None:
    source, sink = topic(partitions=2), topic(partitions=2)
    count = 3_000
    lines = (f"k{i % 7}\trecord-{i:05d}" for i in range(count))
    kafka.console_produce(source, lines, parse_key=True)
    group = f"eos-{uuid.uuid4().hex[:8]}"
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--bootstrap-servers",
            kafka.bootstrap_servers,
            "--input",
            source,
            "--output",
            sink,
            "--group",
            group,
            "--transactional-id",
            f"eos-{group}",
            "--max-records",
            str(count),
            "--idle-exit-s",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"processed": count}

    output = sorted(r.value for r in kafka.consume(sink) if r.value is not None)
    assert output == sorted(b"RECORD-%05d" % i for i in range(count))
    consumer = Consumer({**kafka.client_config(), "group.id": group})
    try:
        committed = consumer.committed([TopicPartition(source, p) for p in (0, 1)], timeout=20)
        ends = [consumer.get_watermark_offsets(TopicPartition(source, p))[1] for p in (0, 1)]
    finally:
        consumer.close()
    assert [tp.offset for tp in committed] == ends
    assert sum(ends) == count
