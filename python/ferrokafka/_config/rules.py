"""The rules that involve several options, run once all options are checked one by one.

Like Java's ``ProducerConfig``, a few defaults depend on what the user set explicitly
(``config.explicit_options``):

- idempotence (on by default) is silently turned off when ``acks`` is not ``"all"`` or
  ``retries`` is 0, unless ``enable_idempotence=True`` was given, which makes that an error;
- ``delivery_timeout_ms`` that was not given grows to ``linger_ms + request_timeout_ms`` when
  that is larger; given explicitly, the same shortfall is an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ferrokafka._address import parse_bootstrap_servers
from ferrokafka._config.constants import INT32_MAX, MAX_IN_FLIGHT_FOR_IDEMPOTENCE
from ferrokafka._logging import CONFIG, client_log
from ferrokafka.errors import ConfigError

if TYPE_CHECKING:
    from ferrokafka._config.producer_config import ProducerConfig

# The module users know: its log records keep the name they had before the split.

OIDC_OPTIONS: Final = (
    "sasl_oauthbearer_token_endpoint_url",
    "sasl_oauthbearer_client_credentials_client_id",
    "sasl_oauthbearer_client_credentials_client_secret",
    "sasl_oauthbearer_scope",
)
# Options that only mean something over TLS (the rest of ssl_* have defaults).
TLS_OPTIONS: Final = (
    "ssl_context",
    "ssl_cafile",
    "ssl_capath",
    "ssl_cadata",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_password",
    "ssl_keystore_location",
    "ssl_keystore_password",
    "ssl_cipher_suites",
)


def _set(config: ProducerConfig, name: str, value: object) -> None:
    object.__setattr__(config, name, value)


def resolve_idempotence(config: ProducerConfig) -> None:
    explicit = "enable_idempotence" in config.explicit_options
    turned_off_by: list[str] = []
    if config.enable_idempotence:
        if config.retries == 0:
            if explicit:
                raise ConfigError(
                    "enable_idempotence=True needs retries > 0 (Java: Must set retries to "
                    "non-zero when using the idempotent producer); drop retries=0 or set "
                    "enable_idempotence=False",
                    option="retries",
                )
            turned_off_by.append("retries=0")
        if config.acks != -1:
            if explicit:
                raise ConfigError(
                    f"enable_idempotence=True needs acks='all', got acks={config.acks} (Java: "
                    "Must set acks to all in order to use the idempotent producer); set "
                    "acks='all' or enable_idempotence=False",
                    option="acks",
                )
            turned_off_by.append(f"acks={config.acks}")
        in_flight = config.max_in_flight_requests_per_connection
        # Java also raises this when acks or retries already turned idempotence off
        # implicitly; a user who asked for acks=1 did not ask for idempotence, so only a
        # still-idempotent producer is refused here.
        if in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE and not turned_off_by:
            raise ConfigError(
                f"the idempotent producer allows at most {MAX_IN_FLIGHT_FOR_IDEMPOTENCE} "
                f"requests in flight, got max_in_flight_requests_per_connection={in_flight}; "
                f"set it to {MAX_IN_FLIGHT_FOR_IDEMPOTENCE} or less, or set "
                "enable_idempotence=False (retries may then reorder records)",
                option="max_in_flight_requests_per_connection",
            )
    if turned_off_by:
        client_log(CONFIG, config.client_id).info(
            "idempotence disabled because %s", " and ".join(turned_off_by)
        )
        _set(config, "enable_idempotence", False)
    if config.transactional_id is not None and not config.enable_idempotence:
        because = " and ".join(turned_off_by) or "enable_idempotence=False"
        raise ConfigError(
            f"transactional_id needs the idempotent producer, which {because} turned off; "
            "use acks='all', retries > 0 and enable_idempotence=True with transactions",
            option="transactional_id",
        )


def resolve_delivery_timeout(config: ProducerConfig) -> None:
    floor = min(config.linger_ms + config.request_timeout_ms, INT32_MAX)
    if config.delivery_timeout_ms >= floor:
        return
    if "delivery_timeout_ms" in config.explicit_options:
        raise ConfigError(
            f"delivery_timeout_ms={config.delivery_timeout_ms} is less than linger_ms + "
            f"request_timeout_ms = {floor}: a record could expire before its first request "
            "completes. Raise delivery_timeout_ms, or lower linger_ms or request_timeout_ms",
            option="delivery_timeout_ms",
        )
    client_log(CONFIG, config.client_id).warning(
        "delivery_timeout_ms raised to linger_ms + request_timeout_ms = %d ms", floor
    )
    _set(config, "delivery_timeout_ms", floor)


def check_security(config: ProducerConfig) -> None:
    protocol = config.security_protocol
    # A prefix such as SSL:// in bootstrap_servers must not contradict the protocol.
    parse_bootstrap_servers(config.bootstrap_servers, protocol)
    _check_tls(config, uses_tls=protocol in ("SSL", "SASL_SSL"))
    _check_sasl(config, uses_sasl=protocol in ("SASL_PLAINTEXT", "SASL_SSL"))


def _check_tls(config: ProducerConfig, *, uses_tls: bool) -> None:
    given = config.explicit_options
    for name in TLS_OPTIONS:
        if name in given and getattr(config, name) is not None and not uses_tls:
            raise ConfigError(
                f"{name} is set but security_protocol={config.security_protocol!r} does not use "
                "TLS; set security_protocol='SSL' (or 'SASL_SSL')",
                option=name,
            )
    if config.ssl_context is not None:
        for name in sorted(given):
            if not name.startswith("ssl_") or name in ("ssl_context", "ssl_check_hostname"):
                continue
            if getattr(config, name) is not None:
                raise ConfigError(
                    f"give either ssl_context or {name}, not both: load the file into your "
                    "SSLContext",
                    option=name,
                )
        if "ssl_check_hostname" in given:
            raise ConfigError(
                "ssl_check_hostname has no effect with ssl_context; set check_hostname on "
                "the SSLContext instead",
                option="ssl_check_hostname",
            )
    if config.ssl_keyfile is not None and config.ssl_certfile is None:
        raise ConfigError(
            "ssl_keyfile needs ssl_certfile: give the client certificate too",
            option="ssl_keyfile",
        )
    if config.ssl_password is not None and (
        config.ssl_certfile is None and config.ssl_keystore_location is None
    ):
        raise ConfigError(
            "ssl_password unlocks the key of ssl_certfile / ssl_keyfile (or of "
            "ssl_keystore_location); give those too",
            option="ssl_password",
        )
    if config.ssl_keystore_location is not None:
        for name in ("ssl_certfile", "ssl_keyfile"):
            if getattr(config, name) is not None:
                raise ConfigError(
                    f"give either ssl_keystore_location or {name}, not both: the keystore "
                    "holds the client's key and certificate",
                    option=name,
                )
    if config.ssl_keystore_password is not None and config.ssl_keystore_location is None:
        raise ConfigError(
            "ssl_keystore_password opens ssl_keystore_location; give that too",
            option="ssl_keystore_password",
        )


def _check_sasl(config: ProducerConfig, *, uses_sasl: bool) -> None:
    for name in ("sasl_mechanism", "sasl_username", "sasl_password", "sasl_oauth_token_provider"):
        if name == "sasl_mechanism":
            given: object = name in config.explicit_options
        else:
            given = getattr(config, name)
        if given is not None and given is not False and not uses_sasl:
            raise ConfigError(
                f"{name} is set but security_protocol={config.security_protocol!r} does not "
                "use SASL; set security_protocol='SASL_SSL' (or 'SASL_PLAINTEXT')",
                option=name,
            )
    if not uses_sasl:
        return
    if config.sasl_mechanism == "OAUTHBEARER":
        _check_oauth(config)
        for name in ("sasl_username", "sasl_password"):
            if getattr(config, name) is not None:
                raise ConfigError(
                    f"{name} is not used by OAUTHBEARER; drop it or choose PLAIN/SCRAM",
                    option=name,
                )
        return
    for name in ("sasl_username", "sasl_password"):
        if getattr(config, name) is None:
            raise ConfigError(
                f"sasl_mechanism={config.sasl_mechanism!r} needs sasl_username and "
                f"sasl_password; {name} is missing",
                option=name,
            )
    for name in ("sasl_oauth_token_provider", *OIDC_OPTIONS, "sasl_oauthbearer_extensions"):
        if getattr(config, name):
            raise ConfigError(f"{name} is only used with sasl_mechanism='OAUTHBEARER'", option=name)


def _check_oauth(config: ProducerConfig) -> None:
    oidc = [name for name in OIDC_OPTIONS if getattr(config, name) is not None]
    if config.sasl_oauth_token_provider is not None:
        if oidc:
            raise ConfigError(
                f"give either sasl_oauth_token_provider or {oidc[0]}, not both",
                option=oidc[0],
            )
        return
    if not oidc:
        raise ConfigError(
            "sasl_mechanism='OAUTHBEARER' needs sasl_oauth_token_provider (a callable "
            "returning an OAuthToken) or sasl_oauthbearer_token_endpoint_url with the "
            "client id and secret",
            option="sasl_oauth_token_provider",
        )
    for name in OIDC_OPTIONS[:3]:
        if getattr(config, name) is None:
            raise ConfigError(
                f"OAuth client credentials need {', '.join(OIDC_OPTIONS[:3])}; {name} is missing",
                option=name,
            )
    url = config.sasl_oauthbearer_token_endpoint_url or ""
    if not url.startswith(("https://", "http://", "file:")):
        raise ConfigError(
            f"sasl_oauthbearer_token_endpoint_url must be an https:// (or http://, file:) "
            f"URL, got {url!r}",
            option="sasl_oauthbearer_token_endpoint_url",
        )
