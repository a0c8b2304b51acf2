"""The transaction states and the transitions between them.

The states and allowed transitions are those of the Java client's ``TransactionManager.State``
(also aiokafka's ``TransactionState.is_transition_valid``):

    UNINITIALIZED ─start()─► INITIALIZING ─InitProducerId─► READY ◄──────────────┐
                                  ▲                          │ begin_transaction │
                                  │ (epoch bump after        ▼                   │
                                  │  an abortable error)  IN_TRANSACTION ─commit─► COMMITTING
                                  │                          │     │             │ (error)
                                  └──── ABORTING ◄─abort─────┘     ▼             ▼
                                          ▲                 ABORTABLE_ERROR ◄────┘
                                          └───────abort────────────┘

    any state ──(fenced, authorization, unknown error)──► FATAL_ERROR (nothing but close)

A commit or abort that does not finish within ``max_block_ms`` (the coordinator unreachable, or
answering "later") leaves the state where it is: COMMITTING, ABORTING, or INITIALIZING for the
epoch bump after an abort. Calling the same operation again resumes it from there; the other
one is refused until then (Java's "timed out and must be retried").
"""

from __future__ import annotations

import dataclasses
import enum

from ferrokafka.errors import IllegalStateError


class TransactionState(enum.Enum):
    UNINITIALIZED = "uninitialized"
    INITIALIZING = "initializing"
    READY = "ready"
    IN_TRANSACTION = "in a transaction"
    COMMITTING = "committing a transaction"
    ABORTING = "aborting a transaction"
    ABORTABLE_ERROR = "in a transaction that failed and must be aborted"
    FATAL_ERROR = "unusable after a fatal error"


_S = TransactionState


@dataclasses.dataclass
class PendingEnd:
    """A commit or abort whose EndTxn (or the epoch bump after it) did not finish within
    ``max_block_ms``: the next call of the same operation resumes it (Java's
    ``pendingTransition``)."""

    commit: bool
    # EndTxn was answered: only the epoch bump (InitProducerId) is left, and EndTxn is never
    # sent again (a v2 coordinator would take a second one for the next transaction's).
    ended: bool = False

    @property
    def call(self) -> str:
        return "commit_transaction" if self.commit else "abort_transaction"


# target state -> the states it may be entered from
_ALLOWED_FROM: dict[TransactionState, frozenset[TransactionState]] = {
    _S.UNINITIALIZED: frozenset({_S.UNINITIALIZED}),
    _S.INITIALIZING: frozenset({_S.UNINITIALIZED, _S.ABORTING}),
    _S.READY: frozenset({_S.INITIALIZING, _S.COMMITTING, _S.ABORTING}),
    _S.IN_TRANSACTION: frozenset({_S.READY}),
    _S.COMMITTING: frozenset({_S.IN_TRANSACTION}),
    _S.ABORTING: frozenset({_S.IN_TRANSACTION, _S.ABORTABLE_ERROR}),
    _S.ABORTABLE_ERROR: frozenset(
        {_S.IN_TRANSACTION, _S.COMMITTING, _S.ABORTABLE_ERROR, _S.INITIALIZING}
    ),
    _S.FATAL_ERROR: frozenset(_S),
}

# What a user can do from each state, for the messages of IllegalStateError.
_FIX: dict[TransactionState, str] = {
    _S.UNINITIALIZED: "await producer.start() first",
    _S.INITIALIZING: (
        "wait for producer.start() (or abort_transaction(), which may bump the epoch) to return; "
        "if abort_transaction() raised KafkaTimeoutError, call it again"
    ),
    _S.READY: "call producer.begin_transaction() (or use `async with producer.transaction()`)",
    _S.IN_TRANSACTION: "commit_transaction() or abort_transaction() first",
    _S.COMMITTING: (
        "wait for commit_transaction() to return; if it raised KafkaTimeoutError, call it again"
    ),
    _S.ABORTING: (
        "wait for abort_transaction() to return; if it raised KafkaTimeoutError, call it again"
    ),
    _S.ABORTABLE_ERROR: "call abort_transaction(), then run the transaction again",
    _S.FATAL_ERROR: "close this producer and create a new one",
}


def is_transition_valid(source: TransactionState, target: TransactionState) -> bool:
    return source in _ALLOWED_FROM[target]


def illegal_state(
    action: str, state: TransactionState, cause: BaseException | None = None
) -> IllegalStateError:
    """The error for ``action`` (e.g. "send") attempted in ``state``, naming the fix."""
    message = f"cannot {action}: the transactional producer is {state.value}; {_FIX[state]}"
    if cause is not None:
        message += f" (cause: {cause})"
    error = IllegalStateError(message)
    error.__cause__ = cause
    return error
