"""Partitioning through the native module, checked against the Java client.

- murmur2 against the values of Kafka's own `UtilsTest.testMurmur2`, against vectors printed by
  kafka-clients 4.1.1, against a plain-Python transcription of `Utils.murmur2`, and against
  `Utils.murmur2` run live on random keys (the harness's Kafka jars: a test that fails, never
  skips, without them).
- Keyed, explicit and unkeyed (sticky) partition choice through `Accumulator.append`.
"""

from __future__ import annotations

import itertools
import random
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferrokafka._native import Accumulator, murmur2, partition_for_key
from ferrokafka.errors import PartitionOutOfRangeError
from ferrokafka.testing import KafkaJava

# (key, Utils.murmur2(key), partition of 3, of 6, of 100) from kafka-clients 4.1.1.
JAVA_VECTORS = [
    (b"", 275646681, 0, 3, 81),
    (b"a", -1563381124, 1, 4, 24),
    (b"ab", 316155434, 2, 2, 34),
    (b"abc", 479470107, 0, 3, 7),
    (b"abcd", -1323649548, 2, 2, 0),
    (b"abcde", 461995741, 1, 1, 41),
    (b"key", -1079937367, 1, 1, 81),
    (b"order-17", 1568318961, 0, 3, 61),
    (b"user-42", 1459644460, 1, 4, 60),
    (b"0", 971027396, 2, 2, 96),
    (b"1", -1993445489, 0, 3, 59),
    (b"kafka", -798503068, 1, 4, 80),
    ("été".encode(), -2101193575, 1, 1, 73),
    (b"partition-key-with-some-length", -2003277651, 2, 5, 97),
]


def reference_murmur2(data: bytes) -> int:
    """`org.apache.kafka.common.utils.Utils.murmur2`, transcribed line by line."""
    mask = 0xFFFFFFFF
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(length // 4):
        k = int.from_bytes(data[i * 4 : i * 4 + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length & ~3
    rest = length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def test_murmur2_matches_kafka_utils_test() -> None:
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"a-little-bit-longer-string") == -1486304829
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert murmur2(b"abc") == 479470107


@pytest.mark.parametrize(("key", "hash_", "p3", "p6", "p100"), JAVA_VECTORS)
def test_murmur2_and_partitions_match_java_client(
    key: bytes, hash_: int, p3: int, p6: int, p100: int
) -> None:
    assert murmur2(key) == hash_
    assert [partition_for_key(key, n) for n in (3, 6, 100)] == [p3, p6, p100]


@given(st.binary(max_size=300))
def test_murmur2_matches_transcription(data: bytes) -> None:
    assert murmur2(data) == reference_murmur2(data)
    assert partition_for_key(data, 7) == (reference_murmur2(data) & 0x7FFFFFFF) % 7


def test_partition_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="num_partitions"):
        partition_for_key(b"k", 0)


JAVA_MURMUR2 = """
import org.apache.kafka.common.utils.Utils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

public class Murmur2Keys {
    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            byte[] key = HexFormat.of().parseHex(line);
            int h = Utils.murmur2(key);
            System.out.println(h + " " + Utils.toPositive(h) % 12);
        }
    }
}
"""


def test_murmur2_matches_java_utils_live(tmp_path: Path, kafka_java_runtime: KafkaJava) -> None:
    rng = random.Random(1234)
    keys = [rng.randbytes(rng.randrange(0, 40)) for _ in range(300)]
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("".join(k.hex() + "\n" for k in keys))
    source = tmp_path / "Murmur2Keys.java"
    source.write_text(JAVA_MURMUR2)
    result = subprocess.run(
        [kafka_java_runtime.java, "-cp", kafka_java_runtime.classpath, str(source), str(keys_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = result.stdout.split("\n")
    java = [tuple(int(x) for x in line.split()) for line in lines if line.strip()]
    ours = [(murmur2(k), partition_for_key(k, 12)) for k in keys]
    assert ours == java


def new_accumulator(**overrides: int | bool) -> Accumulator:
    settings: dict[str, int | bool] = {
        "batch_size": 1000,
        "linger_ms": 10,
        "idempotent": False,
        "buffer_memory": 1 << 22,
    }
    settings.update(overrides)
    return Accumulator(**settings)  # type: ignore[arg-type]


def partition_of(acc: Accumulator, handle: int) -> int:
    return acc.batch_info(handle >> 32).partition


def test_keyed_records_land_where_java_puts_them() -> None:
    acc = new_accumulator()
    for key, _, p3, p6, _ in JAVA_VECTORS:
        assert partition_of(acc, acc.append("three", 3, None, key, b"v", None, 0, 0)) == p3
        assert partition_of(acc, acc.append("six", 6, None, key, b"v", None, 0, 0)) == p6


def test_explicit_partition_wins_and_is_checked() -> None:
    acc = new_accumulator()
    assert partition_of(acc, acc.append("t", 6, 5, b"order-17", b"v", None, 0, 0)) == 5
    with pytest.raises(PartitionOutOfRangeError, match="partition 6 of 't' is out of range"):
        acc.append("t", 6, 6, None, b"v", None, 0, 0)
    with pytest.raises(PartitionOutOfRangeError):
        acc.append("t", 6, -1, None, b"v", None, 0, 0)
    assert acc.live_batches() == 1


def test_ignore_keys_uses_the_sticky_partitioner() -> None:
    acc = new_accumulator(partitioner_ignore_keys=True)
    acc.set_available_partitions("t", [4])
    assert partition_of(acc, acc.append("t", 6, None, b"order-17", b"v", None, 0, 0)) == 4


def drain_all(acc: Accumulator, topic: str, partitions: int) -> None:
    acc.begin_flush()
    routing = {(topic, p): 1 for p in range(partitions)}
    for ids in acc.drain(routing, 1 << 20, 0).values():
        for batch_id in ids:
            acc.complete(batch_id)
    acc.end_flush()


def test_unkeyed_records_stick_then_spread_over_available_partitions() -> None:
    acc = new_accumulator()
    acc.set_available_partitions("t", [0, 2, 5])
    partitions = []
    for n in range(3000):
        partitions.append(partition_of(acc, acc.append("t", 6, None, None, bytes(100), None, 0, 0)))
        if n % 4 == 3:
            drain_all(acc, "t", 6)
    counts = Counter(partitions)
    assert set(counts) == {0, 2, 5}
    # Uniform switching: each available partition gets roughly a third.
    assert all(700 < c < 1300 for c in counts.values()), counts
    # Sticky: a partition keeps records for about a batch (eight ~109-byte records here).
    runs = [1]
    for a, b in itertools.pairwise(partitions):
        if a == b:
            runs[-1] += 1
        else:
            runs.append(1)
    assert min(runs[:-1]) >= 8, runs
