"""The quickstart the docs site shows runs as written against a real broker, and what it
produced is read back by an independent consumer."""

from __future__ import annotations

import runpy

import anyio
import pytest
from docs_pages import SNIPPETS

from ferrokafka.testing import BaseCluster
from ferrokafka.testing.pytest_plugin import TopicFactory


def test_quickstart_runs_and_its_records_arrive(
    kafka: BaseCluster, topic: TopicFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    orders, clicks = topic(partitions=3), topic(partitions=2)
    quickstart = runpy.run_path(str(SNIPPETS / "quickstart.py"))  # not as __main__
    anyio.run(quickstart["main"], kafka.bootstrap_servers, orders, clicks)
    first, second = capsys.readouterr().out.splitlines()
    partition, offset = map(int, first.split())
    [order] = kafka.consume(orders, 1)
    assert (order.partition, order.offset) == (partition, offset)
    assert (order.key, order.value) == (b"order-17", b"payload")
    assert order.headers == [("trace-id", b"abc")]
    assert second.split()[2] == "3"  # await bulk: all three delivered
    assert sorted(r.value or b"" for r in kafka.consume(clicks, 4)) == [b"...", b"a", b"b", b"c"]
