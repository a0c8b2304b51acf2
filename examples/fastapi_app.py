"""A FastAPI service whose request handler awaits the delivery of the record it produces.

The producer lives as long as the application (FastAPI's lifespan): it is started before the
first request and flushed and closed after the last. A request returns 201 with the record's
partition and offset once the brokers acknowledged it (acks=all), or 503 if Kafka did not.

    pip install fastapi uvicorn
    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 uvicorn examples.fastapi_app:app
    curl -X POST localhost:8000/orders -H 'content-type: application/json' \\
         -d '{"order_id": "o-17", "customer": "ada", "amount": 12.5}'

Run under trio with `hypercorn --worker-class trio examples.fastapi_app:app`: the producer
works the same on both.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from ferrokafka import JsonSerializer, KafkaError, Producer, StringSerializer


class Order(BaseModel):
    order_id: str = Field(min_length=1, max_length=64)
    customer: str
    amount: float = Field(gt=0)


class Accepted(BaseModel):
    topic: str
    partition: int
    offset: int


def create_app(bootstrap_servers: str, topic: str = "orders") -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Producer(
            bootstrap_servers=bootstrap_servers,
            client_id="orders-api",
            key_serializer=StringSerializer(),
            value_serializer=JsonSerializer(),
            compression_type="lz4",
            # A request should not hang for the Java default of 60 s when Kafka is away.
            max_block_ms=5_000,
            delivery_timeout_ms=15_000,
            request_timeout_ms=5_000,
        ) as producer:
            # Fail at startup, not on the first request, if the topic does not exist.
            await producer.wait_for_topic(topic)
            app.state.producer = producer
            yield

    app = FastAPI(title="orders", lifespan=lifespan)

    @app.post("/orders", status_code=201)
    async def create_order(order: Order, request: Request) -> Accepted:
        producer: Producer = request.app.state.producer
        try:
            # Same key, same partition: the orders of one id stay in order.
            meta = await producer.send(
                topic,
                order.model_dump(),
                key=order.order_id,
                headers=[("content-type", b"application/json")],
            )
        except KafkaError as exc:
            raise HTTPException(status_code=503, detail=f"order not stored: {exc}") from exc
        return Accepted(topic=meta.topic, partition=meta.partition, offset=meta.offset)

    @app.get("/health")
    async def health(request: Request) -> dict[str, float]:
        metrics = request.app.state.producer.metrics()
        return {name: metrics[name] for name in ("record-send-total", "record-error-total")}

    return app


app = create_app(
    os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
    os.environ.get("ORDERS_TOPIC", "orders"),
)
