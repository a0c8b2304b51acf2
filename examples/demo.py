"""The main job in one script: start a local Kafka, describe it, produce to it, read it back.

Run it with `make demo`. Kafka's jars come from Maven Central (cached in ~/.cache/ferrokafka);
the broker listens on a free 127.0.0.1 port and is stopped at the end.
"""

from __future__ import annotations

import time

import anyio

from ferrokafka import Producer, describe_cluster
from ferrokafka.testing import KafkaCluster

TOPIC = "demo-orders"
RECORDS = 100_000


async def produce(bootstrap_servers: str) -> None:
    cluster = await describe_cluster(bootstrap_servers)
    print(
        f"cluster {cluster.cluster_id}: brokers {[b.node_id for b in cluster.brokers]}, "
        f"controller {cluster.controller_id}"
    )
    for name, topic in sorted(cluster.topics.items()):
        leaders = {p.partition: p.leader for p in topic.partitions}
        print(f"  topic {name}: {len(topic.partitions)} partitions, leaders {leaders}")

    async with Producer(bootstrap_servers=bootstrap_servers, compression_type="lz4") as producer:
        meta = await producer.send(
            TOPIC, b'{"order": 1}', key=b"order-1", headers=[("source", b"demo")]
        )
        print(f"awaited send: {TOPIC}-{meta.partition} offset {meta.offset}")

        started = time.perf_counter()
        for i in range(RECORDS):
            producer.send_nowait(TOPIC, b'{"order": %d, "amount": 100}' % i, key=b"order-%d" % i)
        await producer.flush()
        elapsed = time.perf_counter() - started
        print(
            f"send_nowait: {RECORDS} keyed records in {elapsed:.2f} s "
            f"({RECORDS / elapsed:,.0f} records/s, lz4, acks=all, idempotent)"
        )

        metrics = producer.metrics()
        print(
            f"metrics: record-send-total={metrics['record-send-total']:.0f} "
            f"batch-size-avg={metrics['batch-size-avg']:.0f} B "
            f"compression-rate-avg={metrics['compression-rate-avg']:.2f} "
            f"request-latency-avg={metrics['request-latency-avg']:.1f} ms "
            f"producer-id={metrics['producer-id']:.0f}"
        )


def main() -> None:
    print("starting a one-node Kafka (KRaft) on 127.0.0.1 ...")
    with KafkaCluster() as kafka:
        print(f"Kafka {kafka.version} at {kafka.bootstrap_servers}")
        kafka.create_topic(TOPIC, partitions=3)
        anyio.run(produce, kafka.bootstrap_servers)
        records = kafka.consume(TOPIC, RECORDS + 1, timeout=120)
        per_partition: dict[int, int] = {}
        for record in records:
            per_partition[record.partition] = per_partition.get(record.partition, 0) + 1
        first = records[0]
        print(
            f"read back by an independent consumer (confluent-kafka): {len(records)} records, "
            f"per partition {dict(sorted(per_partition.items()))}"
        )
        print(f"  first: key={first.key!r} value={first.value!r} headers={first.headers}")


if __name__ == "__main__":
    main()
