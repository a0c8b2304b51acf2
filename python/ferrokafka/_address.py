"""Broker addresses: the one parser of ``bootstrap_servers``, for the producer's config and for
`describe_cluster` alike."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ferrokafka.errors import ConfigError

_ADDRESS = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.%]+)\]|(?P<host>[^\s:/\[\]]+)):(?P<port>\d{1,5})")


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    """A name or an IP address; an IPv6 address without brackets."""
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_bootstrap_servers(servers: str | Sequence[str]) -> list[BrokerAddress]:
    """``"host1:9092,host2:9092"`` or a list of ``host:port`` (``[v6addr]:port``) as addresses.

    A ``PLAINTEXT://``-style prefix is refused rather than ignored: the protocol is
    ``security_protocol``'s to choose, and an ignored ``SSL://`` would hide a plaintext
    connection."""
    entries = servers.split(",") if isinstance(servers, str) else list(servers)
    addresses = [parse_address(entry.strip()) for entry in entries if entry.strip()]
    if not addresses:
        raise ConfigError(
            "bootstrap_servers is required: give at least one broker as host:port, e.g. "
            "bootstrap_servers='localhost:9092'",
            option="bootstrap_servers",
        )
    return addresses


def parse_address(entry: str) -> BrokerAddress:
    match = _ADDRESS.fullmatch(entry)
    port = int(match["port"]) if match else 0
    if match is None or not 0 < port < 65536:
        hint = " without the scheme (security_protocol chooses it)" if "://" in entry else ""
        raise ConfigError(
            f"invalid bootstrap server {entry!r}: write it as host:port{hint}, e.g. "
            "localhost:9092 or [::1]:9092",
            option="bootstrap_servers",
        )
    return BrokerAddress(match["ipv6"] or match["host"], port)
