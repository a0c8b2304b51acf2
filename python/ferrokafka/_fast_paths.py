"""The native fast paths that shadow `Producer.send_nowait` and `Producer.produce` on a started
producer's instance (with interceptors, `_interceptor_chain`'s methods instead): put there by
`Producer.start`, taken away when the producer closes or its sender ends (close, or the end of
the asyncio.run that started it), after which every call takes the checked method again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrokafka import _enqueue, _interceptor_chain, _native
from ferrokafka._runtime import now_ms

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
        producer._transactions is None  # every send checks the transaction's state
        and producer._key_serializer is None
        and producer._value_serializer is None
        and producer._config.partitioner is None
        # A subclass's own send_nowait must keep being called.
        and type(producer).send_nowait is base.send_nowait
    ):
        # Records of bytes need no Python code on their way into the accumulator: the
        # native fast path shadows the send_nowait method while the producer is started,
        # and hands every other call (and every error) to that method.
        producer.__dict__["send_nowait"] = _native.SendFastPath(
            producer._accumulator,
            producer._partition_counts,
            producer._batch_for,
            base.send_nowait.__get__(producer),
            now_ms(),
        ).send
    if type(producer).produce is base.produce:
        # As send_nowait's: the per-record path of produce() without attribute lookups.
        producer.__dict__["produce"] = _enqueue.fast_produce(producer)


def remove(producer: Producer) -> None:
    """Takes the fast paths away: every call goes to the checked methods again."""
    producer.__dict__.pop("send_nowait", None)
    producer.__dict__.pop("produce", None)
    producer.__dict__.pop("send", None)
