"""Helpers of the compatibility matrix: the producer options its tests share."""

from __future__ import annotations

from typing import Any

from ferrokafka.testing import BaseCluster


def options(cluster: BaseCluster, **overrides: Any) -> dict[str, Any]:
    """A test producer of `cluster`, with timeouts that keep a failure short."""
    return {
        "bootstrap_servers": cluster.bootstrap_servers,
        "max_block_ms": 20_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        **overrides,
    }
