"""Bulk ingestion: load a file of records into a topic through the bulk path (`send_many`),
which hands thousands of records to the Rust accumulator in one call.

Each line of the input is one record; with `--key-separator`, the text before the first
separator is the record's key. When the producer's buffer is full, `send_many` queues what fits
(`BulkDelivery.queued`) and the script waits for the oldest chunk in flight before offering the
rest, so memory stays bounded by `buffer_memory` however large the file is. A line larger than
`max_request_size` is reported and skipped.

    python examples/ingest.py events.tsv --topic events --key-separator $'\\t' \\
        --bootstrap-servers 127.0.0.1:9092 --compression zstd

Prints one JSON line with what it did; exits 1 if any record failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.lowlevel

from ferrokafka import BufferFullError, BulkDelivery, KafkaError, Producer, RecordTooLargeError

CHUNK = 10_000


def chunks(
    path: Path, separator: bytes | None
) -> Iterator[tuple[list[bytes | None], list[bytes | None] | None]]:
    """(values, keys) of up to CHUNK lines at a time."""
    values: list[bytes | None] = []
    keys: list[bytes | None] = []
    with path.open("rb") as lines:
        for raw in lines:
            line = raw.rstrip(b"\r\n")
            if separator is not None:
                key, found, value = line.partition(separator)
                keys.append(key if found else None)
                values.append(value if found else line)
            else:
                values.append(line)
            if len(values) == CHUNK:
                yield values, keys if separator is not None else None
                values, keys = [], []
    if values:
        yield values, keys if separator is not None else None


async def ingest(
    path: Path, topic: str, bootstrap_servers: str, separator: bytes | None, compression: str
) -> dict[str, object]:
    started = time.perf_counter()
    queued = delivered = failed = 0
    first_error: str | None = None
    in_flight: deque[BulkDelivery] = deque()

    async def settle_oldest() -> None:
        nonlocal delivered, failed, first_error
        bulk = in_flight.popleft()
        try:
            delivered += await bulk
        except KafkaError:
            for result in bulk.results():
                if isinstance(result, KafkaError):
                    failed += 1
                    first_error = first_error or str(result)
                else:
                    delivered += 1

    async with Producer(
        bootstrap_servers=bootstrap_servers,
        client_id="ingest",
        acks="all",
        linger_ms=20,
        batch_size=256 * 1024,
        compression_type=compression,
    ) as producer:
        await producer.wait_for_topic(topic)
        for values, keys in chunks(path, separator):
            offset = 0
            while offset < len(values):
                try:
                    bulk = producer.send_many(
                        topic, values[offset:], keys[offset:] if keys is not None else None
                    )
                except BufferFullError:
                    if not in_flight:
                        # Everything sent is settled, so the buffer holds nothing of ours.
                        raise
                    await settle_oldest()
                    continue
                except RecordTooLargeError as exc:
                    # The first record offered is larger than max_request_size: skip it.
                    failed += 1
                    first_error = first_error or str(exc)
                    offset += 1
                    continue
                in_flight.append(bulk)
                offset += bulk.queued
                queued += bulk.queued
                if offset < len(values):
                    # Only part of the chunk was queued: the buffer is full (make room before
                    # offering the rest), or the next record cannot be sent (offered first
                    # next time, it raises its error).
                    await settle_oldest()
            # Let the sender run between chunks even when everything fits.
            await anyio.lowlevel.checkpoint()
        while in_flight:
            await settle_oldest()
        metrics = producer.metrics()
    elapsed = time.perf_counter() - started
    return {
        "topic": topic,
        "queued": queued,
        "delivered": delivered,
        "failed": failed,
        "first_error": first_error,
        "seconds": round(elapsed, 3),
        "records_per_second": round(delivered / elapsed) if elapsed else None,
        "compression_rate": round(metrics["compression-rate-avg"], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="input file, one record per line")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    parser.add_argument("--key-separator", help="the text before it on a line is the key")
    parser.add_argument(
        "--compression", default="lz4", choices=["none", "gzip", "snappy", "lz4", "zstd"]
    )
    args = parser.parse_args()
    separator = args.key_separator.encode() if args.key_separator else None
    summary = anyio.run(
        ingest, args.path, args.topic, args.bootstrap_servers, separator, args.compression
    )
    print(json.dumps(summary))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
