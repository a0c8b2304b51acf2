"""A partitioner that places keyed records where librdkafka's default partitioner
(``consistent_random``: CRC-32 of the key) places them, for a migration from confluent-kafka
that must keep each key on its partition (docs/migration/confluent-kafka.md shows this file;
tests/docs checks it against confluent-kafka on a real broker)."""

import random
import zlib
from typing import Any


def librdkafka_consistent_random(
    topic: str, key: Any, key_bytes: bytes | None, value: Any, num_partitions: int
) -> int:
    if key_bytes is None:
        return random.randrange(num_partitions)  # librdkafka: unkeyed records go anywhere
    return zlib.crc32(key_bytes) % num_partitions
