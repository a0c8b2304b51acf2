"""The transaction manager's coordinator requests against a scripted fake broker: which answers
are retried, when the coordinator is looked up again, when it gives up, and how a commit or
abort that gave up is resumed by calling it again."""

from __future__ import annotations

import struct
from typing import Any, cast

import anyio
import pytest

from ferrokafka._error_codes import ErrorCode
from ferrokafka._native import CoordinatorResult
from ferrokafka._requests import ApiKey, Request
from ferrokafka._transactions.manager import TransactionManager
from ferrokafka._transactions.producer_ids import TransactionalProducerIds
from ferrokafka._transactions.requests import TxnIdentity, end_txn_request
from ferrokafka._transactions.state import TransactionState
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import (
    IllegalStateError,
    KafkaConnectionError,
    KafkaTimeoutError,
    ProducerFencedError,
)

VERSION = 3  # EndTxn v3: flexible, response header with tagged fields


class FakeConnection:
    def __init__(self, broker: FakeBroker, node: int) -> None:
        self.broker, self.node = broker, node

    def api_version(
        self, api_key: int, ours_min: int | None = None, ours_max: int | None = None
    ) -> int:
        assert ours_max is None or ours_max >= VERSION
        return VERSION

    async def request(self, request: Request[Any]) -> Any:
        request.encode(1, "test")  # the request must encode
        if request.api_key == ApiKey.FIND_COORDINATOR:
            self.broker.lookups += 1
            return [CoordinatorResult(None, self.broker.coordinator, "h", 1, 0, None)]
        self.broker.requests.append(self.node)
        self.broker.apis.append(request.api_key)
        answer = self.broker.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        body = struct.pack(">ih", 0, answer)
        if request.api_key == ApiKey.INIT_PRODUCER_ID:
            body += struct.pack(">qh", 7, self.broker.next_epoch)
        return request.decode(struct.pack(">ib", 1, 0) + body + b"\x00")


class FakeMetadata:
    def __init__(self, brokers: set[int]) -> None:
        self.brokers = brokers

    def broker(self, node: int) -> object | None:
        return node if node in self.brokers else None


class FakeBroker:
    """Answers FindCoordinator with `coordinator` and EndTxn with the scripted codes; the pool's
    metadata lists `known` brokers until refreshed, then every one in `live`."""

    def __init__(
        self,
        answers: list[int | Exception],
        coordinator: int = 1,
        known: set[int] | None = None,
        live: set[int] | None = None,
    ) -> None:
        self.answers = answers
        self.coordinator = coordinator
        self.lookups = 0
        self.refreshes = 0
        self.requests: list[int] = []
        # The API of each request, in order.
        self.apis: list[int] = []
        # The epoch InitProducerId answers.
        self.next_epoch = 1
        self.live = live if live is not None else {coordinator}
        self.metadata = FakeMetadata(known if known is not None else set(self.live))

    async def any_connection(self) -> FakeConnection:
        return FakeConnection(self, -1)

    async def refresh_metadata(self) -> None:
        self.refreshes += 1
        self.metadata.brokers = set(self.live)

    async def connection(self, node: int) -> FakeConnection:
        if self.metadata.broker(node) is None:
            raise KafkaConnectionError(f"broker {node} is not in the cluster metadata")
        return FakeConnection(self, node)


class FakeAccumulator:
    def __init__(self) -> None:
        self.producer_id = (-1, -1)

    def set_producer_id(self, producer_id: int, epoch: int) -> None:
        self.producer_id = (producer_id, epoch)

    def reset_sequences(self) -> None:
        pass


def manager(broker: FakeBroker, max_block_ms: int = 5_000) -> TransactionManager:
    config = ProducerConfig(
        bootstrap_servers="fake:9092",  # type: ignore[arg-type]
        transactional_id="t",
        retry_backoff_ms=1,
        retry_backoff_max_ms=2,
        max_block_ms=max_block_ms,
    )
    ids = TransactionalProducerIds(config.transaction_timeout_ms)
    return TransactionManager(
        config, cast(Any, broker), cast(Any, FakeAccumulator()), ids, lambda: None
    )


async def end_txn(txn: TransactionManager) -> int:
    identity = TxnIdentity("t", 7, 0)
    result = await txn._call(
        ApiKey.END_TXN,
        lambda version: end_txn_request(version, identity, commit=True),
        lambda r: r.error_code,
    )
    return result.error_code


async def test_retriable_answers_are_retried_and_moves_looked_up_again() -> None:
    broker = FakeBroker(
        [
            ErrorCode.CONCURRENT_TRANSACTIONS,
            ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
            ErrorCode.NOT_COORDINATOR,
            KafkaConnectionError("connection lost"),
            ErrorCode.NONE,
        ]
    )
    txn = manager(broker)
    assert await end_txn(txn) == ErrorCode.NONE
    assert len(broker.requests) == 5
    # Looked up at first, after NOT_COORDINATOR and after the lost connection only.
    assert broker.lookups == 3


