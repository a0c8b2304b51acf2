"""What a transactional producer's errors say when Kafka refuses it, or cannot be reached.

Kafka's answers do not say why an epoch is stale: PRODUCER_FENCED (INVALID_PRODUCER_EPOCH from
Produce and from older coordinators) comes both when a newer instance with the same
transactional id started and when the coordinator aborted a transaction open longer than
``transaction_timeout_ms`` (it bumps the epoch then). The messages name both causes when the
transaction is old enough for the second, and what the caller can do in each case: a timed-out
transaction can be aborted and the producer used again with transactions v2, never with v1,
and a fenced producer can only be closed.
"""

from __future__ import annotations

from ferrokafka._error_codes import ErrorCode
from ferrokafka.errors import KafkaError, KafkaTimeoutError, error_for_code

# Both mean "your epoch is stale"; Java converts the second to the first on transactional
# answers (KIP-588).
STALE_EPOCH_CODES = frozenset({ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH})


def timeout_note(elapsed_ms: float, timeout_ms: int) -> str:
    return (
        f"the coordinator aborted this transaction, which ran {elapsed_ms:.0f} ms, longer than "
        f"transaction_timeout_ms={timeout_ms}"
    )


def fatal_refusal(
    error: KafkaError, transactional_id: str, what: str, *, timed_out: str | None, uses_v2: bool
) -> KafkaError:
    """The error that makes the producer unusable, for ``error`` refusing ``what`` (e.g.
    "commit"); ``timed_out`` is the `timeout_note` when the transaction may have timed out."""
    unusable = (
        f"This producer is unusable now: close it (the broker answered {type(error).__name__})"
    )
    if error.code == ErrorCode.INVALID_TXN_STATE and timed_out is not None:
        return error_for_code(
            ErrorCode.INVALID_TXN_STATE,
            f"transactional id {transactional_id!r} could not {what}: {timed_out}. {unusable}",
        )
    if error.code not in STALE_EPOCH_CODES:
        return error
    why = "another producer with this transactional_id started"
    if timed_out is not None:
        why += f", or {timed_out}"
        if not uses_v2:
            why += (
                " (a transactions v1 coordinator lets no producer continue after that; with "
                "transactions v2, Kafka 4.0+, abort_transaction() recovers)"
            )
    return error_for_code(
        ErrorCode.PRODUCER_FENCED,
        f"transactional id {transactional_id!r} was fenced and could not {what}: {why}. "
        + unusable,
    )


def stale_epoch(
    error: KafkaError, transactional_id: str, *, timed_out: str | None, uses_v2: bool
) -> KafkaError:
    """Why the transaction became abortable when Produce answered INVALID_PRODUCER_EPOCH."""
    why = "a newer instance with this transactional_id started"
    if timed_out is not None:
        why = f"{timed_out}, or {why}"
    if uses_v2:
        then = (
            "call abort_transaction(): after a timeout the producer goes on with the next "
            "transaction, and a fenced one raises ProducerFencedError"
        )
    else:
        then = (
            "call abort_transaction(); with transactions v1 it raises ProducerFencedError "
            "either way (close the producer then)"
        )
    stale = error_for_code(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        f"transactional id {transactional_id!r}: a record of the transaction was refused for "
        f"its stale epoch ({why}); {then}",
    )
    stale.__cause__ = error
    return stale


def aborted_by_timeout(transactional_id: str, timed_out: str) -> KafkaError:
    """A v2 commit refused with INVALID_TXN_STATE after the transaction's timeout: abortable."""
    return error_for_code(
        ErrorCode.INVALID_TXN_STATE,
        f"transactional id {transactional_id!r} could not commit: {timed_out}. Call "
        "abort_transaction(), then run the transaction again",
    )


def end_timed_out(
    call: str, max_block_ms: int, state: str, cause: KafkaTimeoutError
) -> KafkaTimeoutError:
    """``call`` (commit_transaction or abort_transaction) could not finish in time."""
    error = KafkaTimeoutError(
        f"{call}() did not finish within max_block_ms={max_block_ms} ({cause}). The "
        f"transaction is still {state}: call {call}() again to resume it; every other "
        "transactional call is refused until then"
    )
    error.__cause__ = cause
    return error
