"""The quickstart of the docs site (docs/quickstart.md shows this file; tests/docs runs it).

python quickstart.py localhost:9092
"""

import sys

import anyio

from ferrokafka import Producer


async def main(bootstrap_servers: str, orders: str = "orders", clicks: str = "clicks") -> None:
    async with Producer(
        bootstrap_servers=bootstrap_servers, acks="all", linger_ms=5, compression_type="lz4"
    ) as producer:
        # One record, awaited until the brokers have it: its partition and offset.
        meta = await producer.send(
            orders, b"payload", key=b"order-17", headers=[("trace-id", b"abc")]
        )
        print(meta.partition, meta.offset)

        # Queued at once, never blocks; the future can be awaited later.
        future = producer.send_nowait(clicks, b"...")

        # Many records of one topic in one call (it needs the topic's partition count).
        await producer.wait_for_topic(clicks)
        bulk = producer.send_many(clicks, [b"a", b"b", b"c"])

        await producer.flush()  # every record above has now ended
        clicked = await future
        print(clicked.partition, clicked.offset, await bulk)  # await bulk: records delivered


if __name__ == "__main__":
    anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else "localhost:9092")
