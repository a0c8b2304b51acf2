"""The native fast paths that shadow `Producer.send_nowait`, `Producer.produce` and (under
asyncio) `Producer.send` on a started producer's instance (with interceptors,
`_interceptor_chain`'s methods instead; for a transactional producer, only while a transaction
is open): put there by `Producer.start`, taken away when the producer closes or its sender ends
(close, or the end of the asyncio.run that started it), after which every call takes the
checked method again.

`send` and `produce` become native awaitables (``ferrokafka._native.SendCall``): no Python
coroutine frame per record on their common path. They do their work when first awaited, as
coroutines do, and hand every other case to the Python coroutine with the same arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from ferrokafka import _enqueue, _interceptor_chain, _native
from ferrokafka._runtime import now_ms, running_loop

if TYPE_CHECKING:
    from ferrokafka.producer import Producer


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
        event_loop = running_loop()
        fast = _native.SendFastPath(
            producer._accumulator,
            producer._partition_counts,
            producer._batch_for,
            base.send_nowait.__get__(producer),
            now_ms(),
            event_loop=event_loop,
            send_fallback=base.send.__get__(producer),
            produce_fallback=_enqueue.slow_produce(producer),
            yield_every=_enqueue.YIELD_EVERY,
        )
        producer._send_fast_path = fast
        shadows: dict[str, Callable[..., object]] = {"send_nowait": fast.send}
        if type(producer).produce is base.produce:
            shadows["produce"] = fast.produce
        # Awaiting a batch natively is asyncio's; under trio send stays the Python coroutine.
        if event_loop is not None and type(producer).send is base.send:
            shadows["send"] = fast.send_awaited
        txn = producer._transactions
        if txn is None:
            producer.__dict__.update(shadows)
        else:
            # A transactional producer may send only inside a transaction, which the methods
            # check on every call: the fast paths are on the instance exactly while sending is
            # allowed, put there and taken away by the transaction's state changes. Nothing
            # else differs: the sender adds each partition to the transaction before it
            # drains the partition's first batch (TransactionManager.admit), whichever path
            # appended the records.
            txn.on_sending_allowed = functools.partial(_allow_sending, producer, shadows)
            _allow_sending(producer, shadows, txn.sending_allowed)
    elif type(producer).produce is base.produce:
        # As send_nowait's: the per-record path of produce() without attribute lookups.
        producer.__dict__["produce"] = _enqueue.fast_produce(producer)


def _allow_sending(
    producer: Producer, shadows: dict[str, Callable[..., object]], allowed: bool
) -> None:
    if allowed:
        producer.__dict__.update(shadows)
    else:
        for name in shadows:
            producer.__dict__.pop(name, None)


def remove(producer: Producer) -> None:
    """Takes the fast paths away: every call goes to the checked methods again."""
    producer.__dict__.pop("send_nowait", None)
    producer.__dict__.pop("produce", None)
    producer.__dict__.pop("send", None)
    producer._send_fast_path = None
    if producer._transactions is not None:
        producer._transactions.on_sending_allowed = None
