"""Runs a producer's interceptors (`ferrokafka.interceptors`) around its sends.

`InterceptorChain` is Java's ``ProducerInterceptors``: it calls each interceptor in order, logs
and swallows their exceptions, and calls `on_acknowledgement` once per record. `install` puts
intercepting `send_nowait`, `send` and `produce` on a started producer's instance, where the
native fast paths would otherwise go (`_fast_paths.install`): a producer without interceptors
runs exactly the code it ran before, and one with interceptors never takes the native path.
"""

from __future__ import annotations

import concurrent.futures
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ferrokafka import _enqueue
from ferrokafka._logging import INTERCEPTORS, client_log
from ferrokafka._record_args import HeadersArg, OnDelivery, delivery_callback, header_pairs
from ferrokafka.errors import KafkaError
from ferrokafka.interceptors import ProducerRecord
from ferrokafka.records import DeliveryFuture, RecordMetadata

if TYPE_CHECKING:
    from ferrokafka.config import ProducerConfig
    from ferrokafka.producer import Producer


# What each interceptor returned from on_send for one record, kept until its acknowledgement
# only when some interceptor takes it (a three-parameter on_acknowledgement).
Outputs = list[ProducerRecord] | None


class InterceptorChain:
    """The interceptors of one producer, in the order given."""

    def __init__(self, config: ProducerConfig) -> None:
        self._interceptors = config.interceptors
        self._takes_record = tuple(_takes_record(i) for i in self._interceptors)
        self._keep_outputs = any(self._takes_record)
        self._log = client_log(INTERCEPTORS, config.client_id)
        for interceptor in self._interceptors:
            configure = getattr(interceptor, "configure", None)
            if callable(configure):
                # Java's Configurable: the interceptor learns the producer's config (its
                # client id, say); a failure here is a setup error and is raised.
                configure(config)

    def on_send(self, record: ProducerRecord) -> tuple[ProducerRecord, Outputs]:
        """The record the last interceptor returned, and what each one returned."""
        outputs: Outputs = [] if self._keep_outputs else None
        for interceptor in self._interceptors:
            try:
                result = interceptor.on_send(record)
                if not isinstance(result, ProducerRecord):
                    raise TypeError(f"on_send returned {result!r}, not a ProducerRecord")
                record = result
            except Exception:
                # Java's semantics: the next interceptor gets the record this one was given.
                self._log.warning(
                    "interceptor %r raised in on_send for topic %r; the record "
                    "is sent as it was before it",
                    interceptor,
                    record.topic,
                    exc_info=True,
                )
            if outputs is not None:
                outputs.append(record)
        return record, outputs

    def on_acknowledgement(
        self, metadata: RecordMetadata, error: KafkaError | None, outputs: Outputs
    ) -> None:
        for index, interceptor in enumerate(self._interceptors):
            try:
                if outputs is not None and self._takes_record[index]:
                    # The optional third parameter, which the protocol does not declare.
                    with_record: Callable[..., object] = interceptor.on_acknowledgement
                    with_record(metadata, error, outputs[index])
                else:
                    interceptor.on_acknowledgement(metadata, error)
            except Exception:
                self._log.warning(
                    "interceptor %r raised in on_acknowledgement",
                    interceptor,
                    exc_info=True,
                )

    def failed(self, record: ProducerRecord, error: KafkaError, outputs: Outputs) -> None:
        """``record`` failed before it reached a batch."""
        partition = -1 if record.partition is None else record.partition
        self.on_acknowledgement(failed_metadata(record.topic, partition), error, outputs)

    def acknowledge_when_done(self, future: DeliveryFuture, outputs: Outputs) -> None:
        def acknowledge(future: DeliveryFuture) -> None:
            error = future.exception()
            if error is None:
                self.on_acknowledgement(future.result(), None, outputs)
            else:
                assert isinstance(error, KafkaError)
                batch, index = future._batch, future._index
                partition = batch.locate(index)[0].partition
                self.on_acknowledgement(failed_metadata(batch.topic, partition), error, outputs)

        future.add_done_callback(acknowledge)

    def intercept_for(
        self,
        future: concurrent.futures.Future[RecordMetadata],
        topic: str,
        value: Any,
        key: Any,
        headers: HeadersArg,
        partition: int | None,
        timestamp_ms: int | None,
    ) -> ProducerRecord:
        """`ferrokafka.sync`'s send: on_send now, in the caller's thread (as Java calls it,
        and where the caller's context is), and on_acknowledgement once ``future`` ends,
        however often a full buffer made the producer's thread offer the record again."""
        record, outputs = self.on_send(_record(topic, value, key, headers, partition, timestamp_ms))

        def acknowledge(done: concurrent.futures.Future[RecordMetadata]) -> None:
            error = None if done.cancelled() else done.exception()
            if done.cancelled():
                self.failed(
                    record, KafkaError("the send was cancelled before it was queued"), outputs
                )
            elif error is None:
                self.on_acknowledgement(done.result(), None, outputs)
            else:
                failure = error if isinstance(error, KafkaError) else KafkaError(str(error))
                self.failed(record, failure, outputs)

        future.add_done_callback(acknowledge)
        return record

    def close(self) -> None:
        for interceptor in self._interceptors:
            try:
                interceptor.close()
            except Exception:
                self._log.error(
                    "interceptor %r raised in close",
                    interceptor,
                    exc_info=True,
                )


