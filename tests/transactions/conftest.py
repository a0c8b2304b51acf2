"""Fixtures of the transaction tests."""

from __future__ import annotations

import pytest

from ferrokafka.testing import BaseCluster


@pytest.fixture(params=["v1", "auto"])
def txn_protocol(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, kafka: BaseCluster
) -> bool:
    """Runs a test with the transactions v1 protocol forced, and with the protocol the broker
    offers (v2 on Kafka 4.x, KIP-890). Returns whether v2 is expected."""
    if request.param == "v1":
        monkeypatch.setattr(
            "ferrokafka._transactions.manager.transactions_v2_available", lambda conn: False
        )
        return False
    return kafka.distribution.major >= 4
