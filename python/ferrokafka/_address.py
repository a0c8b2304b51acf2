"""Broker addresses: the one parser of ``bootstrap_servers``, for the producer's config and for
`describe_cluster` alike."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ferrokafka.errors import ConfigError

# An IPv6 address is bracketed, and may name its zone (``[fe80::1%eth0]``, ``[fe80::1%2]``): a
# link-local address means nothing without one, and getaddrinfo reads the ``%`` suffix. What is
# inside the brackets is checked by `ipaddress`, which knows zones too.
_ADDRESS = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9_+.-]*)://)?"
    r"(?:\[(?P<ipv6>[^\s\[\]/]+)\]|(?P<host>[^\s:/\[\]]+)):(?P<port>\d+)"
)
#: The prefixes that name a security protocol; any other (a listener name such as EXTERNAL://)
#: says nothing about it.
_PROTOCOLS = frozenset({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    """A name or an IP address; an IPv6 address without brackets, with its ``%zone`` if any."""
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_bootstrap_servers(
    servers: str | Sequence[str], security_protocol: str | None = None
) -> list[BrokerAddress]:
    """``"host1:9092,host2:9092"`` or a list of ``host:port`` (``[v6addr]:port``, or
    ``[v6addr%zone]:port`` for a link-local address) as addresses; empty entries are skipped.

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
    if match is None:
        bare_ipv6 = "[" not in entry and entry.split("://")[-1].count(":") > 1
        fix = (
            "put an IPv6 address in brackets, e.g. [::1]:9092"
            if bare_ipv6
            else "write it as host:port, e.g. localhost:9092 or [::1]:9092"
        )
        raise ConfigError(f"invalid bootstrap server {entry!r}: {fix}", option="bootstrap_servers")
    digits = match["port"]
    # More than five digits is out of range (and int() of thousands of digits would raise).
    port = int(digits) if len(digits) <= 5 else 0
    if not 0 < port < 65536:
        raise ConfigError(
            f"invalid bootstrap server {entry!r}: the port must be between 1 and 65535",
            option="bootstrap_servers",
        )
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            raise ConfigError(
                f"invalid bootstrap server {entry!r}: {match['ipv6']!r} is not an IPv6 address; "
                "brackets are for IPv6 only, e.g. [::1]:9092 or [fe80::1%eth0]:9092 (a host "
                "name or an IPv4 address goes without them)",
                option="bootstrap_servers",
            ) from None
    scheme = (match["scheme"] or "").upper()
    if security_protocol is not None and scheme in _PROTOCOLS and scheme != security_protocol:
        raise ConfigError(
            f"bootstrap server {entry!r} names {scheme} but security_protocol="
            f"{security_protocol!r}: set security_protocol={scheme!r}, or drop the prefix",
            option="bootstrap_servers",
        )
    return BrokerAddress(match["ipv6"] or match["host"], port)
