"""aiokafka's constructor arguments as ferrokafka options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ferrokafka.config import Partitioner
from ferrokafka.errors import ConfigError
from ferrokafka.producer import Producer

AIOKAFKA_ACKS = (0, 1, -1, "all")


def has_transactions() -> bool:
    """Whether this ferrokafka's producer has transactions (the methods then call them)."""
    return hasattr(Producer, "begin_transaction")


def with_default_port(servers: str | Sequence[str]) -> list[str]:
    """aiokafka takes "host" for "host:9092"."""
    entries = servers.split(",") if isinstance(servers, str) else list(servers)
    out = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        has_port = (
            entry.rsplit("]", 1)[-1].count(":") == 1 if entry.startswith("[") else ":" in entry
        )
        out.append(entry if has_port else f"{entry}:9092")
    return out


def acks_option(acks: Any, idempotent: bool) -> int | str:
    # aiokafka's "not given" is a private sentinel object (frameworks pass it through).
    if acks is None or type(acks) is object:
        return "all" if idempotent else 1
    if acks not in AIOKAFKA_ACKS:
        raise ConfigError(f"acks={acks!r}: give 0, 1, 'all' or -1", option="acks")
    if idempotent and acks not in ("all", -1):
        raise ConfigError(
            f"acks={acks!r} not supported with enable_idempotence=True: use acks='all'",
            option="acks",
        )
    return "all" if acks == -1 else acks


def compression_option(compression_type: str | None) -> str:
    if compression_type is None:
        return "none"
    if compression_type not in ("gzip", "snappy", "lz4", "zstd"):
        raise ConfigError(
            f"compression_type={compression_type!r}: give 'gzip', 'snappy', 'lz4', 'zstd' or None",
            option="compression_type",
        )
    return compression_type


def partitioner_option(partitioner: Any) -> Partitioner | None:
    """aiokafka's ``partitioner(key_bytes, all_partitions, available_partitions)`` as
    ferrokafka's; None for aiokafka's default, which ferrokafka's built-in one replaces."""
    if partitioner is None:
        return None
    kind = type(partitioner)
    if kind.__name__ == "DefaultPartitioner" and kind.__module__.startswith("aiokafka"):
        return None
    if not callable(partitioner):
        raise ConfigError(
            f"partitioner={partitioner!r} is not callable: give "
            "partitioner(key_bytes, all_partitions, available_partitions) -> int",
            option="partitioner",
        )

    def adapted(topic: str, key: Any, key_bytes: bytes | None, value: Any, count: int) -> int:
        partitions = list(range(count))
        # ferrokafka does not tell which partitions have a leader: all are offered.
        return int(partitioner(key_bytes, partitions, partitions))

    return adapted


def sasl_options(
    mechanism: str, username: str | None, password: str | None, token_provider: Any
) -> dict[str, Any]:
    if mechanism == "GSSAPI":
        raise ConfigError(
            "sasl_mechanism='GSSAPI' (Kerberos) is not supported by ferrokafka: use PLAIN, "
            "SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
            option="sasl_mechanism",
        )
    options: dict[str, Any] = {"sasl_mechanism": mechanism}
    if username is not None:
        options["sasl_username"] = username
    if password is not None:
        options["sasl_password"] = password
    if token_provider is not None:
        # aiokafka's AbstractTokenProvider has `async def token()`; ferrokafka takes a callable.
        token: Callable[[], str | Awaitable[str]] = getattr(token_provider, "token", token_provider)
        options["sasl_oauth_token_provider"] = token
    return options
