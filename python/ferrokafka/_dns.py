"""Name resolution for broker connections (``client.dns.lookup``).

Both modes of the Java client try every address a broker's name resolves to, in the resolver's
order, until one connects (``use_all_dns_ips``, KIP-602). ``resolve_canonical_bootstrap_servers_
only`` changes only the bootstrap list: each bootstrap name is resolved, each of its addresses is
looked up in reverse to its canonical host name, and those names are what the client connects
to (and what TLS checks and SASL/Kerberos-style setups see), as Java's
``ClientUtils.parseAndValidateAddresses`` does. An address without a reverse entry stays as the
address itself, as Java's ``InetAddress.getCanonicalHostName`` returns it.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Protocol

import anyio


class _Address(Protocol):
    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


async def resolve(host: str, port: int) -> list[str]:
    """Every address of ``host``, in the resolver's order, without repeats. Raises `OSError`
    when the name does not resolve."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def canonical_names(servers: Sequence[_Address]) -> list[tuple[str, int]]:
    """The bootstrap servers as canonical ``(host, port)`` pairs, in order and without repeats;
    a name that does not resolve is kept as given, so the connect attempt reports why."""
    out: list[tuple[str, int]] = []
    for server in servers:
        try:
            addresses = await resolve(server.host, server.port)
        except OSError:
            addresses = []
        if not addresses:
            out.append((server.host, server.port))
            continue
        for address in addresses:
            out.append((await _canonical_name(address, server.port), server.port))
    return list(dict.fromkeys(out))


async def _canonical_name(address: str, port: int) -> str:
    try:
        name, _ = await anyio.getnameinfo((address, port), socket.NI_NAMEREQD)
    except OSError:
        return address
    return name
