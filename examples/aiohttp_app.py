"""An aiohttp service: each POST /events/{key} stores its body as one Kafka record and answers
once the brokers acknowledged it.

The producer is tied to the application with a cleanup context: started with the app, flushed
and closed on shutdown.

    pip install aiohttp
    python examples/aiohttp_app.py --bootstrap-servers 127.0.0.1:9092 --topic events
    curl -X POST localhost:8080/events/user-42 -H 'x-trace-id: abc' -d 'clicked'
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

from aiohttp import web

from ferrokafka import KafkaError, Producer

PRODUCER = web.AppKey("producer", Producer)
TOPIC = web.AppKey("topic", str)

# Request headers copied onto the record, for tracing across services.
FORWARDED_HEADERS = ("x-trace-id", "x-request-id")


async def post_event(request: web.Request) -> web.Response:
    producer = request.app[PRODUCER]
    body = await request.read()
    headers = [
        (name, request.headers[name].encode())
        for name in FORWARDED_HEADERS
        if name in request.headers
    ]
    try:
        meta = await producer.send(
            request.app[TOPIC], body, key=request.match_info["key"].encode(), headers=headers
        )
    except KafkaError as exc:
        return web.json_response({"error": str(exc)}, status=503)
    return web.json_response(
        {"partition": meta.partition, "offset": meta.offset, "timestamp": meta.timestamp},
        status=201,
    )


def create_app(bootstrap_servers: str, topic: str = "events") -> web.Application:
    async def kafka_producer(app: web.Application) -> AsyncIterator[None]:
        async with Producer(
            bootstrap_servers=bootstrap_servers,
            client_id="events-api",
            linger_ms=2,
            max_block_ms=5_000,
            delivery_timeout_ms=15_000,
            request_timeout_ms=5_000,
        ) as producer:
            await producer.wait_for_topic(topic)
            app[PRODUCER] = producer
            yield

    app = web.Application()
    app[TOPIC] = topic
    app.cleanup_ctx.append(kafka_producer)
    app.router.add_post("/events/{key}", post_event)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    parser.add_argument("--topic", default="events")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    web.run_app(create_app(args.bootstrap_servers, args.topic), port=args.port)


if __name__ == "__main__":
    main()
