"""The transactional methods of `Producer`, kept apart from the rest of its API.

`Producer` inherits `TransactionalMethods`; everything here goes through the producer's
`TransactionManager` (``_transactions``), which is ``None`` without ``transactional_id``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ferrokafka._transactions.offsets import group_metadata, offset_entries
from ferrokafka.errors import IllegalStateError, KafkaError

if TYPE_CHECKING:
    from ferrokafka._held import HeldTopic
    from ferrokafka._inflight import InFlight
    from ferrokafka._sender import Sender
    from ferrokafka._transactions.manager import TransactionManager


class TransactionalMethods:
    _transactions: TransactionManager | None
    _sender: Sender
    _inflight: InFlight
    _held: dict[str, HeldTopic]

    # The producer's own flush: sends every buffered record and waits until each has ended.
    flush: Callable[[], Awaitable[None]]

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """``async with producer.transaction():`` begins a transaction, commits it when the
        block ends, and aborts it when the block raises (the exception is re-raised), or when
        the commit finds the transaction failed (its error is raised). A commit that raised
        `KafkaTimeoutError` is not aborted: call `commit_transaction` again to resume it."""
        self.begin_transaction()
        try:
            yield
            await self.commit_transaction()
        except BaseException:
            # The block raised, or the commit found the transaction failed (a record or the
            # offsets were refused): abort, so that the producer can begin the next one.
            txn = self._manager("abort the transaction")
            if txn.is_open:
                with contextlib.suppress(KafkaError):
                    await self.abort_transaction()
            raise

    def begin_transaction(self) -> None:
        """Starts a transaction (a local state change: the coordinator hears of it with its
        first partition or offsets). Every record sent until commit or abort belongs to it."""
        self._manager("begin a transaction").begin()

    async def commit_transaction(self) -> None:
        """Sends every record of the transaction (as `flush`), then commits it (EndTxn): its
        records and offsets become visible to ``read_committed`` consumers at once. If a record
        of the transaction failed, raises `IllegalStateError` naming that error: call
        `abort_transaction` then. If the commit cannot finish within ``max_block_ms`` (the
        coordinator cannot be reached), raises `KafkaTimeoutError` and the transaction stays
        committing: call `commit_transaction` again to resume it (nothing is sent twice, and
        a commit the coordinator already applied is recognised)."""
        await self._manager("commit the transaction").commit(self.flush)

    async def abort_transaction(self) -> None:
        """Fails the records of the transaction not yet sent, waits for those in flight, then
        aborts the transaction (EndTxn): none of its records or offsets is ever visible to
        ``read_committed`` consumers. The producer can begin the next transaction then. As
        `commit_transaction`, raises `KafkaTimeoutError` if it cannot finish within
        ``max_block_ms``: call `abort_transaction` again to resume it."""

        def drop_unsent() -> None:
            error = KafkaError("the transaction was aborted before the record was sent")
            for held in list(self._held.values()):
                held.fail(error)
            self._held.clear()
            self._sender.fail_unsent(error)

        async def wait_settled() -> None:
            for pending in self._inflight:
                await pending.wait()

        await self._manager("abort the transaction").abort(drop_unsent, wait_settled)

    async def send_offsets_to_transaction(
        self,
        offsets: Mapping[tuple[str, int], Any] | Sequence[Any],
        group: str | Any,
    ) -> None:
        """Commits a consumer group's offsets as part of the transaction (consume-transform-
        produce): they take effect if and only if the transaction commits.

        ``offsets``: ``{(topic, partition): next_offset}``, or a list of ``TopicPartition``
        objects with offsets (confluent-kafka, aiokafka). ``group``: the group id, or the
        consumer's group metadata (an object with ``group_id`` and, so that the coordinator
        refuses offsets from a consumer that left the group (KIP-447), ``generation_id``,
        ``member_id``, ``group_instance_id``), or confluent-kafka's
        ``consumer.consumer_group_metadata()``."""
        txn = self._manager("send offsets to the transaction")
        entries = offset_entries(offsets)
        await txn.send_offsets(entries, group_metadata(group))

    def _manager(self, action: str) -> TransactionManager:
        if self._transactions is None:
            raise IllegalStateError(
                f"cannot {action}: this producer has no transactional_id; create it with "
                "Producer(..., transactional_id='a-stable-id-per-instance')"
            )
        return self._transactions
