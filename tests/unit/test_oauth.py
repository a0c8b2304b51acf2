"""`token_provider_for`: which OAUTHBEARER token source a producer's config gives. (The tokens,
their cache and the built-in providers are tested against a token endpoint in
tests/security/test_sasl_oauth.py.)"""

from __future__ import annotations

from typing import Any

from ferrokafka._sasl.oauth import OAuthToken, OidcClientCredentials, token_provider_for
from ferrokafka.config import ProducerConfig


def token() -> OAuthToken:
    return OAuthToken(value="t", expires_at_ms=2**62, principal="p")


def _config(**options: Any) -> ProducerConfig:
    return ProducerConfig(bootstrap_servers="b:9093", **options)  # type: ignore[arg-type]


def test_no_provider_without_sasl_oauthbearer() -> None:
    assert token_provider_for(_config()) is None
    plain = _config(security_protocol="SASL_SSL", sasl_username="u", sasl_password="p")
    assert token_provider_for(plain) is None


def test_the_given_provider_is_used_as_it_is() -> None:
    config = _config(
        security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER", sasl_oauth_token_provider=token
    )
    assert token_provider_for(config) is token
    assert token().principal == "p"
    # The config's method says the same.
    assert config.oauth_token_provider() is token


def test_the_oidc_options_describe_a_client_credentials_provider() -> None:
    config = _config(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="OAUTHBEARER",
        sasl_oauthbearer_token_endpoint_url="https://idp.example/token",
        sasl_oauthbearer_client_credentials_client_id="client-1",
        sasl_oauthbearer_client_credentials_client_secret="secret-1",
        sasl_oauthbearer_scope="kafka",
    )
    provider = token_provider_for(config)
    assert isinstance(provider, OidcClientCredentials)
    assert (provider.token_endpoint_url, provider.client_id, provider.scope) == (
        "https://idp.example/token",
        "client-1",
        "kafka",
    )
    assert repr(provider) == (
        "OidcClientCredentials('https://idp.example/token', client_id='client-1', scope='kafka')"
    )
