"""With compression, `batch_size` counts the bytes a batch takes on the wire (as estimated),
as in Java: a batch of compressible records holds many more records than `batch_size` divided
by their size, while incompressible records still make batches of at most `batch_size`, and no
batch outgrows a request.

What the broker stored is read with Kafka's own `DumpLogSegments` from the broker's log
files: each batch's record count, size and codec, independently of ferrokafka.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
from dataclasses import dataclass
from typing import Any

import anyio
from producer_helpers import options, run

from ferrokafka import Producer
from ferrokafka.testing import BaseCluster, KafkaCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

BATCH_SIZE = 16_384
RECORD_BYTES = 1_024
# A record of RECORD_BYTES of value takes a few bytes more in a batch (length, deltas).
RECORDS_PER_UNCOMPRESSED_BATCH = BATCH_SIZE // RECORD_BYTES
# The estimate starts at 1.0 and improves by 0.005 a batch (Java's step): some 160 batches
# (about 5,000 of these records) before it reaches what lz4 does with them.
COUNT = 10_000
# Records sent between two pauses that let the sender drain (and the estimate learn).
BURST = 50

_BATCH_LINE = re.compile(r"\bcount: (\d+)\b.*\bsize: (\d+)\b.*\bcompresscodec: (\w+)")


@dataclass(frozen=True, slots=True)
class StoredBatch:
    records: int
    size: int
    codec: str


def stored_batches(kafka: BaseCluster, topic: str, partition: int = 0) -> list[StoredBatch]:
    """The batches of a partition as the broker wrote them to its log, in offset order."""
    assert isinstance(kafka, KafkaCluster), "needs a broker whose log files it can read"
    [node] = kafka.nodes
    directory = node.data_dir / f"{topic}-{partition}"
    segments = sorted(str(path) for path in directory.glob("*.log"))
    assert segments, f"no log segment in {directory}"
    result = kafka.run_tool("kafka.tools.DumpLogSegments", ["--files", ",".join(segments)])
    assert result.returncode == 0, result.stderr
    batches = [
        StoredBatch(int(match[1]), int(match[2]), match[3])
        for match in map(_BATCH_LINE.search, result.stdout.splitlines())
        if match is not None
    ]
    assert sum(b.records for b in batches) == COUNT, result.stdout[-2_000:]
    return batches


_PHRASES = (
    "the order was placed from the mobile app",
    "payment authorised by the card issuer",
    "parcel handed over to the carrier",
    "customer asked for a delivery slot",
    "stock reserved at the nearest warehouse",
)


def json_records() -> list[bytes]:
    """COUNT events of RECORD_BYTES of JSON, numbered, with random ids and free text drawn
    from a few phrases: lz4 takes them to about a fifth."""
    rng = random.Random(20_240_917)
    records = []
    for n in range(COUNT):
        document = {
            "n": n,
            "session": f"{rng.getrandbits(64):016x}",
            "amount": round(rng.uniform(1, 500), 2),
            "note": "",
        }
        room = RECORD_BYTES - len(json.dumps(document))
        note = ". ".join(rng.choice(_PHRASES) for _ in range(room // 30))
        document["note"] = note[:room]
        records.append(json.dumps(document).encode())
    return records


def random_records() -> list[bytes]:
    return [os.urandom(RECORD_BYTES) for _ in range(COUNT)]


def produce(
    kafka: BaseCluster, topic: str, values: list[bytes], **settings: Any
) -> dict[str, float]:
    """Sends `values` to partition 0 with lz4, lingering so that
    batches fill, in bursts as a steady producer would (were all appended at once, every
    batch would be sized before the first is compressed); returns the producer's metrics."""

    async def main() -> dict[str, float]:
        defaults = {"compression_type": "lz4", "batch_size": BATCH_SIZE, "linger_ms": 100}
        config = options(kafka, **{**defaults, **settings})
        async with Producer(**config) as producer:
            await producer.wait_for_topic(topic)
            for n, value in enumerate(values):
                producer.send_nowait(topic, value, partition=0)
                if n % BURST == BURST - 1:
                    await anyio.sleep(0.002)
            await producer.flush()
            return dict(producer.metrics())

    return run("asyncio", main)


def test_compressible_records_fill_batches_by_their_compressed_size(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=1)
    metrics = produce(kafka, name, json_records())
    batches = stored_batches(kafka, name)
    assert {b.codec for b in batches} == {"lz4"}
    counts = [b.records for b in batches]
    # The first batches fill as if uncompressed, until the ratio is learnt.
    assert max(counts) > 3 * RECORDS_PER_UNCOMPRESSED_BATCH, counts
    assert statistics.median(counts) > RECORDS_PER_UNCOMPRESSED_BATCH, counts
    # Full batches are about batch_size on the wire: estimated with a 5% margin.
    sizes = sorted(b.size for b in batches)
    assert statistics.median(sizes) <= BATCH_SIZE, sizes
    assert metrics["request-size-max"] <= 1_048_576
    all_records = kafka.consume(name, COUNT)
    assert sorted(json.loads(r.value or b"")["n"] for r in all_records) == list(range(COUNT))


def test_a_compressed_batch_never_outgrows_the_request(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=1)
    max_request_size = 24_576
    # batch_size far above the request size: the request size bounds the batches instead.
    metrics = produce(
        kafka, name, json_records(), max_request_size=max_request_size, batch_size=1_048_576
    )
    batches = stored_batches(kafka, name)
    assert metrics["request-size-max"] <= max_request_size, metrics["request-size-max"]
    # However well they compress, batches hold no more records than would fit a request
    # uncompressed: a batch of records that turn out incompressible must still be sendable.
    most = max(b.records for b in batches)
    assert max_request_size // (2 * RECORD_BYTES) < most <= max_request_size // RECORD_BYTES
    assert metrics["batch-split-total"] == 0


def test_incompressible_records_stay_within_batch_size(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=1)
    produce(kafka, name, random_records())
    batches = stored_batches(kafka, name)
    assert {b.codec for b in batches} == {"lz4"}
    assert max(b.size for b in batches) <= BATCH_SIZE, batches
    assert max(b.records for b in batches) <= RECORDS_PER_UNCOMPRESSED_BATCH
