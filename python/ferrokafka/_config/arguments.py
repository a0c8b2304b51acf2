"""The producer's keyword arguments, typed: `ProducerOptions` for type checkers and IDEs,
and `config_for`, which turns ``Producer(...)``'s arguments into a `ProducerConfig`."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from typing import TypedDict, TypeVar

from ferrokafka._config import constants as c
from ferrokafka._config.docs import options_help
from ferrokafka._config.producer_config import OPTIONS, ProducerConfig
from ferrokafka.errors import ConfigError


class ProducerOptions(TypedDict, total=False):
    """Every option of `ProducerConfig` but bootstrap_servers (a parameter of its own), as
    keyword arguments: ``Producer(bootstrap_servers, **options: Unpack[ProducerOptions])``.

    Each key and type agrees with the `ProducerConfig` field of that name (a test holds them
    together); where the constructor takes more than the stored type (``acks="all"``), the type
    is the accepted one. See ``help(ProducerConfig)`` or docs/CONFIGURATION.md for each option.
    """

    client_id: str
    client_dns_lookup: c.ClientDnsLookup
    acks: c.AcksOption
    enable_idempotence: bool
    retries: int
    delivery_timeout_ms: int
    request_timeout_ms: int
    retry_backoff_ms: int
    retry_backoff_max_ms: int
    max_in_flight_requests_per_connection: int
    batch_size: int
    linger_ms: int
    coalesce_small_requests: bool
    buffer_memory: int
    max_block_ms: int
    max_request_size: int
    compression_type: c.CompressionType
    compression_gzip_level: int
    compression_lz4_level: int
    compression_zstd_level: int
    partitioner: c.Partitioner | None
    partitioner_ignore_keys: bool
    partitioner_adaptive_partitioning_enable: bool
    partitioner_availability_timeout_ms: int
    key_serializer: c.SerializerOption
    value_serializer: c.SerializerOption
    metadata_max_age_ms: int
    metadata_max_idle_ms: int
    connections_max_idle_ms: int
    reconnect_backoff_ms: int
    reconnect_backoff_max_ms: int
    socket_connection_setup_timeout_ms: int
    socket_connection_setup_timeout_max_ms: int
    send_buffer_bytes: int
    receive_buffer_bytes: int
    transactional_id: str | None
    transaction_timeout_ms: int
    metrics_sample_window_ms: int
    metrics_num_samples: int
    interceptors: c.InterceptorsOption
    security_protocol: c.SecurityProtocol
    sasl_mechanism: c.SaslMechanism
    sasl_username: str | None
    sasl_password: str | None
    sasl_oauth_token_provider: c.OAuthTokenProvider | None
    sasl_oauthbearer_token_endpoint_url: str | None
    sasl_oauthbearer_client_credentials_client_id: str | None
    sasl_oauthbearer_client_credentials_client_secret: str | None
    sasl_oauthbearer_scope: str | None
    sasl_oauthbearer_extensions: c.ExtensionsOption
    ssl_context: ssl.SSLContext | None
    ssl_cafile: str | None
    ssl_capath: str | None
    ssl_cadata: str | None
    ssl_certfile: str | None
    ssl_keyfile: str | None
    ssl_password: str | None
    ssl_keystore_location: str | None
    ssl_keystore_password: str | None
    ssl_keystore_type: c.SslKeystoreType
    ssl_enabled_protocols: c.TlsVersionsOption
    ssl_cipher_suites: str | None
    ssl_check_hostname: bool


def config_for(
    bootstrap_servers: c.ServersOption | None,
    config: ProducerConfig | None,
    options: Mapping[str, object],
) -> ProducerConfig:
    """The config of ``Producer(bootstrap_servers, config=..., **options)``: ``config`` as it
    is, or one built from the options (bootstrap_servers defaulting to ``localhost:9092``).
    Both at once is refused rather than merged, so that no option is silently dropped or
    overridden: ``config.copy_with(...)`` says which wins."""
    if config is None:
        servers = "localhost:9092" if bootstrap_servers is None else bootstrap_servers
        return ProducerConfig.from_kwargs(bootstrap_servers=servers, **options)
    if not isinstance(config, ProducerConfig):
        raise ConfigError(
            f"config must be a ProducerConfig, got {type(config).__name__}; for Java-style "
            "dotted names use Producer.from_config(props)",
            option="config",
        )
    given = ([] if bootstrap_servers is None else ["bootstrap_servers"]) + list(options)
    if given:
        changes = ", ".join(f"{name}=..." for name in given)
        raise ConfigError(
            f"give either config= or options, not both (got config= and {', '.join(given)}); "
            f"to change a config, pass config=config.copy_with({changes})",
            option=given[0],
        )
    return config


F = TypeVar("F", bound=Callable[..., object])


def document_options(init: F) -> F:
    """Appends every option's help to a constructor's docstring, so that ``help(Producer)``
    shows what each keyword does."""
    init.__doc__ = f"{init.__doc__ or ''}\n\n{options_help(OPTIONS, indent='        ')}\n"
    return init
