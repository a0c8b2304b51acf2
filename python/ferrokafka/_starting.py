"""What `Producer.start` does between NEW and STARTED, and what the end of its sender undoes.

Start waits for the cluster (`BrokerPool.wait_for_cluster`: up to ``max_block_ms`` while no
broker answers) and, for a transactional producer, for its producer id; then it binds the
producer to the running event loop (`LoopOwner`) and starts the sender task.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ferrokafka import _enqueue, _fast_paths
from ferrokafka._runtime import BackgroundTask, LoopOwner

if TYPE_CHECKING:
    from ferrokafka.producer import Producer


async def start(producer: Producer) -> None:
    await producer._pool.wait_for_cluster(producer._config.max_block_ms)
    if producer._transactions is not None:
        # Before the sender runs: it drains nothing without the producer id.
        await producer._transactions.initialize()
    owner = producer._owner = LoopOwner()
    producer._loop = owner.owner_value
    producer._thread = owner.thread
    producer._produce_credit = _enqueue.YIELD_EVERY
    producer._sender_task = BackgroundTask(
        producer._sender.run,
        f"ferrokafka-sender-{producer}",
        partial(sender_exited, producer),
        producer._inflight.log,
    )


def sender_exited(producer: Producer) -> None:
    # Closed, or its loop is gone (the end of asyncio.run cancels the sender): the fast
    # paths, which check nothing per record, step aside, and every per-call check fails
    # over to the full one, which names the loop.
    producer._thread = -1
    _fast_paths.remove(producer)
