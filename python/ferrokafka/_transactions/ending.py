"""Ending a transaction: EndTxn, then the epoch bump a lost sequence asked for, and resuming
an end that did not finish within ``max_block_ms``.

A commit or abort whose EndTxn cannot be answered in time (the coordinator unreachable, or
answering "later" until then) raises `KafkaTimeoutError` and leaves the transaction COMMITTING
or ABORTING (INITIALIZING when only the epoch bump after an abort is left): whether the EndTxn
was applied is unknown. Calling the same operation again resumes it where it stopped, as the
Java client's ``pendingTransition`` does: the records were flushed before the first attempt,
and the same EndTxn (same producer id and epoch) is sent again, which the coordinator answers as
the retry it is (NONE once the transaction is complete, with the epoch it bumped to in v2;
CONCURRENT_TRANSACTIONS, retried, while its markers are written). An EndTxn that was answered is
never sent again. The other operation is refused until then.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import anyio

from ferrokafka._error_codes import ErrorCode
from ferrokafka._requests import ApiKey
from ferrokafka._transactions import refusals
from ferrokafka._transactions.coordinator import CoordinatorCalls
from ferrokafka._transactions.protocol import END_TXN_MAX_VERSION_V1
from ferrokafka._transactions.requests import TxnIdentity, end_txn_request
from ferrokafka._transactions.state import PendingEnd, TransactionState
from ferrokafka.errors import IllegalStateError, KafkaError, KafkaTimeoutError, error_for_code

if TYPE_CHECKING:
    from ferrokafka import _native
    from ferrokafka._transactions.producer_ids import TransactionalProducerIds

S = TransactionState


class TransactionEnding(CoordinatorCalls):
    """The end of a transaction, a part of `TransactionManager` (which owns every field)."""

    # The manager's own state and steps (TransactionManager describes each).
    state: TransactionState
    uses_v2: bool
    last_error: KafkaError | None
    _ids: TransactionalProducerIds
    _acc: _native.Accumulator
    _adding: bool
    _added_all: anyio.Event | None
    _started_at_coordinator: bool
    _pending_end: PendingEnd | None
    _identity: Callable[[], TxnIdentity]
    _transition: Callable[[TransactionState], None]
    _fatal: Callable[[KafkaError], None]
    _fatal_refusal: Callable[[KafkaError, str], KafkaError]
    _timed_out: Callable[[], str | None]
    _init_producer_id: Callable[..., Coroutine[Any, Any, None]]

    def _take_pending_end(self, action: str, *, commit: bool) -> PendingEnd | None:
        """The timed-out commit (``commit``) or abort this call resumes, taken; None when there
        is none. The other operation is refused, as Java refuses it, until it is resumed."""
        pending = self._pending_end
        if pending is None:
            return None
        if pending.commit != commit:
            raise IllegalStateError(
                f"cannot {action}: the previous {pending.call}() timed out and must be "
                f"retried: call {pending.call}() again"
            )
        self._pending_end = None
        return pending

    async def _end(self, *, commit: bool, ended: bool = False) -> None:
        """Ends the transaction: EndTxn (unless ``ended``: a resumed call whose EndTxn was
        answered), then the epoch bump a lost sequence asked for. Past ``max_block_ms``, or
        when the caller is cancelled, the call is kept to be resumed (`PendingEnd`)."""
        try:
            if not ended:
                await self._end_txn(commit=commit)
                ended = True
            if self._ids.bump_requested:
                # A sequence may have been lost inside the transaction: a new epoch (KIP-360)
                # restarts every partition's sequence at 0.
                if self.state is not S.INITIALIZING:
                    self._transition(S.INITIALIZING)
                await self._init_producer_id(bump=True)
        except KafkaTimeoutError as exc:
            pending = self._pending_end = PendingEnd(commit, ended)
            raise refusals.end_timed_out(
                pending.call, self._max_block_ms, self.state.value, exc
            ) from exc
        except anyio.get_cancelled_exc_class():
            # The caller stopped waiting (a timeout of its own): the same call resumes it.
            self._pending_end = PendingEnd(commit, ended)
            raise
        self._transition(S.READY)
        self._log.debug(
            "transactional id %r: transaction %s",
            self.transactional_id,
            "committed" if commit else "aborted",
        )

    async def _end_txn(self, *, commit: bool) -> None:
        if self._adding and self._added_all is not None:
            await self._added_all.wait()
        if not self._started_at_coordinator:
            return
        txn = self._identity()
        try:
            result = await self._call(
                ApiKey.END_TXN,
                lambda version: end_txn_request(version, txn, commit=commit),
                lambda r: r.error_code,
                max_version=None if self.uses_v2 else END_TXN_MAX_VERSION_V1,
            )
        except KafkaTimeoutError:
            # Whether it was applied is unknown: the resumed call sends it again (see above).
            raise
        except KafkaError as exc:
            self._fatal(exc)
            raise
        if result.error_code != ErrorCode.NONE:
            raise self._end_refused(error_for_code(result.error_code), commit=commit)
        if result.producer_id >= 0:
            # EndTxn v5 bumped the epoch (or, near its end, gave a new producer id): every
            # batch of the transaction has ended, so sequences restart at 0 (v2).
            self._ids.install(self._acc, result.producer_id, result.producer_epoch)

    def _end_refused(self, error: KafkaError, *, commit: bool) -> KafkaError:
        """The error to raise for an EndTxn the coordinator refused, and the state it leaves."""
        timed_out = self._timed_out()
        if (
            commit
            and self.uses_v2
            and error.code == ErrorCode.INVALID_TXN_STATE
            and timed_out is not None
        ):
            # A v2 coordinator answers a commit with the epoch it aborted after
            # transaction_timeout_ms this way (the abort bumped the epoch by one, so the commit
            # reads as a retry, refused for asking the other outcome). The transaction is over
            # but the producer is not fenced: an abort with the same epoch is answered NONE and
            # hands over the bumped epoch, so the producer goes on (KIP-588's aim). A newer
            # instance that started meanwhile bumped the epoch further, and the abort is
            # answered PRODUCER_FENCED: fatal then.
            error = refusals.aborted_by_timeout(self.transactional_id, timed_out)
            self.last_error = error
            self._transition(S.ABORTABLE_ERROR)
            return error
        error = self._fatal_refusal(error, "commit" if commit else "abort")
        self._fatal(error)
        return error
