"""The SASL mechanisms: what the client says in each step of one authentication.

A `SaslMechanism` starts one `SaslExchange` per authentication (first login or KIP-368
re-authentication). An exchange gives the first client message, then turns each server message
into the next client message until it has nothing more to say; it never touches the network
(`authenticator` carries the messages in SaslAuthenticate requests).

- PLAIN (RFC 4616): one message, ``\\0username\\0password``.
- SCRAM-SHA-256 / -512 (RFC 5802, RFC 7677), through ``scramp``: client-first, client-final,
  then the server's signature is verified, so a broker that does not know the password cannot
  pass for one that does.
- OAUTHBEARER (RFC 7628): one message with the bearer token and the SASL extensions. A broker
  that rejects the token answers with an error challenge, to which the client replies with a
  lone ``\\x01`` so the broker can end the exchange with SASL_AUTHENTICATION_FAILED.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Final, Protocol

import scramp

from ferrokafka._sasl.oauth import OAuthToken, TokenCache
from ferrokafka.errors import SaslAuthenticationFailedError

SCRAM_MECHANISMS: Final = ("SCRAM-SHA-256", "SCRAM-SHA-512")
# RFC 7628 section 3.1: extension keys are ALPHA+, values printable ASCII without \x01.
_EXTENSION_KEY: Final = re.compile(r"[A-Za-z]+")
_EXTENSION_VALUE: Final = re.compile(r"[\x21-\x7e \t\r\n]*")
# RFC 7628 section 3.1: "auth" is the token itself, not an extension.
_RESERVED_EXTENSION_KEYS: Final = frozenset({"auth"})
_SEP: Final = "\x01"


class SaslExchange(Protocol):
    """One authentication, seen from the client."""

    def first_message(self) -> bytes:
        """What the client sends first."""

    def respond(self, server_message: bytes) -> bytes | None:
        """The reply to the broker's message, or None when the client is done. Raises
        `SaslAuthenticationFailedError` when the broker's message proves the exchange failed."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a message or a log line."""


class SaslMechanism(Protocol):
    """A configured mechanism; `begin` starts one authentication."""

    @property
    def name(self) -> str:
        """The SASL name sent in SaslHandshake, e.g. ``SCRAM-SHA-256``."""

    async def begin(self) -> SaslExchange: ...


# --- PLAIN --------------------------------------------------------------------------------


class PlainMechanism:
    name = "PLAIN"

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password

    def __repr__(self) -> str:
        return f"PlainMechanism(username={self._username!r})"

    async def begin(self) -> SaslExchange:
        return _PlainExchange(self._username, self._password)


class _PlainExchange:
    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._password,)

    def first_message(self) -> bytes:
        # authzid (empty: act as the authenticated user) NUL authcid NUL passwd.
        return b"\0" + self._username.encode() + b"\0" + self._password.encode()

    def respond(self, server_message: bytes) -> bytes | None:
        return None


# --- SCRAM --------------------------------------------------------------------------------


class ScramMechanism:
    def __init__(self, name: str, username: str, password: str) -> None:
        if name not in SCRAM_MECHANISMS:
            raise ValueError(f"{name!r} is not one of {', '.join(SCRAM_MECHANISMS)}")
        self.name = name
        self._username = username
        self._password = password

    def __repr__(self) -> str:
        return f"ScramMechanism({self.name!r}, username={self._username!r})"

    async def begin(self) -> SaslExchange:
        return ScramExchange(self.name, self._username, self._password)


def sasl_name(username: str) -> str:
    """RFC 5802 ``saslname``: ``=`` and ``,`` escaped as ``=3D`` and ``=2C`` (Kafka's
    ``ScramFormatter.saslName``; scramp leaves the escaping to its caller)."""
    return username.replace("=", "=3D").replace(",", "=2C")


class ScramExchange:
    """client-first → server-first → client-final → server-final (verified)."""

    def __init__(
        self, mechanism: str, username: str, password: str, *, nonce: str | None = None
    ) -> None:
        self._password = password
        self._client = scramp.ScramClient([mechanism], sasl_name(username), password, c_nonce=nonce)
        self._step = 0

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._password,)

    def first_message(self) -> bytes:
        message: str = self._client.get_client_first()
        return message.encode()

    def respond(self, server_message: bytes) -> bytes | None:
        self._step += 1
        try:
            text = server_message.decode()
            if self._step == 1:
                self._client.set_server_first(text)
                final: str = self._client.get_client_final()
                return final.encode()
            if self._step == 2:
                self._client.set_server_final(text)
                return None
        except (scramp.ScramException, UnicodeDecodeError) as exc:
            raise SaslAuthenticationFailedError(
                f"SCRAM exchange failed at step {self._step}: {exc}"
            ) from None
        raise SaslAuthenticationFailedError(
            "the broker sent a SCRAM message after the exchange was complete"
        )


# --- OAUTHBEARER --------------------------------------------------------------------------


class OAuthBearerMechanism:
    name = "OAUTHBEARER"

    def __init__(self, tokens: TokenCache, extensions: Mapping[str, str] | None = None) -> None:
        self.tokens = tokens
        self._extensions = dict(extensions or {})
        for key, value in self._extensions.items():
            check_extension(key, value)

    def __repr__(self) -> str:
        return f"OAuthBearerMechanism({self.tokens!r})"

    async def begin(self) -> SaslExchange:
        token = await self.tokens.token()
        extensions = {**token.extensions, **self._extensions}
        for key, value in token.extensions.items():
            check_extension(key, value)
        return OAuthBearerExchange(token, extensions)


def check_extension(key: str, value: str) -> None:
    if not _EXTENSION_KEY.fullmatch(key) or key in _RESERVED_EXTENSION_KEYS:
        raise ValueError(f"SASL extension name {key!r} must be letters only and not 'auth'")
    if not _EXTENSION_VALUE.fullmatch(value):
        raise ValueError(f"SASL extension {key!r} has characters RFC 7628 does not allow")


class OAuthBearerExchange:
    def __init__(self, token: OAuthToken, extensions: Mapping[str, str]) -> None:
        self._token = token
        self._extensions = extensions
        # The broker's error challenge, if it rejected the token.
        self.server_error: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._token.value,)

    def first_message(self) -> bytes:
        # gs2-header "n,," (no channel binding, no authzid), then kvpairs each ended by \x01,
        # and a final \x01 (RFC 7628 section 3.1; Kafka's OAuthBearerClientInitialResponse).
        pairs = [f"auth=Bearer {self._token.value}"]
        pairs += [f"{key}={value}" for key, value in sorted(self._extensions.items())]
        return ("n,," + _SEP + _SEP.join(pairs) + _SEP + _SEP).encode()

    def respond(self, server_message: bytes) -> bytes | None:
        if not server_message:
            return None
        # RFC 7628 section 3.2.2: an error challenge; acknowledge it with a lone \x01 so the
        # broker fails the authentication with its reason.
        self.server_error = _describe_oauth_error(server_message)
        return _SEP.encode()


def _describe_oauth_error(message: bytes) -> str:
    try:
        answer = json.loads(message)
    except ValueError:
        return "the broker rejected the token"
    if not isinstance(answer, dict):
        return "the broker rejected the token"
    parts = [f"{key}={answer[key]}" for key in ("status", "scope") if answer.get(key)]
    return "the broker rejected the token (" + ", ".join(parts) + ")"
