"""The producer settings that docs/tuning.md recommends are valid as written: each code block
that builds a Producer there builds a ProducerConfig without error, and keeps the properties
the page claims for it."""

from __future__ import annotations

import re

from docs_pages import DOCS

from ferrokafka import ProducerConfig

PAGE = (DOCS / "tuning.md").read_text()
BLOCKS = [b for b in re.findall(r"```python\n(.*?)```", PAGE, re.DOTALL) if "Producer(" in b]


def config_of(block: str) -> ProducerConfig:
    built: dict[str, ProducerConfig] = {}
    code = block.replace("producer = Producer(", "built['config'] = ProducerConfig(")
    exec(code, {"ProducerConfig": ProducerConfig, "servers": "broker:9092", "built": built})
    return built["config"]


def test_three_profiles_are_shown() -> None:
    assert len(BLOCKS) == 3


def test_the_payments_profile_is_durable_and_bounded() -> None:
    config = config_of(next(b for b in BLOCKS if "payments-api" in b))
    assert config.acks == -1
    assert config.enable_idempotence
    assert config.linger_ms == 0
    assert config.delivery_timeout_ms == 15_000


def test_the_clicks_profile_trades_durability_for_throughput() -> None:
    config = config_of(next(b for b in BLOCKS if "clickstream" in b))
    assert config.acks == 1
    assert not config.enable_idempotence  # turned off by acks=1, as the page says
    assert config.compression_type == "lz4"


def test_the_etl_profile_keeps_idempotence_with_large_batches() -> None:
    config = config_of(next(b for b in BLOCKS if "nightly-load" in b))
    assert config.acks == -1
    assert config.enable_idempotence
    assert config.batch_size <= config.max_request_size
    assert config.compression_type == "zstd"