def failed_metadata(topic: str, partition: int) -> RecordMetadata:
    """Java's metadata of a failed record: the topic, the partition if known, -1 elsewhere."""
    return RecordMetadata(topic, partition, -1, -1, "CreateTime", -1, -1)


def _takes_record(interceptor: Any) -> bool:
    try:
        parameters = inspect.signature(interceptor.on_acknowledgement).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in positional for p in parameters) >= 3 or any(
        p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters
    )


def _record(
    topic: str,
    value: Any,
    key: Any,
    headers: HeadersArg,
    partition: int | None,
    timestamp_ms: int | None,
) -> ProducerRecord:
    return ProducerRecord(topic, value, key, _header_tuple(headers), partition, timestamp_ms)


def _header_tuple(headers: HeadersArg) -> tuple[tuple[str, bytes | None], ...]:
    """The headers as given, in a tuple; they are checked after the interceptors, with the
    rest of the record (a bad header fails the send, and is acknowledged, as in Java)."""
    if not headers:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    try:
        return tuple(items)
    except TypeError:
        return tuple(header_pairs(headers))  # raises the SerializationError that says why


def install(producer: Producer, base: type[Producer], chain: InterceptorChain) -> None:
    """Puts the intercepting send_nowait, send and produce on ``producer``'s instance (a
    subclass's own methods are left alone, as by the fast paths)."""
    plain_send_nowait: Callable[..., DeliveryFuture] = base.send_nowait.__get__(producer)

    def send_record(record: ProducerRecord) -> DeliveryFuture:
        return plain_send_nowait(
            record.topic,
            record.value,
            record.key,
            headers=record.headers or None,
            partition=record.partition,
            timestamp_ms=record.timestamp_ms,
        )

    def send_nowait(
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: HeadersArg = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        on_delivery: OnDelivery | None = None,
    ) -> DeliveryFuture:
        record, outputs = chain.on_send(
            _record(topic, value, key, headers, partition, timestamp_ms)
        )
        try:
            future = send_record(record)
        except KafkaError as exc:
            chain.failed(record, exc, outputs)
            raise
        # Before on_delivery, as Java calls the interceptors before the send's callback.
        chain.acknowledge_when_done(future, outputs)
        if on_delivery is not None:
            future.add_done_callback(delivery_callback(on_delivery))
        return future

    async def queue(record: ProducerRecord, outputs: Outputs, turn: bool) -> DeliveryFuture:
        """Queues an intercepted record, waiting for metadata and buffer space as needed."""
        try:
            future = await _enqueue.produce_slowly(
                producer,
                record.topic,
                record.value,
                record.key,
                record.headers or None,
                record.partition,
                record.timestamp_ms,
                turn,
                send_nowait=plain_send_nowait,
            )
        except KafkaError as exc:
            chain.failed(record, exc, outputs)
            raise
        except BaseException:
            # Cancelled while waiting: the record was not queued and never will be.
            chain.failed(
                record, KafkaError("the send was cancelled before its record was queued"), outputs
            )
            raise
        chain.acknowledge_when_done(future, outputs)
        return future

    async def send(
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: HeadersArg = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> RecordMetadata:
        producer._check_owner()
        record, outputs = chain.on_send(
            _record(topic, value, key, headers, partition, timestamp_ms)
        )
        future = await queue(record, outputs, False)
        return await future

    async def produce(
        topic: str,
        value: Any = None,
        key: Any = None,
        *,
        headers: HeadersArg = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> DeliveryFuture:
        producer._check_owner()
        producer._produce_credit -= 1
        turn = producer._produce_credit <= 0
        if turn:
            producer._produce_credit = _enqueue.YIELD_EVERY
        record, outputs = chain.on_send(
            _record(topic, value, key, headers, partition, timestamp_ms)
        )
        return await queue(record, outputs, turn)

    methods: dict[str, Callable[..., Any]] = {
        "send_nowait": send_nowait,
        "send": send,
        "produce": produce,
    }
    for name, method in methods.items():
        if getattr(type(producer), name) is getattr(base, name):
            method.__doc__ = getattr(base, name).__doc__
            producer.__dict__[name] = method
