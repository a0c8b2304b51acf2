"""`ferrokafka.sync.Producer`'s transactions against a real Kafka: what was committed is read
back by librdkafka with isolation.level=read_committed, what was aborted is not (and is in the
log: read_uncommitted finds it)."""

from __future__ import annotations

import runpy
import threading
import uuid
from pathlib import Path

import pytest
from test_transactions import committed_offsets, options, values

from ferrokafka.errors import IllegalStateError, KafkaError
from ferrokafka.sync import Producer
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

SNIPPET = Path(__file__).parents[1] / "docs" / "snippets" / "sync_transaction.py"
THREADS = 4
PER_THREAD = 50


def send_from_threads(producer: Producer, topic: str, tag: str) -> list[bytes]:
    """Sends PER_THREAD records from each of THREADS threads; returns them once all are
    queued (not necessarily delivered: the commit or abort decides)."""
    sent: list[list[bytes]] = [[] for _ in range(THREADS)]

    def work(thread: int) -> None:
        for i in range(PER_THREAD):
            value = f"{tag}-{thread}-{i}".encode()
            producer.send(topic, value, key=str(thread).encode())
            sent[thread].append(value)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return [value for values_ in sent for value in values_]


def test_committed_visible_aborted_invisible_with_sends_from_several_threads(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=3)
    with Producer(**options(kafka, linger_ms=5)) as producer:
        # Not one record was awaited: the commit itself sends them, as the async one does.
        producer.begin_transaction()
        committed = send_from_threads(producer, name, "committed")
        producer.commit_transaction()

        producer.begin_transaction()
        aborted = send_from_threads(producer, name, "aborted")
        producer.abort_transaction()

        with producer.transaction():
            committed += send_from_threads(producer, name, "in-block")

        def fails_inside() -> None:
            with producer.transaction():
                producer.send(name, b"aborted-by-exception").result(timeout=30)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fails_inside()

        # After an abort, the producer goes on with the next transaction.
        with producer.transaction():
            producer.send(name, b"last")
        committed.append(b"last")

    assert sorted(values(kafka, name)) == sorted(committed)
    uncommitted = values(kafka, name, "read_uncommitted")
    assert b"aborted-by-exception" in uncommitted
    # Aborted records that were sent are in the log, hidden; none of them is visible.
    assert not set(aborted) & set(values(kafka, name))


def test_offsets_commit_with_the_transaction(kafka: BaseCluster, topic: TopicFactory) -> None:
    source, sink = topic(partitions=2), topic(partitions=1)
    group = f"sync-txn-group-{uuid.uuid4().hex[:8]}"
    with Producer(**options(kafka)) as producer:
        with producer.transaction():
            producer.send(sink, b"out-1")
            producer.send_offsets_to_transaction({(source, 0): 42, (source, 1): 7}, group)
        assert committed_offsets(kafka, group, source, 2) == [42, 7]

        producer.begin_transaction()
        producer.send(sink, b"out-aborted")
        producer.send_offsets_to_transaction({(source, 0): 99}, group)
        producer.abort_transaction()
        assert committed_offsets(kafka, group, source, 2) == [42, 7]
    assert values(kafka, sink) == [b"out-1"]


def test_transaction_errors_are_the_async_producers(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=1)
    plain = Producer(bootstrap_servers=kafka.bootstrap_servers)
    with plain, pytest.raises(IllegalStateError, match="no transactional_id"):
        plain.begin_transaction()
    with Producer(**options(kafka)) as producer:
        with pytest.raises(IllegalStateError):
            producer.commit_transaction()  # no transaction begun
        # Outside a transaction, a transactional producer's record fails.
        with pytest.raises(KafkaError):
            producer.send(name, b"outside").result(timeout=30)


def test_the_docs_example_runs(kafka: BaseCluster, topic: TopicFactory) -> None:
    name = topic(partitions=1)
    runpy.run_path(str(SNIPPET))["main"](kafka.bootstrap_servers, name)
    # The aborted record may not even have been sent (abort fails what is unsent).
    assert values(kafka, name) == [b"debit", b"credit"]
