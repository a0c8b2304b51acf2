"""A commit whose EndTxn cannot finish within max_block_ms because the transaction coordinator
cannot be reached, against a real one-node Kafka behind a `FaultProxy`: the commit raises
`KafkaTimeoutError`, the transaction stays committing, and calling `commit_transaction()` again
resumes it. Either the first EndTxn never reaches the coordinator (every connection is reset
and refused before the commit), or it reaches it and is applied and only its answer is lost
(the proxy resets the connection when it comes, then refuses every new one): then the retry is
a second EndTxn for a transaction the coordinator already ended, which Kafka answers as the
retry it is. Either way the records are read back exactly once by a read_committed consumer
(librdkafka), and the producer goes on with its next transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import anyio
import pytest
from fault_proxy import Action, FaultProxy, Rule

from ferrokafka import IllegalStateError, Producer
from ferrokafka.errors import KafkaTimeoutError
from ferrokafka.testing import KafkaCluster

END_TXN = 26
MAX_BLOCK_MS = 3000


@pytest.fixture(scope="module")
def proxied_single(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[KafkaCluster, FaultProxy]]:
    """One Kafka node whose EXTERNAL listener is reached through a proxy: cutting the proxy
    cuts the client from its only broker, the transaction coordinator."""
    proxy = FaultProxy(name="node-1")
    cluster = KafkaCluster(
        1,
        workdir=tmp_path_factory.mktemp("kafka-commit-retry", numbered=True),
        external_advertised_ports=[proxy.port],
    )
    try:
        cluster.start()
        (node,) = cluster.nodes
        assert node.external_port is not None
        proxy.upstream = ("127.0.0.1", node.external_port)
        yield cluster, proxy
    finally:
        cluster.stop()
        proxy.close()


@pytest.mark.parametrize("fault", ["unreachable", "answer_lost"])
@pytest.mark.parametrize("protocol", ["v1", "auto"])
async def test_a_timed_out_commit_is_resumed_by_calling_it_again(
    proxied_single: tuple[KafkaCluster, FaultProxy],
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
    fault: str,
) -> None:
    cluster, proxy = proxied_single
    if protocol == "v1":
        monkeypatch.setattr(
            "ferrokafka._transactions.manager.transactions_v2_available", lambda conn: False
        )
    topic = cluster.create_topic(f"commit-retry-{uuid.uuid4().hex[:8]}", 2, 1)
    producer = Producer(
        bootstrap_servers=cluster.external_bootstrap_servers,
        transactional_id=f"commit-retry-{uuid.uuid4().hex[:8]}",
        max_block_ms=MAX_BLOCK_MS,
        request_timeout_ms=2000,
        delivery_timeout_ms=30_000,
        retry_backoff_ms=50,
        reconnect_backoff_ms=50,
    )
    try:
        await producer.start()
        txn = producer._transactions
        assert txn is not None
        producer.begin_transaction()
        for i in range(20):
            producer.send_nowait(topic, b"first-%02d" % i, partition=i % 2)
        await producer.flush()

        if fault == "answer_lost":
            # The EndTxn goes out and is applied; its answer is lost, and the coordinator
            # cannot be reached again until accept().
            lost_answer = proxy.add_rule(Rule(Action.RESET_AFTER_REQUEST, api_key=END_TXN))
            proxy.refuse(reset=False)
        else:
            proxy.refuse()
        with anyio.fail_after(MAX_BLOCK_MS / 1000 + 10):
            with pytest.raises(KafkaTimeoutError, match=r"call commit_transaction\(\) again"):
                await producer.commit_transaction()
        if fault == "answer_lost":
            assert lost_answer.fired == 1
        assert txn.state.name == "COMMITTING"
        with pytest.raises(IllegalStateError, match=r"commit_transaction\(\) timed out"):
            await producer.abort_transaction()
        with pytest.raises(IllegalStateError, match="raised KafkaTimeoutError, call it again"):
            producer.begin_transaction()
        with pytest.raises(IllegalStateError, match="committing"):
            producer.send_nowait(topic, b"refused")

        proxy.accept()
        with anyio.fail_after(30):
            await producer.commit_transaction()
        assert txn.state.name == "READY"

        # The same producer goes on: its epoch is the coordinator's (v2 bumps it at each end).
        async with producer.transaction():
            await producer.send(topic, b"second", partition=0)
    finally:
        proxy.clear_faults()
        proxy.accept()
        await producer.close()

    records = cluster.consume(topic, isolation_level="read_committed")
    values = sorted(r.value for r in records if r.value is not None)
    assert values == sorted([b"first-%02d" % i for i in range(20)] + [b"second"])
