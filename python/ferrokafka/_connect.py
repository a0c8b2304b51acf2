"""Opening a connection to a broker: the socket (and its TLS handshake), its options, the
ApiVersions negotiation and SASL authentication, all within one connect timeout; and
`connect_any`, the first of several servers that answers (every DNS address of each).

What a connection does once open is `_connection.BrokerConnection`'s job.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from ferrokafka import _dns
from ferrokafka._address import BrokerAddress
from ferrokafka._connection import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_REQUEST_TIMEOUT,
    BrokerConnection,
    NoResponseError,
)
from ferrokafka._error_codes import ErrorCode
from ferrokafka._requests import SUPPORTED_VERSIONS, ApiKey, api_versions_request
from ferrokafka._tls import handshake_error
from ferrokafka._wire import open_wire
from ferrokafka.errors import KafkaConnectionError

if TYPE_CHECKING:
    from ferrokafka._sasl.authenticator import SaslAuthenticator


async def connect(
    host: str,
    port: int,
    *,
    address: str | None = None,
    node_id: int | None = None,
    client_id: str | None = "ferrokafka",
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ssl_context: ssl.SSLContext | None = None,
    send_buffer_bytes: int | None = None,
    receive_buffer_bytes: int | None = None,
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    authenticator: SaslAuthenticator | None = None,
) -> BrokerConnection:
    """Connects to ``host:port`` (at the resolved ``address`` if given; TLS still checks
    ``host``), negotiates API versions and, with an ``authenticator``, authenticates, all
    within ``connect_timeout`` seconds."""
    target = address or host
    where = f"{BrokerAddress(host, port)}" + (f" ({target})" if target != host else "")
    deadline = anyio.current_time() + connect_timeout
    with anyio.move_on_after(connect_timeout) as scope:
        try:
            wire = await open_wire(host, target, port, ssl_context)
        except ssl.SSLError as exc:
            # Not retried: the same certificates fail the same way next time.
            raise handshake_error(where, exc) from exc
        except OSError as exc:
            reason = _os_error_reason(exc)
            raise KafkaConnectionError(f"could not connect to {where}: {reason}") from exc
    if scope.cancelled_caught:
        raise KafkaConnectionError(
            f"could not connect to {where}: no answer within {connect_timeout:g} s"
        )
    _tune_socket(wire.raw_socket(), send_buffer_bytes, receive_buffer_bytes)
    conn = BrokerConnection(
        wire,
        host=host,
        port=port,
        address=target,
        node_id=node_id,
        client_id=client_id,
        request_timeout=request_timeout,
        max_in_flight=max_in_flight,
        max_response_size=max_response_size,
    )
    try:
        remaining = max(deadline - anyio.current_time(), 0.001)
        await _negotiate_versions(conn, remaining, connect_timeout)
        if authenticator is not None:
            remaining = max(deadline - anyio.current_time(), 0.001)
            await conn.authenticate(authenticator, remaining)
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            await conn.close()
        # With TLS 1.3 the broker checks the client's certificate after the client's side
        # of the handshake is done: its refusal ends the connection at the first read.
        refusal = conn.error.__cause__ if conn.error is not None else None
        if isinstance(exc, KafkaConnectionError) and isinstance(refusal, ssl.SSLError):
            raise handshake_error(where, refusal) from refusal
        raise
    conn.log.debug("connected to %s", conn)
    return conn


async def _negotiate_versions(
    conn: BrokerConnection, remaining_s: float, connect_timeout: float
) -> None:
    version = SUPPORTED_VERSIONS[ApiKey.API_VERSIONS].max_version
    for _ in range(2):
        try:
            result = await conn.request(api_versions_request(version), request_timeout=remaining_s)
        except NoResponseError as exc:
            raise NoResponseError(
                f"{conn} accepted the connection but did not answer ApiVersions within the "
                f"connect timeout ({connect_timeout:g} s): is it a Kafka broker, and is "
                "plaintext vs TLS right?"
            ) from exc
        if result.error_code == ErrorCode.UNSUPPORTED_VERSION and version > 0:
            # The broker answered in v0 with the ApiVersions range it does support.
            theirs = result.api_versions.get(ApiKey.API_VERSIONS)
            version = min(version - 1, 0 if theirs is None else theirs.max_version)
            continue
        if result.error_code != ErrorCode.NONE:
            raise KafkaConnectionError(
                f"{conn} answered ApiVersions with error code {result.error_code}"
            )
        conn.api_versions = result.api_versions
        conn.finalized_features = result.finalized_features
        return
    raise KafkaConnectionError(f"{conn} rejected every ApiVersions version")


def _os_error_reason(exc: BaseException) -> str:
    """The useful part of a connect error: anyio wraps the real ones ("Connection refused")
    in a generic "All connection attempts failed"."""
    cause = exc.__cause__
    if isinstance(cause, BaseExceptionGroup):
        return "; ".join(dict.fromkeys(_os_error_reason(e) for e in cause.exceptions))
    if isinstance(cause, OSError):
        return _os_error_reason(cause)
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno > 0:
        # asyncio's message is "Connect call failed (address)"; the errno says why.
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__


def _tune_socket(
    sock: socket.socket | None, send_buffer_bytes: int | None, receive_buffer_bytes: int | None
) -> None:
    if sock is None:
        return
    # Requests are written whole; Nagle would only delay the last segment of each.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if send_buffer_bytes is not None and send_buffer_bytes > 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer_bytes)
    if receive_buffer_bytes is not None and receive_buffer_bytes > 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)


async def connect_any(
    servers: Sequence[BrokerAddress],
    *,
    node_id: int | None = None,
    client_id: str | None = "ferrokafka",
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ssl_context: ssl.SSLContext | None = None,
    authenticator: SaslAuthenticator | None = None,
    send_buffer_bytes: int | None = None,
    receive_buffer_bytes: int | None = None,
) -> BrokerConnection:
    """Connects to the first server that answers, trying every DNS address of each in turn
    (``client.dns.lookup=use_all_dns_ips``). The error lists every attempt. ``node_id`` names
    the broker when the servers are one known broker's addresses."""
    failures: list[str] = []
    for server in servers:
        try:
            addresses = await _dns.resolve(server.host, server.port)
        except OSError as exc:
            failures.append(f"{server}: cannot resolve the host name ({exc})")
            continue
        for address in addresses:
            try:
                return await connect(
                    server.host,
                    server.port,
                    address=address,
                    node_id=node_id,
                    client_id=client_id,
                    connect_timeout=connect_timeout,
                    request_timeout=request_timeout,
                    max_in_flight=max_in_flight,
                    ssl_context=ssl_context,
                    authenticator=authenticator,
                    send_buffer_bytes=send_buffer_bytes,
                    receive_buffer_bytes=receive_buffer_bytes,
                )
            except KafkaConnectionError as exc:
                # An `AuthenticationError` is none and ends the loop: the next address would
                # refuse the same credentials or certificate.
                failures.append(str(exc))
    raise KafkaConnectionError("could not connect to any bootstrap server: " + "; ".join(failures))
