"""The Java options that ``from_config`` translates rather than maps one-to-one:
``sasl.jaas.config`` lines, the truststore options and the endpoint identification
algorithm."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from ferrokafka._sasl.oauth import UnsecuredToken
from ferrokafka.errors import ConfigError

_JAAS_OPTION = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(\S+?))\s*(?=;|\s|$)')
_JAAS_MODULES: Final = (
    "org.apache.kafka.common.security.plain.PlainLoginModule",
    "org.apache.kafka.common.security.scram.ScramLoginModule",
)
_JAAS_OAUTH_MODULE: Final = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
# OAuthBearerLoginModule options of the client-credentials login (Java 3.1+, KIP-768).
_JAAS_OAUTH_OPTIONS: Final = {
    "clientId": "sasl_oauthbearer_client_credentials_client_id",
    "clientSecret": "sasl_oauthbearer_client_credentials_client_secret",
    "scope": "sasl_oauthbearer_scope",
}


def as_text(key: str, value: object) -> str:
    """A string option's value, stripped; anything else is refused."""
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, got {type(value).__name__}", option=key)
    return value.strip()


def parse_jaas(text: str) -> dict[str, object]:
    """The options a sasl.jaas.config line sets, by field name."""
    module, _, rest = text.partition(" ")
    options = {
        m[1]: re.sub(r"\\(.)", r"\1", m[2]) if m[2] is not None else m[3]
        for m in _JAAS_OPTION.finditer(rest)
    }
    if module == _JAAS_OAUTH_MODULE:
        return _parse_jaas_oauth(options)
    if module not in _JAAS_MODULES:
        raise ConfigError(
            "sasl.jaas.config: only PlainLoginModule, ScramLoginModule and "
            "OAuthBearerLoginModule are understood (Kerberos is not supported)",
            option="sasl_username",
        )
    if "username" not in options or "password" not in options:
        raise ConfigError(
            'sasl.jaas.config needs username="..." and password="..."', option="sasl_username"
        )
    return {"sasl_username": options["username"], "sasl_password": options["password"]}


def _parse_jaas_oauth(options: Mapping[str, str]) -> dict[str, object]:
    out: dict[str, object] = {
        name: options[option] for option, name in _JAAS_OAUTH_OPTIONS.items() if option in options
    }
    extensions = {
        key.removeprefix("extension_"): value
        for key, value in options.items()
        if key.startswith("extension_")
    }
    if extensions:
        out["sasl_oauthbearer_extensions"] = extensions
    sub = options.get("unsecuredLoginStringClaim_sub")
    if sub is not None:
        # Development clusters: unsigned tokens that Kafka's default validator accepts.
        lifetime = options.get("unsecuredLoginLifetimeSeconds", "3600")
        if not lifetime.isdigit() or int(lifetime) < 1:
            raise ConfigError(
                "sasl.jaas.config: unsecuredLoginLifetimeSeconds must be a positive integer",
                option="sasl_oauth_token_provider",
            )
        out["sasl_oauth_token_provider"] = UnsecuredToken(sub, lifetime_s=int(lifetime))
    elif "clientId" not in options:
        raise ConfigError(
            "sasl.jaas.config: OAuthBearerLoginModule needs clientId and clientSecret (with "
            "sasl.oauthbearer.token.endpoint.url), or unsecuredLoginStringClaim_sub for an "
            "unsecured development cluster",
            option="sasl_oauth_token_provider",
        )
    return out


def check_truststore_option(key: str, text: str) -> None:
    """ssl.truststore.type / .password: trusted CAs are read as PEM only, so a Java truststore
    of another type must be converted."""
    if key == "ssl.truststore.type" and text.upper() in ("", "PEM"):
        return
    if key == "ssl.truststore.password" and not text:
        return
    if text.upper() == "JKS":
        hint = (
            "convert the JKS truststore to PEM: keytool -exportcert -rfc -alias <ca> "
            "-keystore truststore.jks -file ca.pem"
        )
    else:
        hint = (
            "give the trusted CAs as PEM (ssl_cafile / ssl.truststore.location with "
            "ssl.truststore.type=PEM); from PKCS#12: openssl pkcs12 -in truststore.p12 -nokeys "
            "-out ca.pem"
        )
    raise ConfigError(f"{key}: only PEM truststores are read; {hint}", option="ssl_cafile")


def parse_endpoint_algorithm(text: str) -> bool:
    """ssl.endpoint.identification.algorithm as ssl_check_hostname."""
    if text.lower() not in ("https", ""):
        raise ConfigError(
            f"ssl.endpoint.identification.algorithm must be 'https' or '', got {text!r}",
            option="ssl_check_hostname",
        )
    return text.lower() == "https"
