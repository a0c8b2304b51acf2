"""Broker addresses: the one parser of ``bootstrap_servers``, for the producer's config and for
`describe_cluster` alike."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ferrokafka.errors import ConfigError

_ADDRESS = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9_+.-]*)://)?"
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.%]+)\]|(?P<host>[^\s:/\[\]]+)):(?P<port>\d{1,5})"
)
#: The prefixes that name a security protocol; any other (a listener name such as EXTERNAL://)
#: says nothing about it.
_PROTOCOLS = frozenset({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    """A name or an IP address; an IPv6 address without brackets."""
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_bootstrap_servers(
    servers: str | Sequence[str], security_protocol: str | None = None
) -> list[BrokerAddress]:
    """``"host1:9092,host2:9092"`` or a list of ``host:port`` (``[v6addr]:port``) as addresses.

    A ``PLAINTEXT://``-style prefix is accepted, as the Java client accepts it (addresses are
    often copied from a broker's ``listeners``), but never chooses the protocol:
    ``security_protocol`` does. Given ``security_protocol``, a prefix naming another protocol
    is refused, since following either one silently could hide a plaintext connection."""
    entries = servers.split(",") if isinstance(servers, str) else list(servers)
    addresses = [
        parse_address(entry.strip(), security_protocol) for entry in entries if entry.strip()
    ]
    if not addresses:
        raise ConfigError(
            "bootstrap_servers is required: give at least one broker as host:port, e.g. "
            "bootstrap_servers='localhost:9092'",
            option="bootstrap_servers",
        )
    return addresses


def parse_address(entry: str, security_protocol: str | None = None) -> BrokerAddress:
    match = _ADDRESS.fullmatch(entry)
    port = int(match["port"]) if match else 0
    if match is None or not 0 < port < 65536:
        raise ConfigError(
            f"invalid bootstrap server {entry!r}: write it as host:port, e.g. "
            "localhost:9092 or [::1]:9092",
            option="bootstrap_servers",
        )
    scheme = (match["scheme"] or "").upper()
    if security_protocol is not None and scheme in _PROTOCOLS and scheme != security_protocol:
        raise ConfigError(
            f"bootstrap server {entry!r} names {scheme} but security_protocol="
            f"{security_protocol!r}: set security_protocol={scheme!r}, or drop the prefix",
            option="bootstrap_servers",
        )
    return BrokerAddress(match["ipv6"] or match["host"], port)
