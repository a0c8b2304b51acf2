"""The native fast paths that shadow `Producer.send_nowait` and `Producer.produce` on a started
producer's instance (with interceptors, `_interceptor_chain`'s methods instead): put there by
`Producer.start`, taken away when the producer closes or its sender ends (close, or the end of
the asyncio.run that started it), after which every call takes the checked method again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from ferrokafka import _enqueue, _interceptor_chain, _native
from ferrokafka._runtime import now_ms

if TYPE_CHECKING:
    from ferrokafka.producer import Producer
    from ferrokafka.records import DeliveryFuture


def install(producer: Producer, base: type[Producer]) -> None:
    """Shadows the methods whose fast path fits ``producer``; ``base`` is `Producer` itself,
    whose methods the fast paths fall back to (a subclass's own methods are left alone)."""
    if producer._interceptors is not None:
        # Every record passes through the interceptors: no native path.
        _interceptor_chain.install(producer, base, producer._interceptors)
        return
    if (
        producer._key_serializer is None
        and producer._value_serializer is None
        and producer._config.partitioner is None
        # A subclass's own send_nowait must keep being called.
        and type(producer).send_nowait is base.send_nowait
    ):
        # Records of bytes need no Python code on their way into the accumulator: the
        # native fast path shadows the send_nowait method while the producer is started,
        # and hands every other call (and every error) to that method.
        send = _native.SendFastPath(
            producer._accumulator,
            producer._partition_counts,
            producer._batch_for,
            base.send_nowait.__get__(producer),
            now_ms(),
        ).send
        txn = producer._transactions
        if txn is None:
            producer.__dict__["send_nowait"] = send
        else:
            # A transactional producer may send only inside a transaction, which the method
            # checks on every call: the fast path is on the instance exactly while sending is
            # allowed, put there and taken away by the transaction's state changes. Nothing
            # else differs: the sender adds each partition to the transaction before it
            # drains the partition's first batch (TransactionManager.admit), whichever path
            # appended the records.
            txn.on_sending_allowed = functools.partial(_allow_sending, producer, send)
            _allow_sending(producer, send, txn.sending_allowed)
    if type(producer).produce is base.produce:
        # As send_nowait's: the per-record path of produce() without attribute lookups.
        producer.__dict__["produce"] = _enqueue.fast_produce(producer)


def _allow_sending(producer: Producer, send: Callable[..., DeliveryFuture], allowed: bool) -> None:
    if allowed:
        producer.__dict__["send_nowait"] = send
    else:
        producer.__dict__.pop("send_nowait", None)


def remove(producer: Producer) -> None:
    """Takes the fast paths away: every call goes to the checked methods again."""
    producer.__dict__.pop("send_nowait", None)
    producer.__dict__.pop("produce", None)
    producer.__dict__.pop("send", None)
    if producer._transactions is not None:
        producer._transactions.on_sending_allowed = None
