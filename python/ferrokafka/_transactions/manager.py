"""The transaction manager: one per transactional producer, owner of the transaction's state.

It finds the transaction coordinator (FindCoordinator, key type 1) and the group coordinator
(key type 0), gets the producer id and epoch for the transactional id (InitProducerId, which
fences every older instance with the same id), registers each partition with the coordinator
before the first batch of the transaction goes to it (AddPartitionsToTxn), adds a group's
offsets (AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator), and ends the
transaction (EndTxn).

Two protocols, chosen at start from the transaction coordinator's ApiVersions answer
(`_transactions.protocol`):
- transactions v2 (KIP-890 part 2) when the cluster's finalized ``transaction.version`` feature
  is 2 or more and the broker speaks Produce v12 and EndTxn v5 (Kafka 4.0+ by default): Produce
  v12 adds a partition to the transaction by itself (no AddPartitionsToTxn), TxnOffsetCommit v5
  adds the group by itself (no AddOffsetsToTxn), and EndTxn v5 bumps the epoch at the end of
  every transaction, answering the new one;
- transactions v1 otherwise (Kafka 3.9): AddPartitionsToTxn / AddOffsetsToTxn, Produce capped
  at v11, EndTxn and TxnOffsetCommit at v4, the versions whose meaning does not depend on
  ``transaction.version``.

Coordinator errors that say "try again" are retried with a growing backoff until
``max_block_ms`` (as the Java client bounds its transactional calls): NOT_COORDINATOR and
COORDINATOR_NOT_AVAILABLE (and a lost connection) look the coordinator up again;
COORDINATOR_LOAD_IN_PROGRESS and CONCURRENT_TRANSACTIONS (the previous transaction of the id
is still completing) only wait. (The lookups and retries: `_transactions.coordinator`.) A
commit or abort that still cannot end after that is resumed by calling it again
(`_transactions.ending`).

The coordinator itself aborts a transaction open longer than ``transaction_timeout_ms``, and
bumps the epoch. Produce then answers INVALID_PRODUCER_EPOCH, which a partition leader also
gives a producer fenced by a newer instance: the transaction becomes abortable, not the
producer unusable (KIP-588, as the Java client since 2.7), and the abort asks the coordinator.
A v2 coordinator answers that abort NONE with the bumped epoch (and the commit
INVALID_TXN_STATE, abortable too), so the producer goes on; a v1 coordinator answers
PRODUCER_FENCED either way, fatal as for a fenced producer. (What the errors say:
`_transactions.refusals`.)
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import anyio
import anyio.abc

from ferrokafka._backoff import ExponentialBackoff
from ferrokafka._error_codes import ErrorCode
from ferrokafka._native import InitProducerIdResult, TxnOffset
from ferrokafka._requests import (
    ApiKey,
    Request,
    init_producer_id_request,
)
from ferrokafka._transactions import refusals
from ferrokafka._transactions.ending import TransactionEnding
from ferrokafka._transactions.producer_ids import TransactionalProducerIds
from ferrokafka._transactions.protocol import (
    INIT_PRODUCER_ID_BUMP_VERSION,
    PRODUCE_MAX_VERSION_V1,
    PRODUCE_VERSION_V2,
    TXN_OFFSET_COMMIT_MAX_VERSION_V1,
    transactions_v2_available,
)
from ferrokafka._transactions.requests import (
    GroupMetadata,
    TxnIdentity,
    add_offsets_to_txn_request,
    add_partitions_to_txn_request,
    txn_offset_commit_request,
)
from ferrokafka._transactions.state import (
    PendingEnd,
    TransactionState,
    illegal_state,
    is_transition_valid,
)
from ferrokafka.errors import (
    IllegalStateError,
    KafkaError,
    KafkaTimeoutError,
    error_for_code,
)

if TYPE_CHECKING:
    from ferrokafka import _native
    from ferrokafka._broker_pool import BrokerPool
    from ferrokafka.config import ProducerConfig


T = TypeVar("T")
S = TransactionState
TopicPartition = tuple[str, int]

# Errors after which this producer can do nothing but close (Java: fatal errors), when the
# coordinators answer them; INVALID_PRODUCER_EPOCH is older coordinators' PRODUCER_FENCED.
# From Produce it is abortable instead (`batch_failed`).
_FATAL_CODES = frozenset(
    {
        ErrorCode.PRODUCER_FENCED,
        ErrorCode.INVALID_PRODUCER_EPOCH,
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        ErrorCode.INVALID_PRODUCER_ID_MAPPING,
        ErrorCode.UNSUPPORTED_VERSION,
        ErrorCode.INVALID_TRANSACTION_TIMEOUT,
    }
)
# Answered for the partitions the coordinator did not look at because another one failed.
_NOT_ATTEMPTED = ErrorCode.OPERATION_NOT_ATTEMPTED


class TransactionManager(TransactionEnding):
    def __init__(
        self,
        config: ProducerConfig,
        pool: BrokerPool,
        accumulator: _native.Accumulator,
        producer_ids: TransactionalProducerIds,
        wake_sender: Callable[[], None],
    ) -> None:
        assert config.transactional_id is not None
        self.transactional_id: str = config.transactional_id
        self._timeout_ms = config.transaction_timeout_ms
        self._max_block_ms = config.max_block_ms
        self._pool = pool
        self._acc = accumulator
        self._ids = producer_ids
        self._log = producer_ids.log
        self._wake_sender = wake_sender
        self._backoff = ExponentialBackoff(config.retry_backoff_ms, config.retry_backoff_max_ms)
        self.state = S.UNINITIALIZED
        # Transactions v2 (KIP-890 part 2), decided at start from the coordinator's answer.
        self.uses_v2 = False
        # Why the state is ABORTABLE_ERROR or FATAL_ERROR: named by every refused call.
        self.last_error: KafkaError | None = None
        # Node id of the coordinator per (key type, key); dropped when it moves.
        self._coordinators: dict[tuple[int, str], int] = {}
        # Partitions the coordinator acknowledged for the current transaction: their batches
        # may be drained. Cleared when a transaction begins.
        self._added: set[TopicPartition] = set()
        # Partitions with a batch ready and not yet acknowledged; one request adds them all.
        self._to_add: set[TopicPartition] = set()
        # An AddPartitionsToTxn task is running (at most one at a time, as Java); set when it
        # ends, so that EndTxn never overtakes a partition being added.
        self._adding = False
        self._added_all: anyio.Event | None = None
        # The coordinator knows of this transaction (a partition or a group was added), so it
        # must be ended with EndTxn; an empty transaction is ended locally.
        self._started_at_coordinator = False
        # monotonic seconds at begin_transaction, to explain a commit the coordinator refused
        # because transaction_timeout_ms had passed.
        self._began_at = 0.0
        # A commit or abort that timed out and must be called again; None otherwise.
        self._pending_end: PendingEnd | None = None
        producer_ids.on_bump_requested = self._on_bump_requested
        # Called with `sending_allowed` each time it changes: the producer's native send
        # path, which checks nothing per record, is on the instance only while it is True.
        self.on_sending_allowed: Callable[[bool], None] | None = None
        # The Java client's txn-*-time-ns-total metrics: time spent in each call, in total.
        self.times_ns_total: dict[str, float] = dict.fromkeys(
            (
                "txn-init-time-ns-total",
                "txn-begin-time-ns-total",
                "txn-send-offsets-time-ns-total",
                "txn-commit-time-ns-total",
                "txn-abort-time-ns-total",
            ),
            0.0,
        )

    @property
    def sending_allowed(self) -> bool:
        """Records may be sent (what `check_send` lets through)."""
        return self.state is S.IN_TRANSACTION

    @property
    def is_open(self) -> bool:
        """A transaction was begun and not yet committed or aborted."""
        return self.state in (S.IN_TRANSACTION, S.ABORTABLE_ERROR)

    @contextlib.contextmanager
    def _timed(self, call: str) -> Iterator[None]:
        start = time.perf_counter_ns()
        try:
            yield
        finally:
            self.times_ns_total[f"txn-{call}-time-ns-total"] += time.perf_counter_ns() - start

    # --- what the sender asks (the narrow interface it sees) -----------------------------

    @property
    def produce_max_version(self) -> int:
        return PRODUCE_VERSION_V2 if self.uses_v2 else PRODUCE_MAX_VERSION_V1

    def admit(self, topic: str, partition: int, tasks: anyio.abc.TaskGroup) -> bool:
        """Whether a ready batch of ``topic``/``partition`` may be drained now; if not, the
        partition is added to the transaction in the background and the sender woken then."""
        tp = (topic, partition)
        if tp in self._added:
            return True
        in_transaction = self.state is S.IN_TRANSACTION or self.state is S.COMMITTING
        if self.uses_v2:
            # Produce v12 adds the partition to the transaction (KIP-890 part 2).
            if in_transaction:
                self._started_at_coordinator = True
            return in_transaction
        if in_transaction:
            self._to_add.add(tp)
            if not self._adding:
                self._adding = True
                self._added_all = anyio.Event()
                tasks.start_soon(self._add_partitions)
        return False

    def batch_failed(self, error: KafkaError) -> None:
        """A batch of the transaction failed: the transaction cannot commit any more."""
        if self.state in (S.IN_TRANSACTION, S.COMMITTING):
            if error.code == ErrorCode.INVALID_PRODUCER_EPOCH:
                # A partition saw a newer epoch. Its leader cannot tell why: the coordinator
                # aborted this transaction after transaction_timeout_ms (bumping the epoch), or
                # a newer instance started. So it is abortable, not fatal (KIP-588, Java 2.7+):
                # the abort asks the coordinator, which answers a fenced producer
                # PRODUCER_FENCED and hands a timed-out one (v2) its bumped epoch.
                self.last_error = refusals.stale_epoch(
                    error, self.transactional_id, timed_out=self._timed_out(), uses_v2=self.uses_v2
                )
                self._transition(S.ABORTABLE_ERROR)
            else:
                self._fail(error)
            # Its sequence number is a gap its partition cannot get past: the abort bumps the
            # epoch (KIP-360), which restarts every sequence at 0. Nothing more is drained
            # until then.
            self._ids.request_bump()

    # --- the producer's calls ------------------------------------------------------------

    async def initialize(self) -> None:
        """InitProducerId for the transactional id, at start: fences older instances, and
        makes the coordinator abort or finish a transaction they left open."""
        with self._timed("init"):
            self._transition(S.INITIALIZING)
            await self._init_producer_id(bump=False)
            coordinator = await self._coordinator(self._transaction_key)
            self.uses_v2 = transactions_v2_available(coordinator)
            self._log.info(
                "transactional id %r: transactions v%d",
                self.transactional_id,
                2 if self.uses_v2 else 1,
            )
            self._transition(S.READY)

    def begin(self) -> None:
        with self._timed("begin"):
            if self.state is not S.READY:
                raise illegal_state("begin a transaction", self.state, self.last_error)
            self._transition(S.IN_TRANSACTION)
            self._added.clear()
            self._to_add.clear()
            self._started_at_coordinator = False
            self._began_at = time.monotonic()

    def check_send(self) -> None:
        if not self.sending_allowed:
            raise illegal_state("send", self.state, self.last_error)

    async def commit(self, flush: Callable[[], Awaitable[None]]) -> None:
        with self._timed("commit"):
            await self._commit(flush)

    async def _commit(self, flush: Callable[[], Awaitable[None]]) -> None:
        pending = self._take_pending_end("commit the transaction", commit=True)
        if pending is not None:
            # Every record was flushed before the first attempt, and none could be sent since.
            await self._end(commit=True, ended=pending.ended)
            return
        if self.state is not S.IN_TRANSACTION:
            raise illegal_state("commit the transaction", self.state, self.last_error)
        await flush()
        # Batches that failed while flushing changed the state.
        state: TransactionState = self.state
        if state is S.FATAL_ERROR and self.last_error is not None:
            # A record of the transaction was refused because this producer was fenced.
            raise self.last_error
        if state is not S.IN_TRANSACTION:
            # A record of the transaction failed while it was flushed.
            raise illegal_state("commit the transaction", state, self.last_error)
        self._transition(S.COMMITTING)
        await self._end(commit=True)

    async def abort(
        self, drop_unsent: Callable[[], None], wait_settled: Callable[[], Awaitable[None]]
    ) -> None:
        with self._timed("abort"):
            await self._abort(drop_unsent, wait_settled)

    async def _abort(
        self, drop_unsent: Callable[[], None], wait_settled: Callable[[], Awaitable[None]]
    ) -> None:
        pending = self._take_pending_end("abort the transaction", commit=False)
        if pending is not None:
            # The unsent records were dropped and the sent ones settled before the first attempt.
            await self._end(commit=False, ended=pending.ended)
            return
        if self.state not in (S.IN_TRANSACTION, S.ABORTABLE_ERROR):
            raise illegal_state("abort the transaction", self.state, self.last_error)
        self._transition(S.ABORTING)
        drop_unsent()
        # Batches already sent end (written or failed) before the coordinator writes the abort
        # markers; none may reach a partition after them.
        await wait_settled()
        await self._end(commit=False)

    async def send_offsets(self, offsets: list[TxnOffset], group: GroupMetadata) -> None:
        with self._timed("send-offsets"):
            await self._send_offsets(offsets, group)

    async def _send_offsets(self, offsets: list[TxnOffset], group: GroupMetadata) -> None:
        if self.state is not S.IN_TRANSACTION:
            raise illegal_state("send offsets to the transaction", self.state, self.last_error)
        txn = self._identity()
        if not self.uses_v2:
            # In v2, TxnOffsetCommit v5 adds the group to the transaction by itself.
            added = await self._call(
                ApiKey.ADD_OFFSETS_TO_TXN,
                lambda version: add_offsets_to_txn_request(version, txn, group.group_id),
                lambda result: result.error_code,
            )
            self._raise_for(added.error_code, f"add group {group.group_id!r}'s offsets")
        self._started_at_coordinator = True
        committed = await self._call(
            ApiKey.TXN_OFFSET_COMMIT,
            lambda version: txn_offset_commit_request(version, txn, group, offsets),
            _first_partition_error,
            group=group.group_id,
            max_version=None if self.uses_v2 else TXN_OFFSET_COMMIT_MAX_VERSION_V1,
        )
        self._raise_for(
            _first_partition_error(committed), f"commit group {group.group_id!r}'s offsets"
        )

    # --- the requests --------------------------------------------------------------------

    async def _init_producer_id(self, *, bump: bool) -> None:
        pid, epoch = (self._ids.producer_id, self._ids.epoch) if bump else (-1, -1)

        def request(version: int) -> Request[InitProducerIdResult]:
            known = version >= INIT_PRODUCER_ID_BUMP_VERSION
            return init_producer_id_request(
                version,
                self.transactional_id,
                self._timeout_ms,
                pid if known else -1,
                epoch if known else -1,
            )

        try:
            result = await self._call(
                ApiKey.INIT_PRODUCER_ID,
                request,
                lambda r: r.error_code,
            )
        except KafkaError as exc:
            # The bump after an abort is resumed by calling abort_transaction() again; at start
            # the producer has no usable id.
            if not (bump and isinstance(exc, KafkaTimeoutError)):
                self._fatal(exc)
            raise
        code = result.error_code
        if code != ErrorCode.NONE:
            error = error_for_code(code)
            self._fatal(error)
            raise error
        self._ids.install(self._acc, result.producer_id, result.producer_epoch)
        self._log.info(
            "transactional id %r: producer id %d, epoch %d",
            self.transactional_id,
            self._ids.producer_id,
            self._ids.epoch,
        )

    async def _add_partitions(self) -> None:
        try:
            while self._to_add and self.state in (S.IN_TRANSACTION, S.COMMITTING):
                partitions = sorted(self._to_add)
                try:
                    result = await self._call(
                        ApiKey.ADD_PARTITIONS_TO_TXN,
                        functools.partial(
                            add_partitions_to_txn_request,
                            txn=self._identity(),
                            partitions=partitions,
                        ),
                        _first_partition_error,
                    )
                    code = _first_partition_error(result)
                    self._raise_for(code, f"add partitions {partitions} to the transaction")
                except KafkaError as exc:
                    if self.last_error is not exc:
                        self._fail(exc)
                    return
                self._started_at_coordinator = True
                self._added.update(partitions)
                self._to_add.difference_update(partitions)
        finally:
            self._adding = False
            if self._added_all is not None:
                self._added_all.set()
            self._wake_sender()

    # --- state ---------------------------------------------------------------------------

    def _identity(self) -> TxnIdentity:
        return TxnIdentity(self.transactional_id, self._ids.producer_id, self._ids.epoch)

    def _transition(self, target: TransactionState) -> None:
        if not is_transition_valid(self.state, target):
            raise IllegalStateError(
                f"internal error: transaction state {self.state.name} -> {target.name}"
            )
        self._log.debug("transaction state %s -> %s", self.state.name, target.name)
        was_allowed = self.sending_allowed
        self.state = target
        if self.on_sending_allowed is not None and self.sending_allowed != was_allowed:
            self.on_sending_allowed(self.sending_allowed)

    def _raise_for(self, code: int, what: str) -> None:
        if code == ErrorCode.NONE:
            return
        raise self._fail(error_for_code(code), what)

    def _fail(self, error: KafkaError, what: str = "go on") -> KafkaError:
        """Records ``error`` as the end of the transaction (fatal codes: of the producer);
        returns the error to raise."""
        if error.code in _FATAL_CODES:
            error = self._fatal_refusal(error, what)
            self._fatal(error)
        elif self.state is not S.FATAL_ERROR:
            self.last_error = error
            self._transition(S.ABORTABLE_ERROR)
        return error

    def _fatal(self, error: KafkaError) -> None:
        self._pending_end = None
        self.last_error = error
        self._transition(S.FATAL_ERROR)
        self._log.error("transactional id %r: %s", self.transactional_id, error)

    def _timed_out(self) -> str | None:
        """What to say when the transaction is open longer than transaction_timeout_ms (its
        coordinator may have aborted it: its clock starts later, at its first partition);
        None when it is not."""
        open_states = (S.IN_TRANSACTION, S.COMMITTING, S.ABORTING, S.ABORTABLE_ERROR)
        elapsed_ms = (time.monotonic() - self._began_at) * 1000
        if self.state not in open_states or elapsed_ms <= self._timeout_ms:
            return None
        return refusals.timeout_note(elapsed_ms, self._timeout_ms)

    def _fatal_refusal(self, error: KafkaError, what: str) -> KafkaError:
        return refusals.fatal_refusal(
            error, self.transactional_id, what, timed_out=self._timed_out(), uses_v2=self.uses_v2
        )

    def _on_bump_requested(self) -> None:
        if self.state is S.IN_TRANSACTION or self.state is S.COMMITTING:
            self.last_error = KafkaError(
                "a batch of the transaction failed after it may have been written; abort the "
                "transaction (the producer epoch is bumped then)"
            )
            self._transition(S.ABORTABLE_ERROR)


def _first_partition_error(result: _native.TxnPartitionsResult) -> int:
    """The error of a per-partition answer: the first partition's that is not NONE (or the
    OPERATION_NOT_ATTEMPTED the others get because of it)."""
    codes = [p.error_code for p in result.partitions if p.error_code != ErrorCode.NONE]
    real = [c for c in codes if c != _NOT_ATTEMPTED]
    return (real or codes or [ErrorCode.NONE])[0]