async def test_fatal_answers_are_returned_at_once() -> None:
    broker = FakeBroker([ErrorCode.PRODUCER_FENCED, ErrorCode.NONE])
    assert await end_txn(manager(broker)) == ErrorCode.PRODUCER_FENCED
    assert len(broker.requests) == 1


async def test_retries_end_at_max_block_ms() -> None:
    broker = FakeBroker([ErrorCode.CONCURRENT_TRANSACTIONS] * 10_000)
    with anyio.fail_after(5):
        with pytest.raises(KafkaTimeoutError, match=r"max_block_ms=200.*ConcurrentTransactions"):
            await end_txn(manager(broker, max_block_ms=200))
    assert len(broker.requests) > 2


async def test_a_coordinator_missing_from_the_metadata_is_learned_by_a_refresh() -> None:
    # Broker 2 was down at the last metadata refresh and is back; another broker died and 2
    # is the coordinator now. Without a refresh, every attempt failed until max_block_ms.
    broker = FakeBroker([ErrorCode.NONE], coordinator=2, known={1, 3}, live={1, 2})
    with anyio.fail_after(5):
        assert await end_txn(manager(broker, max_block_ms=1_000)) == ErrorCode.NONE
    assert broker.requests == [2]
    assert broker.refreshes == 1


def in_transaction(broker: FakeBroker, max_block_ms: int) -> TransactionManager:
    """A manager with producer id 7, epoch 0, in a transaction the coordinator knows of."""
    txn = manager(broker, max_block_ms=max_block_ms)
    txn._ids.install(txn._acc, 7, 0)
    txn.state = TransactionState.READY
    txn.begin()
    txn._started_at_coordinator = True
    return txn


class Flush:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1


async def test_a_timed_out_commit_is_resumed_by_the_next_commit_and_nothing_else() -> None:
    broker = FakeBroker([KafkaConnectionError("coordinator unreachable")] * 10_000)
    txn = in_transaction(broker, max_block_ms=200)
    flush = Flush()
    with anyio.fail_after(5):
        with pytest.raises(KafkaTimeoutError, match=r"call commit_transaction\(\) again"):
            await txn.commit(flush)
    assert txn.state is TransactionState.COMMITTING
    with pytest.raises(IllegalStateError, match=r"previous commit_transaction\(\) timed out"):
        await txn.abort(lambda: None, flush)
    with pytest.raises(IllegalStateError, match="if it raised KafkaTimeoutError, call it again"):
        txn.begin()
    with pytest.raises(IllegalStateError, match="committing"):
        txn.check_send()

    broker.answers, broker.apis = [ErrorCode.NONE], []
    await txn.commit(flush)
    assert txn.state is TransactionState.READY
    assert flush.calls == 1  # flushed once, before the first EndTxn
    assert broker.apis == [ApiKey.END_TXN]


async def test_an_abort_whose_epoch_bump_timed_out_resumes_with_the_bump_alone() -> None:
    broker = FakeBroker([ErrorCode.NONE] + [KafkaConnectionError("unreachable")] * 10_000)
    txn = in_transaction(broker, max_block_ms=200)
    txn._ids.request_bump()  # a sequence was lost: abortable, bumped after EndTxn
    assert txn.state is TransactionState.ABORTABLE_ERROR
    with anyio.fail_after(5):
        with pytest.raises(KafkaTimeoutError, match=r"call abort_transaction\(\) again"):
            await txn.abort(lambda: None, Flush())
    assert broker.apis[0] == ApiKey.END_TXN
    assert set(broker.apis[1:]) == {ApiKey.INIT_PRODUCER_ID}
    assert txn.state is TransactionState.INITIALIZING

    # The EndTxn was answered: resumed, only the bump is sent, never a second EndTxn.
    broker.answers, broker.apis = [ErrorCode.NONE], []
    await txn.abort(lambda: None, Flush())
    assert broker.apis == [ApiKey.INIT_PRODUCER_ID]
    assert txn.state is TransactionState.READY
    assert (txn._ids.producer_id, txn._ids.epoch) == (7, 1)


async def test_a_cancelled_commit_is_resumed_by_the_next_commit() -> None:
    broker = FakeBroker([KafkaConnectionError("unreachable")] * 10_000)
    txn = in_transaction(broker, max_block_ms=60_000)
    with anyio.move_on_after(0.1):
        await txn.commit(Flush())
    assert txn.state is TransactionState.COMMITTING
    broker.answers = [ErrorCode.NONE]
    await txn.commit(Flush())
    assert txn.state is TransactionState.READY


async def test_a_fatal_answer_to_a_resumed_commit_is_final() -> None:
    broker = FakeBroker([KafkaConnectionError("unreachable")] * 10_000)
    txn = in_transaction(broker, max_block_ms=200)
    with pytest.raises(KafkaTimeoutError):
        await txn.commit(Flush())
    broker.answers = [ErrorCode.PRODUCER_FENCED]
    with pytest.raises(ProducerFencedError):
        await txn.commit(Flush())
    assert txn.state is TransactionState.FATAL_ERROR
    with pytest.raises(IllegalStateError, match="close this producer"):
        await txn.commit(Flush())
