"""OAuth tokens: the refresh rule (fake clock), the unsecured dev tokens and the OIDC
client-credentials client against a token endpoint on loopback."""

from __future__ import annotations

import pytest
from oauth_endpoint import TokenEndpoint, unsigned_jwt

from ferrokafka._sasl.oauth import (
    OAuthToken,
    OidcClientCredentials,
    TokenCache,
    UnsecuredToken,
    jwt_claims,
)
from ferrokafka.errors import OAuthTokenError


class FakeClock:
    def __init__(self) -> None:
        self.now_ms = 1_000_000

    def __call__(self) -> int:
        return self.now_ms


async def test_token_is_reused_until_80_to_85_percent_of_its_lifetime() -> None:
    clock = FakeClock()
    issued: list[OAuthToken] = []

    async def provider() -> OAuthToken:
        token = OAuthToken(value=f"t{len(issued)}", expires_at_ms=clock.now_ms + 100_000)
        issued.append(token)
        return token

    cache = TokenCache(provider, clock_ms=clock, rng=lambda: 1.0)
    first = await cache.token()
    clock.now_ms += 84_999
    assert await cache.token() is first
    clock.now_ms += 1
    second = await cache.token()
    assert second is not first
    assert (len(issued), cache.refreshes) == (2, 2)


async def test_a_failing_refresh_keeps_the_valid_token_and_then_fails() -> None:
    clock = FakeClock()
    calls = 0

    def provider() -> OAuthToken:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise RuntimeError("identity provider down, secret=hunter2")
        return OAuthToken(value="t", expires_at_ms=clock.now_ms + 10_000)

    cache = TokenCache(provider, clock_ms=clock, rng=lambda: 0.0)
    token = await cache.token()
    clock.now_ms += 9_000
    assert await cache.token() is token
    clock.now_ms += 2_000
    with pytest.raises(OAuthTokenError, match="raised RuntimeError") as info:
        await cache.token()
    assert "hunter2" not in str(info.value)


async def test_a_jwt_string_is_accepted_and_its_exp_read() -> None:
    token = await TokenCache(lambda: unsigned_jwt("bob", 60)).token()
    assert token.principal == "bob"
    with pytest.raises(OAuthTokenError, match="not a JWT"):
        await TokenCache(lambda: "opaque").token()
    with pytest.raises(OAuthTokenError, match="returned a int"):
        await TokenCache(lambda: 5).token()  # type: ignore[arg-type,return-value]


def test_unsecured_token_is_an_unsigned_jwt() -> None:
    token = UnsecuredToken("alice", lifetime_s=30)()
    assert token.value.endswith(".")
    claims = jwt_claims(token.value)
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 30
    assert "value" not in repr(token)
    assert token.value not in repr(token)


async def test_client_credentials_against_a_token_endpoint() -> None:
    with TokenEndpoint("client-1", "s3cr3t-client", sub="svc") as endpoint:
        provider = OidcClientCredentials(
            endpoint.url, "client-1", "s3cr3t-client", scope="kafka.write"
        )
        token = await provider()
        assert token.principal == "svc"
        assert endpoint.requests[0]["form"] == {
            "grant_type": ["client_credentials"],
            "scope": ["kafka.write"],
        }
        assert "s3cr3t-client" not in repr(provider)


async def test_client_credentials_refused_and_retried() -> None:
    with TokenEndpoint("client-1", "right") as endpoint:
        wrong = OidcClientCredentials(endpoint.url, "client-1", "wrong-secret-value")
        with pytest.raises(OAuthTokenError, match="HTTP 401: invalid_client") as info:
            await wrong()
        assert "wrong-secret-value" not in str(info.value)
        # 5xx answers are retried.
        endpoint.failures = [503, 502]
        token = await OidcClientCredentials(endpoint.url, "client-1", "right")()
        assert token.principal == "admin"
        assert len(endpoint.requests) == 4


async def test_client_credentials_unreachable_endpoint() -> None:
    provider = OidcClientCredentials("http://127.0.0.1:9/token", "c", "s", timeout_s=2)
    with pytest.raises(OAuthTokenError, match="cannot reach the OAuth token endpoint"):
        await provider()


def test_token_endpoint_url_scheme_is_checked() -> None:
    with pytest.raises(ValueError, match="must be https"):
        OidcClientCredentials("ftp://x/token", "c", "s")
