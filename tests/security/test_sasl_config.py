"""SASL options: Java and librdkafka names through from_config, the cross-option rules, and
secrets kept out of reprs and error messages."""

from __future__ import annotations

import pytest

from ferrokafka import Producer, ProducerConfig
from ferrokafka._sasl import authenticator_for
from ferrokafka._sasl.mechanisms import OAuthBearerMechanism, ScramMechanism
from ferrokafka.config import OAuthToken, OidcClientCredentials, UnsecuredToken
from ferrokafka.errors import ConfigError

BOOT = "localhost:9092"
OAUTH_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"


def test_librdkafka_oidc_names() -> None:
    config = ProducerConfig.from_config(
        {
            "bootstrap.servers": BOOT,
            "security.protocol": "SASL_SSL",
            "sasl.mechanisms": "OAUTHBEARER",
            "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.token.endpoint.url": "https://idp.example/oauth2/token",
            "sasl.oauthbearer.client.id": "my-client",
            "sasl.oauthbearer.client.secret": "client-secret-1",
            "sasl.oauthbearer.scope": "kafka",
            "sasl.oauthbearer.extensions": "logicalCluster=lkc-1,identityPoolId=pool-2",
        }
    )
    assert config.sasl_oauthbearer_extensions == (
        ("identityPoolId", "pool-2"),
        ("logicalCluster", "lkc-1"),
    )
    provider = config.oauth_token_provider()
    assert isinstance(provider, OidcClientCredentials)
    assert (provider.client_id, provider.scope) == ("my-client", "kafka")
    assert "client-secret-1" not in repr(config)
    assert "client-secret-1" not in repr(provider)
    authenticator = authenticator_for(config)
    assert authenticator is not None
    assert isinstance(authenticator.mechanism, OAuthBearerMechanism)


def test_java_jaas_client_credentials_and_extensions() -> None:
    config = ProducerConfig.from_config(
        {
            "bootstrap.servers": BOOT,
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "OAUTHBEARER",
            "sasl.oauthbearer.token.endpoint.url": "https://idp.example/token",
            "sasl.jaas.config": f'{OAUTH_MODULE} required clientId="c" clientSecret="s3" '
            'scope="kafka.write" extension_logicalCluster="lkc-9";',
        }
    )
    assert config.sasl_oauthbearer_client_credentials_client_id == "c"
    assert config.sasl_oauthbearer_client_credentials_client_secret == "s3"
    assert config.sasl_oauthbearer_scope == "kafka.write"
    assert config.sasl_oauthbearer_extensions == (("logicalCluster", "lkc-9"),)


def test_java_jaas_unsecured_login() -> None:
    config = ProducerConfig.from_config(
        {
            "bootstrap.servers": BOOT,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "OAUTHBEARER",
            "sasl.jaas.config": f'{OAUTH_MODULE} required unsecuredLoginStringClaim_sub="dev" '
            'unsecuredLoginLifetimeSeconds="60";',
        }
    )
    provider = config.sasl_oauth_token_provider
    assert isinstance(provider, UnsecuredToken)
    assert (provider.principal, provider.lifetime_s) == ("dev", 60)


def test_scram_through_jaas_builds_a_scram_authenticator() -> None:
    config = ProducerConfig.from_config(
        {
            "bootstrap.servers": BOOT,
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule "
            'required username="alice" password="pw";',
        }
    )
    authenticator = authenticator_for(config)
    assert authenticator is not None
    assert isinstance(authenticator.mechanism, ScramMechanism)
    assert authenticator.mechanism.name == "SCRAM-SHA-512"
    assert "pw" not in repr(authenticator.mechanism)


def _oauth(**options: object) -> dict[str, object]:
    return {
        "bootstrap_servers": BOOT,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "OAUTHBEARER",
        **options,
    }


@pytest.mark.parametrize(
    ("options", "message", "option"),
    [
        (
            _oauth(
                sasl_oauth_token_provider=lambda: "t",
                sasl_oauthbearer_token_endpoint_url="https://x/token",
            ),
            "either sasl_oauth_token_provider or sasl_oauthbearer_token_endpoint_url",
            "sasl_oauthbearer_token_endpoint_url",
        ),
        (
            _oauth(
                sasl_oauthbearer_token_endpoint_url="https://x/token",
                sasl_oauthbearer_client_credentials_client_id="c",
            ),
            "sasl_oauthbearer_client_credentials_client_secret is missing",
            "sasl_oauthbearer_client_credentials_client_secret",
        ),
        (
            _oauth(
                sasl_oauthbearer_token_endpoint_url="idp.example/token",
                sasl_oauthbearer_client_credentials_client_id="c",
                sasl_oauthbearer_client_credentials_client_secret="do-not-show",
            ),
            "must be an https://",
            "sasl_oauthbearer_token_endpoint_url",
        ),
        (
            {
                "bootstrap_servers": BOOT,
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": "PLAIN",
                "sasl_username": "u",
                "sasl_password": "p",
                "sasl_oauthbearer_scope": "kafka",
            },
            "only used with sasl_mechanism='OAUTHBEARER'",
            "sasl_oauthbearer_scope",
        ),
        (
            _oauth(sasl_oauth_token_provider=lambda: "t", sasl_oauthbearer_extensions="auth=x"),
            "must be letters only and not 'auth'",
            "sasl_oauthbearer_extensions",
        ),
    ],
)
def test_oauth_option_rules(options: dict[str, object], message: str, option: str) -> None:
    with pytest.raises(ConfigError) as info:
        ProducerConfig.from_kwargs(**options)
    assert message in str(info.value)
    assert info.value.option == option
    assert "do-not-show" not in str(info.value)


def test_producer_accepts_sasl_and_hides_the_secrets() -> None:
    producer = Producer(
        BOOT,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="alice",
        sasl_password="pw-do-not-show",
    )
    assert "pw-do-not-show" not in repr(producer)
    assert "pw-do-not-show" not in repr(producer.config)
    token = OAuthToken(value="token-do-not-show", expires_at_ms=1)
    assert "token-do-not-show" not in repr(token)
