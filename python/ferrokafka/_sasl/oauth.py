"""OAuth bearer tokens for SASL/OAUTHBEARER: the token type, the cache that refreshes it, and
the built-in token providers.

A token provider is any callable, plain or async, that returns an `OAuthToken` (or the bare
token string, whose expiry is then read from its JWT ``exp`` claim). That is the one hook for
every identity system: an MSK IAM signer, Azure AD, Confluent Cloud, or the built-ins here:

- `OidcClientCredentials`: the OAuth 2 client-credentials grant against a token endpoint (Java's
  ``sasl.oauthbearer.token.endpoint.url`` with ``...client.credentials.client.id`` / ``secret``
  and ``sasl.oauthbearer.scope``);
- `UnsecuredToken`: an unsigned JWT naming a principal, for development clusters that run
  Kafka's default unsecured validator (Java's ``unsecuredLoginStringClaim_sub``).

`token_provider_for` picks a producer's provider from its config. `TokenCache` sits between a
provider and the connections: every authentication asks it, and it calls the provider only
when the token it holds has lived about 80% of its lifetime (Java's
``sasl.login.refresh.window.factor`` 0.8 plus up to 5% jitter), so a token is renewed well
before it expires and re-authentication (KIP-368) always presents a fresh one.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import random
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.to_thread

from ferrokafka._logging import SASL, client_log
from ferrokafka.errors import OAuthTokenError

if TYPE_CHECKING:
    from ferrokafka.config import ProducerConfig

# HTTP answers of a token endpoint that mean the client's credentials or request were refused.
_CREDENTIAL_REFUSALS: Final = frozenset(
    {HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}
)


#: Java's sasl.login.refresh.window.factor and .jitter.
REFRESH_WINDOW_FACTOR: Final = 0.8
REFRESH_WINDOW_JITTER: Final = 0.05
DEFAULT_UNSECURED_LIFETIME_S: Final = 3600
DEFAULT_TOKEN_ENDPOINT_TIMEOUT_S: Final = 10.0
# Attempts at the token endpoint for network errors and 5xx answers (Java retries likewise,
# sasl.login.retry.backoff.ms doubling up to ...max.ms).
_ENDPOINT_ATTEMPTS: Final = 3
_ENDPOINT_BACKOFF_S: Final = 0.1


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthToken:
    """A bearer token and when it expires (Java's ``OAuthBearerToken``)."""

    value: str = field(repr=False)
    """The token itself (usually a JWT); never shown in repr."""
    expires_at_ms: int
    """Wall-clock expiry in milliseconds since the epoch (Java's ``lifetimeMs()``)."""
    principal: str | None = None
    """Who the token names (the JWT ``sub``); informational."""
    extensions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """SASL extensions sent with the token (RFC 7628 key=value pairs), e.g. Confluent Cloud's
    ``logicalCluster`` and ``identityPoolId``."""

    @classmethod
    def from_jwt(cls, value: str, *, extensions: Mapping[str, str] | None = None) -> OAuthToken:
        """A token whose expiry and principal are read from its JWT claims (``exp``, ``sub``).
        Raises `OAuthTokenError` if it is no JWT with an ``exp`` claim."""
        claims = jwt_claims(value)
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise OAuthTokenError(
                "the OAuth token has no numeric 'exp' claim: return an OAuthToken with "
                "expires_at_ms from the token provider"
            )
        sub = claims.get("sub")
        return cls(
            value=value,
            expires_at_ms=int(exp * 1000),
            principal=sub if isinstance(sub, str) else None,
            extensions=MappingProxyType(dict(extensions or {})),
        )


TokenProvider = Callable[[], OAuthToken | str | Awaitable[OAuthToken | str]]
"""What ``sasl_oauth_token_provider`` takes: a callable returning an `OAuthToken` (or a JWT
string), or an awaitable of one."""


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (its middle part), not verified: only the broker verifies. Raises
    `OAuthTokenError` when the token is no JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        raise OAuthTokenError("the OAuth token is not a JWT (expected three dot-separated parts)")
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        raise OAuthTokenError("the OAuth token's JWT claims are not base64url JSON") from None
    if not isinstance(claims, dict):
        raise OAuthTokenError("the OAuth token's JWT claims are not a JSON object")
    return claims


class TokenCache:
    """Hands out the provider's token, calling the provider again once the token has lived
    80-85% of its lifetime. Concurrent callers share one provider call."""

    def __init__(
        self,
        provider: TokenProvider,
        *,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        rng: Callable[[], float] = random.random,
        client_id: str | None = None,
    ) -> None:
        self._provider = provider
        self._log = client_log(SASL, client_id)
        self._clock_ms = clock_ms
        self._rng = rng
        # The last token obtained, and the wall-clock ms after which it is renewed.
        self._token: OAuthToken | None = None
        self._refresh_at_ms = 0
        # One provider call at a time; the others wait for its token.
        self._lock = anyio.Lock()
        self.refreshes = 0
        """How many tokens the provider has handed out."""

    def __repr__(self) -> str:
        return f"<TokenCache {self._token!r}>"

    async def token(self) -> OAuthToken:
        """A token with time left; raises `OAuthTokenError` when the provider fails and the
        token held (if any) has expired."""
        if self._token is not None and self._clock_ms() < self._refresh_at_ms:
            return self._token
        async with self._lock:
            now = self._clock_ms()
            if self._token is not None and now < self._refresh_at_ms:
                return self._token
            try:
                token = await self._fetch()
            except OAuthTokenError as exc:
                held = self._token
                if held is not None and now < held.expires_at_ms:
                    # As Java's refresh thread: keep using the old token while it is valid.
                    self._log.warning(
                        "OAuth token refresh failed, the current token is used: %s", exc
                    )
                    return held
                raise
            lifetime = token.expires_at_ms - now
            if lifetime <= 0:
                raise OAuthTokenError(
                    f"the OAuth token provider returned a token that expired "
                    f"{-lifetime / 1000:.0f} s ago (check the clock, or the provider)"
                )
            factor = REFRESH_WINDOW_FACTOR + self._rng() * REFRESH_WINDOW_JITTER
            self._token = token
            self._refresh_at_ms = now + int(lifetime * factor)
            self.refreshes += 1
            self._log.debug(
                "OAuth token for %s obtained, valid for %.0f s, renewed after %.0f s",
                token.principal or "(unnamed principal)",
                lifetime / 1000,
                lifetime * factor / 1000,
            )
            return token

    async def _fetch(self) -> OAuthToken:
        try:
            result = self._provider()
            if inspect.isawaitable(result):
                result = await result
        except OAuthTokenError:
            raise
        except Exception as exc:
            # The provider's own message is not shown: it may quote what it sent.
            raise OAuthTokenError(
                f"the OAuth token provider raised {type(exc).__name__}; see the exception's "
                "__cause__"
            ) from exc
        if isinstance(result, str):
            return OAuthToken.from_jwt(result)
        if isinstance(result, OAuthToken):
            return result
        raise OAuthTokenError(
            f"the OAuth token provider returned a {type(result).__name__}; return an "
            "OAuthToken (or a JWT string)"
        )


class UnsecuredToken:
    """Unsigned JWTs (``alg: none``) naming ``principal``, as Java's
    ``OAuthBearerUnsecuredLoginCallbackHandler`` makes them: only for brokers that run Kafka's
    default unsecured validator, i.e. development clusters."""

    def __init__(
        self,
        principal: str,
        *,
        lifetime_s: int = DEFAULT_UNSECURED_LIFETIME_S,
        scope: tuple[str, ...] = (),
        extensions: Mapping[str, str] | None = None,
    ) -> None:
        self.principal = principal
        self.lifetime_s = lifetime_s
        self.scope = scope
        self.extensions = MappingProxyType(dict(extensions or {}))

    def __repr__(self) -> str:
        return f"UnsecuredToken(principal={self.principal!r}, lifetime_s={self.lifetime_s})"

    def __call__(self) -> OAuthToken:
        now_s = int(time.time())
        claims: dict[str, Any] = {
            "iat": now_s,
            "exp": now_s + self.lifetime_s,
            "sub": self.principal,
        }
        if self.scope:
            claims["scope"] = list(self.scope)
        value = f"{_b64url_json({'alg': 'none'})}.{_b64url_json(claims)}."
        return OAuthToken(
            value=value,
            expires_at_ms=(now_s + self.lifetime_s) * 1000,
            principal=self.principal,
            extensions=self.extensions,
        )


def _b64url_json(value: object) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class OidcClientCredentials:
    """Tokens from an OAuth 2 token endpoint with the client-credentials grant (RFC 6749
    section 4.4), as Java's default ``sasl.oauthbearer.token.endpoint.url`` login handler does:
    a form POST of ``grant_type=client_credentials`` (and ``scope``), the client id and secret
    in an HTTP Basic ``Authorization`` header, and the ``access_token`` of the JSON answer.

    The HTTP call runs in a worker thread (the standard library's ``urllib``), so the event
    loop never blocks on the identity provider. A ``file:`` URL reads the token from that file
    instead, as Java allows.
    """

    def __init__(
        self,
        token_endpoint_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        timeout_s: float = DEFAULT_TOKEN_ENDPOINT_TIMEOUT_S,
        ssl_context: ssl.SSLContext | None = None,
        extensions: Mapping[str, str] | None = None,
    ) -> None:
        scheme = urllib.parse.urlsplit(token_endpoint_url).scheme
        if scheme not in ("https", "http", "file"):
            raise ValueError(
                f"token endpoint URL {token_endpoint_url!r} must be https://, http:// or file:"
            )
        self.token_endpoint_url = token_endpoint_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.timeout_s = timeout_s
        self._ssl_context = ssl_context
        self.extensions = MappingProxyType(dict(extensions or {}))

    def __repr__(self) -> str:
        return (
            f"OidcClientCredentials({self.token_endpoint_url!r}, client_id={self.client_id!r}, "
            f"scope={self.scope!r})"
        )

    async def __call__(self) -> OAuthToken:
        return await anyio.to_thread.run_sync(self.fetch_blocking, abandon_on_cancel=True)

    def fetch_blocking(self) -> OAuthToken:
        """One token, fetched in the calling thread (retrying network errors and 5xx)."""
        if self.token_endpoint_url.startswith("file:"):
            return self._read_file()
        request = self._request()
        for attempt in range(1, _ENDPOINT_ATTEMPTS + 1):
            try:
                with urllib.request.urlopen(
                    request, timeout=self.timeout_s, context=self._ssl_context
                ) as response:
                    body = response.read()
                return self._parse(body)
            except urllib.error.HTTPError as exc:
                if exc.code < 500 or attempt == _ENDPOINT_ATTEMPTS:
                    raise OAuthTokenError(self._refusal(exc)) from None
            except (urllib.error.URLError, OSError) as exc:
                if attempt == _ENDPOINT_ATTEMPTS:
                    reason = getattr(exc, "reason", exc)
                    raise OAuthTokenError(
                        f"cannot reach the OAuth token endpoint {self.token_endpoint_url}: {reason}"
                    ) from None
            time.sleep(_ENDPOINT_BACKOFF_S * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self) -> urllib.request.Request:
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        credentials = f"{self.client_id}:{self._client_secret}".encode()
        return urllib.request.Request(
            self.token_endpoint_url,
            data=urllib.parse.urlencode(form).encode(),
            headers={
                "Authorization": "Basic " + base64.b64encode(credentials).decode(),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Cache-Control": "no-cache",
            },
            method="POST",
        )

    def _parse(self, body: bytes) -> OAuthToken:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise OAuthTokenError(
                f"the OAuth token endpoint {self.token_endpoint_url} answered without an "
                "access_token (is it the token endpoint of the identity provider?)"
            )
        value: str = answer["access_token"]
        expires_in = answer.get("expires_in")
        try:
            token = OAuthToken.from_jwt(value, extensions=self.extensions)
        except OAuthTokenError:
            # An opaque token: its lifetime is only known from the answer.
            if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
                raise OAuthTokenError(
                    f"the OAuth token endpoint {self.token_endpoint_url} returned a token that "
                    "is no JWT and no expires_in"
                ) from None
            return OAuthToken(
                value=value,
                expires_at_ms=int((time.time() + expires_in) * 1000),
                extensions=self.extensions,
            )
        return token

    def _refusal(self, exc: urllib.error.HTTPError) -> str:
        detail = ""
        try:
            answer = json.loads(exc.read())
            if isinstance(answer, dict):
                parts = [answer.get("error"), answer.get("error_description")]
                detail = ": " + " - ".join(str(p) for p in parts if p)
        except (ValueError, OSError):
            pass
        hint = (
            "; check the client id and secret"
            if exc.code in _CREDENTIAL_REFUSALS
            else "; the identity provider failed"
        )
        return (
            f"the OAuth token endpoint {self.token_endpoint_url} answered HTTP {exc.code}"
            f"{detail}{hint}"
        )

    def _read_file(self) -> OAuthToken:
        path = urllib.request.url2pathname(urllib.parse.urlsplit(self.token_endpoint_url).path)
        try:
            with open(path, encoding="utf-8") as file:
                value = file.read().strip()
        except OSError as exc:
            raise OAuthTokenError(f"cannot read the OAuth token file {path}: {exc}") from None
        return OAuthToken.from_jwt(value, extensions=self.extensions)


def token_provider_for(config: ProducerConfig) -> TokenProvider | None:
    """The OAUTHBEARER token source of ``config``: sasl_oauth_token_provider, or the
    client-credentials client the OIDC options describe; None without OAUTHBEARER."""
    if not config.security_protocol.startswith("SASL") or config.sasl_mechanism != "OAUTHBEARER":
        return None
    if config.sasl_oauth_token_provider is not None:
        return config.sasl_oauth_token_provider
    # The config has checked that OAUTHBEARER without a provider has all three.
    assert config.sasl_oauthbearer_token_endpoint_url is not None
    assert config.sasl_oauthbearer_client_credentials_client_id is not None
    assert config.sasl_oauthbearer_client_credentials_client_secret is not None
    return OidcClientCredentials(
        config.sasl_oauthbearer_token_endpoint_url,
        config.sasl_oauthbearer_client_credentials_client_id,
        config.sasl_oauthbearer_client_credentials_client_secret,
        scope=config.sasl_oauthbearer_scope,
    )
