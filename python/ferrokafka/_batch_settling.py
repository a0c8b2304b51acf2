"""How the sender ends or retries each batch, following the Java client's
`Sender.completeBatch` (the cases are listed in `ferrokafka._sender`'s docstring): the answer
to a Produce request, partition by partition; a lost connection; retry with backoff or fail;
split a batch too large; the delivery timeout; an authentication refusal. Also when an epoch
bump is asked for: a batch that took sequence numbers and fails, and a sequence refusal with no
unsettled predecessor.

`Sender` is the one class that uses it; the batches' state is the registry's (`InFlight`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ferrokafka import _native
from ferrokafka._backoff import ExponentialBackoff
from ferrokafka._error_codes import ErrorCode
from ferrokafka._logging import ClientLog
from ferrokafka._native import BrokerMetadata, PartitionProduceResult, ProduceResult
from ferrokafka._runtime import Signal
from ferrokafka.errors import (
    AuthenticationError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    error_for_code,
)

if TYPE_CHECKING:
    from ferrokafka._broker_pool import BrokerPool
    from ferrokafka._inflight import InFlight
    from ferrokafka._pending import PendingBatch
    from ferrokafka._producer_id import ProducerIdManager
    from ferrokafka._transactions.manager import TransactionManager
    from ferrokafka.config import ProducerConfig


class BatchSettling:
    # The sender's own state (Sender.__init__ describes each).
    _config: ProducerConfig
    _log: ClientLog
    _acc: _native.Accumulator
    _pool: BrokerPool
    _inflight: InFlight
    _now: Callable[[], int]
    _producer_ids: ProducerIdManager | None
    _wakeup: Signal
    _metadata_wanted: bool
    transactions: TransactionManager | None
    on_memory_freed: Callable[[], None]

    def _settle_response(self, batch_ids: list[int], result: ProduceResult) -> None:
        by_partition = {(p.topic, p.partition): p for p in result.partitions}
        for batch_id in batch_ids:
            pending = self._inflight.get(batch_id)
            if pending is None:
                continue
            answer = by_partition.get((pending.topic, pending.partition))
            if answer is None:
                error = KafkaConnectionError(
                    f"the broker's Produce response left out {pending.topic}-{pending.partition}"
                )
                self._retry_or_fail(batch_id, pending, error)
                continue
            self._settle(batch_id, pending, answer, result.node_endpoints)

    def _settle(
        self,
        batch_id: int,
        pending: PendingBatch,
        answer: PartitionProduceResult,
        endpoints: list[BrokerMetadata],
    ) -> None:
        code = answer.error_code
        idempotent = self._producer_ids is not None
        if code == ErrorCode.NONE or (code == ErrorCode.DUPLICATE_SEQUENCE_NUMBER and idempotent):
            self._complete(batch_id, answer.base_offset, answer.log_append_time_ms)
            return
        error = error_for_code(code, _broker_detail(answer))
        pending.last_error = error
        if code == ErrorCode.MESSAGE_TOO_LARGE and self._split(batch_id, pending):
            return
        if error.invalid_metadata:
            hint = answer.current_leader
            moved = hint is not None and self._pool.metadata.apply_leader_hint(
                pending.topic, pending.partition, hint.leader_id, hint.leader_epoch, endpoints
            )
            if not moved:
                self._metadata_wanted = True
        if idempotent and code in (
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            ErrorCode.UNKNOWN_PRODUCER_ID,
        ):
            # Either way the broker's sequence stops before this batch: no attempt wrote it.
            self._inflight.refused_by_sequence(batch_id)
            if self._inflight.first_unsettled(pending.topic, pending.partition) != batch_id:
                # A predecessor is unsettled (retried, or still in flight): its echo.
                self._retry_or_fail(batch_id, pending, error, force_retriable=True)
                return
            assert self._producer_ids is not None
            self._log.warning(
                "%s on %s-%s: bumping the producer epoch",
                error.name,
                pending.topic,
                pending.partition,
            )
            self._producer_ids.request_bump(
                unknown_producer_id=code == ErrorCode.UNKNOWN_PRODUCER_ID
            )
            self._retry_or_fail(batch_id, pending, error, force_retriable=True)
            return
        self._retry_or_fail(batch_id, pending, error)

    def _settle_connection_error(self, batch_ids: list[int], exc: KafkaConnectionError) -> None:
        error = KafkaConnectionError(str(exc))
        error.__cause__ = exc
        # The leader may have moved: that is the usual reason a connection goes.
        self._metadata_wanted = True
        for batch_id in batch_ids:
            pending = self._inflight.get(batch_id)
            if pending is not None:
                pending.last_error = error
                self._retry_or_fail(batch_id, pending, error)

    def _retry_or_fail(
        self,
        batch_id: int,
        pending: PendingBatch,
        error: KafkaError,
        *,
        force_retriable: bool = False,
    ) -> None:
        now = self._now()
        retriable = force_retriable or error.retriable
        # As Java's `canRetry`: ``retries`` tries after the first, counted by the registry.
        if retriable and pending.attempts < self._config.retries and now < pending.deadline_ms:
            backoff = self._backoff_ms(pending.attempts)
            if now + backoff >= pending.deadline_ms:
                backoff = max(pending.deadline_ms - now, 0)
            self._inflight.retry(batch_id)
            self._acc.retry(batch_id, now, backoff)
            self._log.repeated(
                ("retry", pending.topic, pending.partition),
                logging.WARNING,
                "retrying a batch of %s-%s in %d ms (attempt %d): %s",
                pending.topic,
                pending.partition,
                backoff,
                pending.attempts + 1,
                error,
            )
            return
        if retriable and now >= pending.deadline_ms:
            error = _delivery_timeout(self._config.delivery_timeout_ms, error, pending)
        self._fail(batch_id, pending, error)

    def _backoff_ms(self, attempts: int) -> int:
        # The one formula of every growing wait, built per retry (retries are rare).
        config = self._config
        backoff = ExponentialBackoff(config.retry_backoff_ms, config.retry_backoff_max_ms)
        return backoff.backoff_ms(attempts)

    def _complete(self, batch_id: int, base_offset: int, log_append_time_ms: int) -> None:
        pending = self._inflight.settle(batch_id)
        if pending is None:
            # Already failed (its delivery timeout passed while in flight): the late answer
            # changes nothing.
            return
        self._acc.complete(batch_id)
        self.on_memory_freed()
        pending.succeed(base_offset, log_append_time_ms)

    def _fail(self, batch_id: int, pending: PendingBatch, error: KafkaError) -> None:
        self._inflight.settle(batch_id)
        # KeyError: the accumulator let it go already (aborted on close).
        with contextlib.suppress(KeyError):
            self._acc.fail(batch_id)
        self.on_memory_freed()
        if self.transactions is not None:
            # First, so that the transaction's error is this batch's, not the epoch bump's.
            self.transactions.batch_failed(error)
        if pending.placed and self._producer_ids is not None:
            # It took sequence numbers (it went out, or is a piece of a batch that did) and will
            # never be acknowledged: whether it is in the log ("maybe written", the registry's
            # word) or not (refused), the partition's later sequences cannot be trusted, so
            # start a new epoch before sending more, as the Java client does for a failed batch.
            # That covers a batch whose delivery timeout passed while its request was out: its
            # whole life is bounded, even when its request is still unanswered. The bump waits
            # until no partition starts with a maybe-written batch (_resolve_before_bump).
            self._producer_ids.request_bump()
        self._log.repeated(
            ("fail", pending.topic, pending.partition),
            logging.WARNING,
            "a batch of %s-%s failed (its records raise it): %s",
            pending.topic,
            pending.partition,
            error,
        )
        pending.fail(error)

    def _split(self, batch_id: int, pending: PendingBatch) -> bool:
        """Splits a batch of several records; False for a single record (nothing to split)."""
        runs = self._acc.split(batch_id)
        if not runs:
            return False
        self._inflight.split(batch_id, runs)
        self._wakeup.set()
        return True

    def _expire(self, now: int) -> None:
        """Fails every batch whose delivery timeout has passed: queued ones leave the
        accumulator; in-flight ones are failed now and their late response is ignored."""
        timeout_ms = self._config.delivery_timeout_ms
        ids = self._producer_ids
        # Never sent for want of a producer id: that is what went wrong last.
        no_id = ids.last_error if ids is not None and not ids.ready else None
        # expire() has already taken these out of the accumulator (memory released).
        for batch_id in self._acc.expire(now, timeout_ms):
            pending = self._inflight.get(batch_id)
            if pending is not None:
                last = pending.last_error or no_id
                self._fail(batch_id, pending, _delivery_timeout(timeout_ms, last, pending))
        # In flight, backing off, or split pieces (which keep their parent's earlier deadline):
        # the registry's heap gives every overdue batch, whatever its place in the registry.
        for batch_id, pending in self._inflight.expired(now):
            last = pending.last_error or no_id
            self._fail(batch_id, pending, _delivery_timeout(timeout_ms, last, pending))

    def _authentication_failed(self, error: AuthenticationError) -> None:
        """TLS or SASL refused: retrying cannot help, so every record waiting to be sent fails
        with the error now, not after delivery_timeout_ms. Nothing reconnects until a new
        record asks for it (and the broker's reconnect backoff has passed)."""
        self._log.error("%s", error)
        self._fail_all(error)
        ids = self._producer_ids
        if ids is not None and ids.producer_id >= 0:
            # Failed batches may have taken sequence numbers (sent once, then retried): a new
            # epoch starts the sequences again, so no later batch waits behind the gap.
            ids.request_bump()

    def _fail_all(self, error: KafkaError) -> None:
        for batch_id in self._acc.abort_undrained():
            pending = self._inflight.settle(batch_id)
            if pending is not None:
                pending.fail(error)


def _broker_detail(answer: PartitionProduceResult) -> str | None:
    parts = [answer.error_message] if answer.error_message else []
    parts += [f"record {e.batch_index}: {e.message}" for e in answer.record_errors if e.message]
    return "; ".join(p for p in parts if p) or None


def _delivery_timeout(
    timeout_ms: int, last: KafkaError | None, pending: PendingBatch
) -> KafkaTimeoutError:
    cause = f"; last error: {last}" if last is not None else ""
    if pending.maybe_written:
        # Its request may have reached the broker, which may have written it.
        outcome = (
            "the record was sent but not acknowledged within delivery_timeout_ms="
            f'{timeout_ms}: it may have been written ("maybe written"); check the topic '
            "before sending it again"
        )
    elif pending.placed:
        # Sent, and refused since in a way that says it is not in the log (by sequence, or
        # too large as a whole before its split).
        outcome = (
            f"the record was not written within delivery_timeout_ms={timeout_ms}: the "
            "broker refused it"
        )
    else:
        outcome = f"the record was not sent within delivery_timeout_ms={timeout_ms}"
    error = KafkaTimeoutError(
        f"{outcome}{cause}. Check that the brokers are reachable and the topic's partitions "
        "have leaders, or raise delivery_timeout_ms"
    )
    error.__cause__ = last
    return error
