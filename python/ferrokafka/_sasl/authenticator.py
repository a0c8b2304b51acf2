"""Authenticating a connection: SaslHandshake, then SaslAuthenticate until the mechanism is done.

`SaslAuthenticator.authenticate` runs on a connection that has negotiated its API versions and
carries nothing else: at connect time, and again for KIP-368 re-authentication once the
connection has stopped submitting and its in-flight requests are answered (the connection does
that; see `BrokerConnection.submit`). Kafka 4 has only SaslHandshake v1, where each SASL message
travels in a SaslAuthenticate request; v1+ of that answers with the session lifetime, from which
the re-authentication time is drawn as the Java client does: 85% of it plus up to 10% jitter,
so the connections of many clients do not renew at the same moment.

Failures raise `SaslAuthenticationFailedError` (wrong credentials, token rejected),
`UnsupportedSaslMechanismError` (naming the mechanisms the broker enables) or `OAuthTokenError`;
all are `AuthenticationError`, which the producer treats as fatal rather than retrying.
Their messages and the log lines never carry a password or a token (`redact`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ferrokafka._logging import SASL, client_log
from ferrokafka._requests import ApiKey, sasl_authenticate_request, sasl_handshake_request
from ferrokafka._sasl.mechanisms import OAuthBearerExchange, SaslExchange, SaslMechanism
from ferrokafka.errors import (
    AuthenticationError,
    IllegalSaslStateError,
    SaslAuthenticationFailedError,
    UnsupportedSaslMechanismError,
    UnsupportedVersionError,
    error_for_code,
)

if TYPE_CHECKING:
    from ferrokafka._connection import BrokerConnection


# Kafka 4 removed SaslHandshake v0 (raw SASL frames, KIP-896); v1 is the only other version.
HANDSHAKE_VERSION: Final = 1
UNSUPPORTED_SASL_MECHANISM: Final = 33
ILLEGAL_SASL_STATE: Final = 34
SASL_AUTHENTICATION_FAILED: Final = 58
#: Java's SaslClientAuthenticator: re-authenticate at 85% of the session plus 0-10% jitter.
REAUTH_WINDOW_FACTOR: Final = 0.85
REAUTH_WINDOW_JITTER: Final = 0.10
# A broken mechanism or broker cannot keep the exchange going forever.
_MAX_ROUNDS: Final = 8


@dataclass(slots=True)
class AuthenticationCounts:
    """Counters behind the ``*-authentication-total`` metrics (Java's names)."""

    successful: int = 0
    successful_reauthentication: int = 0
    failed: int = 0
    failed_reauthentication: int = 0


class SaslAuthenticator:
    """Authenticates connections with one mechanism; shared by every connection of a producer
    (`counts` sums over them)."""

    def __init__(
        self,
        mechanism: SaslMechanism,
        *,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.mechanism = mechanism
        self._rng = rng
        self.counts = AuthenticationCounts()

    def __repr__(self) -> str:
        return f"<SaslAuthenticator {self.mechanism.name}>"

    async def authenticate(
        self, conn: BrokerConnection, timeout_s: float, *, reauthenticating: bool = False
    ) -> float | None:
        """Authenticates ``conn``; returns the `time.monotonic()` at which its session should
        be renewed, or None if the broker sets no session lifetime."""
        started = time.monotonic()
        try:
            lifetime_ms = await self._exchange(conn, timeout_s)
        except AuthenticationError:
            if reauthenticating:
                self.counts.failed_reauthentication += 1
            else:
                self.counts.failed += 1
            raise
        if reauthenticating:
            self.counts.successful_reauthentication += 1
        else:
            self.counts.successful += 1
        renew_at = self.renewal_time(started, lifetime_ms)
        client_log(SASL, conn.client_id).debug(
            "%s with %s as SASL/%s (session %s)",
            "re-authenticated" if reauthenticating else "authenticated",
            conn,
            self.mechanism.name,
            f"{lifetime_ms} ms" if lifetime_ms else "without expiry",
        )
        return renew_at

    def renewal_time(self, started: float, lifetime_ms: int) -> float | None:
        """When to re-authenticate a session of ``lifetime_ms`` that began at ``started``."""
        if lifetime_ms <= 0:
            return None
        factor = REAUTH_WINDOW_FACTOR + self._rng() * REAUTH_WINDOW_JITTER
        return started + lifetime_ms * factor / 1000

    async def _exchange(self, conn: BrokerConnection, timeout_s: float) -> int:
        name = self.mechanism.name
        try:
            conn.api_version(ApiKey.SASL_HANDSHAKE, HANDSHAKE_VERSION, HANDSHAKE_VERSION)
            auth_version = conn.api_version(ApiKey.SASL_AUTHENTICATE)
        except UnsupportedVersionError as exc:
            raise SaslAuthenticationFailedError(
                f"SASL/{name} with {conn} is impossible: {exc} (is the listener SASL at all?)"
            ) from None
        handshake = await conn.request(
            sasl_handshake_request(HANDSHAKE_VERSION, name),
            request_timeout=timeout_s,
            authenticating=True,
        )
        if handshake.error_code == UNSUPPORTED_SASL_MECHANISM:
            enabled = ", ".join(handshake.mechanisms) or "none"
            raise UnsupportedSaslMechanismError(
                f"{conn} does not enable SASL mechanism {name}; its listener enables: {enabled}"
            )
        if handshake.error_code:
            raise _auth_error(handshake.error_code, f"SaslHandshake with {conn} failed")
        exchange = await self.mechanism.begin()
        message: bytes | None = exchange.first_message()
        lifetime_ms = 0
        for _ in range(_MAX_ROUNDS):
            if message is None:
                return lifetime_ms
            result = await conn.request(
                sasl_authenticate_request(auth_version, message),
                request_timeout=timeout_s,
                authenticating=True,
            )
            if result.error_code:
                raise self._failure(conn, exchange, result.error_code, result.error_message)
            lifetime_ms = result.session_lifetime_ms
            try:
                message = exchange.respond(result.auth_bytes)
            except SaslAuthenticationFailedError as exc:
                raise SaslAuthenticationFailedError(
                    redact(f"SASL/{name} with {conn}: {exc.detail}", exchange.secrets)
                ) from None
        raise IllegalSaslStateError(
            f"SASL/{name} with {conn} did not end after {_MAX_ROUNDS} steps"
        )

    def _failure(
        self, conn: BrokerConnection, exchange: SaslExchange, code: int, message: str | None
    ) -> AuthenticationError:
        reason = message or "no reason given"
        if isinstance(exchange, OAuthBearerExchange) and exchange.server_error:
            reason = f"{reason}; {exchange.server_error}"
        text = redact(
            f"SASL/{self.mechanism.name} authentication with {conn} failed: {reason}",
            exchange.secrets,
        )
        return _auth_error(code, text)


def _auth_error(code: int, text: str) -> AuthenticationError:
    error = error_for_code(code, text)
    if isinstance(error, AuthenticationError):
        return error
    # Any other code during authentication still means the connection is not authenticated.
    return SaslAuthenticationFailedError(f"{text} ({error.name}, code {code})")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (a broker may quote what it was sent)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
