"""Exactly-once consume-transform-produce: read a topic with confluent-kafka's consumer
(``isolation.level=read_committed``), write a transformed record for each input record, and
commit the consumer group's offsets in the same transaction as the output. Either both the
output records and the new offsets become visible, or neither does, so each input record
appears in the output exactly once even when this process dies and restarts.

    python examples/exactly_once.py --bootstrap-servers 127.0.0.1:9092 \\
        --input orders --output orders-upper --group upper --transactional-id upper-1

Pitfalls this follows:
- one ``transactional_id`` per running instance, stable across restarts: a restarted instance
  fences its predecessor (a "zombie" still running gets `ProducerFencedError` and must stop);
- the offsets are sent with the consumer's group metadata (``consumer_group_metadata()``), so
  that the group coordinator refuses them from an instance that lost its partitions in a
  rebalance (KIP-447) rather than from a stale ``transactional_id`` per input partition;
- a transaction must finish within ``transaction_timeout_ms`` or the coordinator aborts it:
  keep each one small (here: one poll's worth of records);
- after an aborted transaction the consumer's position is past records whose output was
  dropped: this script exits, and its restart resumes from the committed offsets.

Prints one JSON line with the number of records processed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from confluent_kafka import Consumer

from ferrokafka import Producer


async def transform(args: argparse.Namespace) -> int:
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap_servers,
            "group.id": args.group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([args.input])
    processed = 0
    idle_since = time.monotonic()
    try:
        async with Producer(
            bootstrap_servers=args.bootstrap_servers,
            transactional_id=args.transactional_id,
            transaction_timeout_ms=60_000,
        ) as producer:
            while args.max_records is None or processed < args.max_records:
                # The consumer blocks: poll it on a thread, the event loop keeps sending.
                messages = await asyncio.to_thread(consumer.consume, 1000, 1.0)
                messages = [m for m in messages if m.error() is None]
                if not messages:
                    if time.monotonic() - idle_since > args.idle_exit_s:
                        break
                    continue
                idle_since = time.monotonic()
                next_offsets: dict[tuple[str, int], int] = {}
                async with producer.transaction():
                    for message in messages:
                        value = message.value()
                        producer.send_nowait(
                            args.output, value.upper() if value else value, key=message.key()
                        )
                        topic, partition = message.topic(), message.partition()
                        offset = message.offset()
                        # Always set on a message that is not an error.
                        assert topic is not None
                        assert partition is not None
                        assert offset is not None
                        next_offsets[(topic, partition)] = offset + 1
                    await producer.send_offsets_to_transaction(
                        next_offsets, consumer.consumer_group_metadata()
                    )
                processed += len(messages)
    finally:
        consumer.close()
    return processed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--transactional-id", required=True)
    parser.add_argument("--max-records", type=int, default=None, help="stop after this many")
    parser.add_argument(
        "--idle-exit-s", type=float, default=30.0, help="stop after this long without input"
    )
    args = parser.parse_args()
    print(json.dumps({"processed": asyncio.run(transform(args))}))


if __name__ == "__main__":
    main()
