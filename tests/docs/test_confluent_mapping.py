"""docs/migration/confluent-kafka.md is checked against confluent-kafka's actual API: every
librdkafka option it names exists in confluent-kafka, every ferrokafka option in
ProducerConfig, every method in confluent_kafka.Producer; "same name" rows are accepted by
`Producer.from_config`. The partitioner it offers places keys where confluent-kafka's default
partitioner does, on a real broker."""

from __future__ import annotations

import dataclasses
import runpy
import uuid

import anyio
import confluent_kafka
import confluent_kafka.aio
import pytest
from docs_pages import DOCS, SNIPPETS, code_names, table_rows

from ferrokafka import ConfigError, Producer, ProducerConfig
from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

PAGE = (DOCS / "migration" / "confluent-kafka.md").read_text()
OPTION_ROWS = table_rows(PAGE, "| confluent-kafka (librdkafka) | ferrokafka |")
CALL_ROWS = table_rows(PAGE, "| confluent-kafka | ferrokafka | notes |")
FIELDS = {f.name for f in dataclasses.fields(ProducerConfig)}


def librdkafka_knows(name: str) -> bool:
    """Whether librdkafka has a configuration property ``name`` (its value may be refused:
    only the name is in question)."""
    try:
        producer = confluent_kafka.Producer({"bootstrap.servers": "127.0.0.1:1", name: "1"})
    except confluent_kafka.KafkaException as exc:
        return "No such configuration property" not in str(exc)
    except (ValueError, TypeError):
        return True
    del producer
    return True


def test_the_option_table_is_there() -> None:
    assert len(OPTION_ROWS) >= 35
    assert len(CALL_ROWS) >= 10


@pytest.mark.parametrize("row", OPTION_ROWS, ids=lambda row: code_names(row[0])[0])
def test_each_option_row_names_real_options(row: list[str]) -> None:
    librdkafka, ours, same = code_names(row[0]), code_names(row[1]), row[2]
    for name in librdkafka:
        assert librdkafka_knows(name), f"confluent-kafka has no option {name!r}"
    for name in ours:
        assert name in FIELDS, f"ProducerConfig has no option {name!r}"
    assert same in ("yes", "no")
    if same == "yes":
        # The value "1" may be refused; the name must not be.
        refused = ""
        try:
            ProducerConfig.from_config({"bootstrap.servers": "b:9092", librdkafka[0]: "1"})
        except ConfigError as exc:
            refused = str(exc)
        assert "unknown option" not in refused, refused


def test_the_probe_tells_unknown_options() -> None:
    assert librdkafka_knows("linger.ms")
    assert not librdkafka_knows("linger.msec")


def test_each_call_row_names_real_methods() -> None:
    confluent_calls = " ".join(row[0] for row in CALL_ROWS)
    ours = " ".join(row[1] for row in CALL_ROWS)
    for method in ("produce", "produce_batch", "poll", "flush", "list_topics", "purge",
                   "close", "init_transactions", "begin_transaction"):  # fmt: skip
        assert f"{method}(" in confluent_calls
        assert callable(getattr(confluent_kafka.Producer, method)), method
    assert callable(confluent_kafka.Producer.__len__)
    assert callable(confluent_kafka.aio.AIOProducer.produce)
    for method in ("send_nowait", "send", "send_many", "flush", "partitions_for", "close",
                   "metrics", "from_config"):  # fmt: skip
        assert f"{method}(" in ours
        assert callable(getattr(Producer, method)), method


def test_a_typical_confluent_config_works_as_it_is() -> None:
    conf = {"bootstrap.servers": "broker:9092", "client.id": "orders", "linger.ms": "10",
            "compression.type": "lz4", "acks": "all"}  # fmt: skip
    config = ProducerConfig.from_config(conf)
    assert (config.linger_ms, config.compression_type, config.acks) == (10, "lz4", -1)


def test_the_partitioner_places_keys_as_confluent_kafka_does(
    kafka: BaseCluster, topic: TopicFactory
) -> None:
    name = topic(partitions=7)
    keys = [f"key-{i}-{uuid.uuid4().hex[:6]}".encode() for i in range(200)]
    where_confluent: dict[bytes, int] = {}

    def report(err: object, msg: confluent_kafka.Message) -> None:
        assert err is None, err
        where_confluent[msg.key()] = msg.partition()

    # confluent-kafka's defaults: its partitioner is consistent_random.
    theirs = confluent_kafka.Producer({"bootstrap.servers": kafka.bootstrap_servers})
    for key in keys:
        theirs.produce(name, b"confluent", key, on_delivery=report)
    assert theirs.flush(30) == 0
    del theirs  # its threads stop with it

    partitioner = runpy.run_path(str(SNIPPETS / "librdkafka_partitioner.py"))[
        "librdkafka_consistent_random"
    ]

    async def ours() -> dict[bytes, int]:
        async with Producer(
            bootstrap_servers=kafka.bootstrap_servers, partitioner=partitioner
        ) as producer:
            metas = [await producer.send(name, b"ferrokafka", key) for key in keys]
            unkeyed = await producer.send(name, b"no key")
            assert 0 <= unkeyed.partition < 7
        return {key: meta.partition for key, meta in zip(keys, metas, strict=True)}

    assert anyio.run(ours) == where_confluent
    assert len(set(where_confluent.values())) > 1
