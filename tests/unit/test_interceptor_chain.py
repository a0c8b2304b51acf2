"""The interceptor chain on its own (no broker): Java's ``ProducerInterceptors`` rules for
exceptions and for what on_send returns, and which interceptors get their own record back."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ferrokafka import ProducerConfig, ProducerInterceptor, ProducerRecord, RecordMetadata
from ferrokafka._interceptor_chain import InterceptorChain, failed_metadata
from ferrokafka.errors import KafkaError

METADATA = RecordMetadata("t", 0, 5, 1, "CreateTime", -1, 1)


def chain(*interceptors: Any) -> InterceptorChain:
    return InterceptorChain(
        ProducerConfig(
            bootstrap_servers="b:9092", client_id="unit", interceptors=list(interceptors)
        )
    )


class Returns(ProducerInterceptor):
    def __init__(self, result: Any) -> None:
        self.result = result
        self.given: list[ProducerRecord] = []

    def on_send(self, record: ProducerRecord) -> ProducerRecord:
        self.given.append(record)
        return self.result  # type: ignore[no-any-return]


class Broken(ProducerInterceptor):
    def on_send(self, record: ProducerRecord) -> ProducerRecord:
        raise ValueError("broken on_send")

    def on_acknowledgement(self, metadata: RecordMetadata, error: KafkaError | None) -> None:
        raise ValueError("broken on_acknowledgement")

    def close(self) -> None:
        raise ValueError("broken close")


class Configured(ProducerInterceptor):
    def __init__(self) -> None:
        self.client_id = ""
        self.acks: list[tuple[RecordMetadata, KafkaError | None, ProducerRecord | None]] = []

    def configure(self, config: ProducerConfig) -> None:
        self.client_id = config.client_id

    def on_acknowledgement(
        self,
        metadata: RecordMetadata,
        error: KafkaError | None,
        record: ProducerRecord | None = None,
    ) -> None:
        self.acks.append((metadata, error, record))


def test_a_failing_or_wrong_interceptor_leaves_the_record_to_the_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    original = ProducerRecord("t", b"v")
    changed = ProducerRecord("other", b"w")
    last = Returns(changed)
    caplog.set_level(logging.WARNING, logger="ferrokafka.producer.interceptors")
    record, outputs = chain(Broken(), Returns("not a record"), last).on_send(original)
    assert last.given == [original]
    assert record is changed
    assert outputs is None  # nobody takes its own record back: nothing is kept
    assert caplog.text.count("raised in on_send") == 2
    assert "not a ProducerRecord" in caplog.text
    assert all(r.client_id == "unit" for r in caplog.records)  # type: ignore[attr-defined]


def test_acknowledgements_and_close_go_on_past_a_failing_interceptor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configured = Configured()
    interceptors = chain(Broken(), Returns(ProducerRecord("x")), configured)
    assert configured.client_id == "unit"
    record, outputs = interceptors.on_send(ProducerRecord("t"))
    assert outputs is not None
    assert outputs[2] is record  # what the last one returned is what it gets back
    interceptors.on_acknowledgement(METADATA, None, outputs)
    error = KafkaError("lost")
    interceptors.failed(ProducerRecord("t", partition=3), error, outputs)
    assert configured.acks == [
        (METADATA, None, record),
        (failed_metadata("t", 3), error, record),
    ]
    interceptors.close()
    assert "raised in on_acknowledgement" in caplog.text
    assert "raised in close" in caplog.text


def test_any_object_with_the_three_methods_is_an_interceptor() -> None:
    class Duck:
        def on_send(self, record: ProducerRecord) -> ProducerRecord:
            return record

        def on_acknowledgement(self, metadata: RecordMetadata, error: object) -> None:
            pass

        def close(self) -> None:
            pass

    duck = Duck()
    assert ProducerConfig(bootstrap_servers="b:9092", interceptors=[duck]).interceptors == (duck,)
