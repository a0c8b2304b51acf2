"""A record whose request reached the broker and got no answer before ``delivery_timeout_ms``
may be in the log ("maybe written", docs/GUARANTEES.md): its error says so, rather than that it
was not delivered. A real broker cannot be made to keep a Produce request unanswered on demand
without the proxied cluster; this fake broker never answers Produce."""

from __future__ import annotations

import asyncio

import kafka_wire as wire
from fake_broker import FakeBroker

from ferrokafka import Producer
from ferrokafka.errors import KafkaTimeoutError


class SilentOnProduce(FakeBroker):
    def _answer(self, header: wire.RequestHeader, frame: bytes) -> bytes | None:
        if header.api_key == wire.PRODUCE:
            return None
        return super()._answer(header, frame)


def test_a_sent_record_that_times_out_may_have_been_written() -> None:
    broker = SilentOnProduce(topic="silent")

    async def main() -> BaseException:
        async with Producer(
            bootstrap_servers=broker.address,
            linger_ms=0,
            request_timeout_ms=500,
            delivery_timeout_ms=1_500,
            retry_backoff_ms=50,
        ) as producer:
            future = producer.send_nowait("silent", b"v")
            try:
                await asyncio.wait_for(future, 10)
            except KafkaTimeoutError as exc:
                return exc
            raise AssertionError("the record was reported delivered")

    try:
        error = asyncio.run(main())
    finally:
        broker.close()
    message = str(error)
    assert "sent but not acknowledged within delivery_timeout_ms=1500" in message
    assert "may have been written" in message
    assert "not delivered" not in message
