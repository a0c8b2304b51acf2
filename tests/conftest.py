"""Test-suite setup shared by every test directory.

The real-Kafka fixtures (`kafka`, `kafka3`, `topic`) come from `ferrokafka.testing.pytest_plugin`.
An installed ferrokafka (`maturin develop`, `pip install`) registers that plugin through its
`pytest11` entry point; a source tree used through PYTHONPATH has no entry point, so the plugin
is registered here instead, unless it was disabled with `-p no:ferrokafka`.
"""

from __future__ import annotations

import pytest

_PLUGIN = "ferrokafka.testing.pytest_plugin"


def pytest_configure(config: pytest.Config) -> None:
    manager = config.pluginmanager
    if manager.has_plugin("ferrokafka") or manager.has_plugin(_PLUGIN):
        return
    if manager.is_blocked("ferrokafka"):
        return
    manager.import_plugin(_PLUGIN)
