"""The transactional methods of `ferrokafka.sync.Producer`, kept apart from the rest of it.

Each one runs the async producer's method on the producer's thread, once every record queued
by `send` before the call is in the async producer's hands: a record sent before
`commit_transaction` returned is part of the transaction it commits (and one sent before
`abort_transaction`, of the transaction it aborts), whichever thread sent it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ferrokafka.errors import KafkaError

if TYPE_CHECKING:
    from ferrokafka.producer import Producer as AsyncProducer

T = TypeVar("T")

# What the producer's thread may take past the async call's own limits before the caller
# stops waiting (the async calls bound themselves by max_block_ms and delivery_timeout_ms).
_GRACE_S = 2.5


class SyncTransactionalMethods:
    _producer: AsyncProducer
    _queued_total: int
    _max_block_s: float

    if TYPE_CHECKING:
        # The producer's own (ferrokafka.sync.Producer).
        def _ensure_started(self, what: str) -> None: ...

        def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T: ...

        async def _drained(self, deadline: float | None, queued: int) -> None: ...

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """``with producer.transaction():`` begins a transaction, commits it when the block
        ends, and aborts it when the block raises (the exception is re-raised) or when the
        commit finds the transaction failed (its error is raised)."""
        self.begin_transaction()
        try:
            yield
            self.commit_transaction()
        except BaseException:
            with contextlib.suppress(KafkaError):
                self._call("abort the transaction", self._abort_if_open, self._end_limit_s)
            raise

    def begin_transaction(self) -> None:
        """Starts a transaction (`ferrokafka.Producer.begin_transaction`); every record sent
        until commit or abort belongs to it. Starts the producer if needed."""

        async def begin() -> None:
            self._producer.begin_transaction()

        self._call("begin_transaction", begin, self._max_block_s)

    def commit_transaction(self) -> None:
        """Sends every record of the transaction, then commits it
        (`ferrokafka.Producer.commit_transaction`); raises what the async commit raises."""
        self._call("commit_transaction", self._producer.commit_transaction, self._end_limit_s)

    def abort_transaction(self) -> None:
        """Aborts the transaction (`ferrokafka.Producer.abort_transaction`): its records not
        yet sent fail, and none of them is ever visible to ``read_committed`` consumers."""
        self._call("abort_transaction", self._producer.abort_transaction, self._end_limit_s)

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[tuple[str, int], Any] | Sequence[Any],
        group: str | Any,
    ) -> None:
        """Commits a consumer group's offsets as part of the transaction, with the arguments
        of `ferrokafka.Producer.send_offsets_to_transaction`."""

        def send_offsets() -> Awaitable[None]:
            return self._producer.send_offsets_to_transaction(offsets, group)

        self._call("send_offsets_to_transaction", send_offsets, self._max_block_s)

    @property
    def _end_limit_s(self) -> float:
        # A commit or abort waits for the transaction's records (each ends within
        # delivery_timeout_ms), then for EndTxn (within max_block_ms).
        return self._producer.config.delivery_timeout_ms / 1000 + self._max_block_s

    async def _abort_if_open(self) -> None:
        # Read on the producer's thread, where the transaction state changes.
        txn = self._producer._transactions
        if txn is not None and txn.is_open:
            await self._producer.abort_transaction()

    def _call(self, what: str, call: Callable[[], Awaitable[None]], limit_s: float) -> None:
        self._ensure_started(what)
        queued = self._queued_total
        deadline = time.monotonic() + self._max_block_s

        async def after_queued_records() -> None:
            await self._drained(deadline, queued)
            await call()

        self._run(after_queued_records(), self._max_block_s + limit_s + _GRACE_S)
