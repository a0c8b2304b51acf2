"""Producer options.

`ProducerConfig` holds every option of the producer, named like the Java producer's configs with
``.`` replaced by ``_`` and with the Java 4.x defaults. It is built and checked once: an unknown
option, a value of the wrong type or out of range, or a contradictory combination raises
`ConfigError` naming the option and the fix. Like Java's ``ProducerConfig``, a few defaults
depend on what the user set explicitly:

- idempotence (on by default) is silently turned off when ``acks`` is not ``"all"`` or
  ``retries`` is 0, unless ``enable_idempotence=True`` was given, which makes that an error;
- ``delivery_timeout_ms`` that was not given grows to ``linger_ms + request_timeout_ms`` when
  that is larger; given explicitly, the same shortfall is an error;
- ``client_id`` that was not given becomes ``ferrokafka-producer-<n>`` (or
  ``ferrokafka-producer-<transactional_id>``).

Three ways to build one: ``ProducerConfig(linger_ms=10, ...)``, ``ProducerConfig.from_kwargs(**kw)``
(the same, with "did you mean" for misspelt names) and ``ProducerConfig.from_config(props)`` for
Java/librdkafka-style dotted names with string values, as in a ``.properties`` file.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import logging
import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from types import MappingProxyType
from typing import Any, Final, Literal, Self, TypeVar

from ferrokafka._address import parse_bootstrap_servers
from ferrokafka._sasl.mechanisms import check_extension
from ferrokafka._sasl.oauth import OAuthToken, OidcClientCredentials, TokenProvider, UnsecuredToken
from ferrokafka.errors import ConfigError
from ferrokafka.serializers import (
    ByteArraySerializer,
    DoubleSerializer,
    FloatSerializer,
    IntegerSerializer,
    LongSerializer,
    Serializer,
    ShortSerializer,
    StringSerializer,
    UUIDSerializer,
    VoidSerializer,
    as_serializer,
)

__all__ = [
    "DEFAULT_ACKS",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_BUFFER_MEMORY",
    "DEFAULT_CLIENT_DNS_LOOKUP",
    "DEFAULT_COMPRESSION_GZIP_LEVEL",
    "DEFAULT_COMPRESSION_LZ4_LEVEL",
    "DEFAULT_COMPRESSION_TYPE",
    "DEFAULT_COMPRESSION_ZSTD_LEVEL",
    "DEFAULT_CONNECTIONS_MAX_IDLE_MS",
    "DEFAULT_DELIVERY_TIMEOUT_MS",
    "DEFAULT_ENABLE_IDEMPOTENCE",
    "DEFAULT_LINGER_MS",
    "DEFAULT_MAX_BLOCK_MS",
    "DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION",
    "DEFAULT_MAX_REQUEST_SIZE",
    "DEFAULT_METADATA_MAX_AGE_MS",
    "DEFAULT_METADATA_MAX_IDLE_MS",
    "DEFAULT_METRICS_NUM_SAMPLES",
    "DEFAULT_METRICS_SAMPLE_WINDOW_MS",
    "DEFAULT_RECEIVE_BUFFER_BYTES",
    "DEFAULT_RECONNECT_BACKOFF_MAX_MS",
    "DEFAULT_RECONNECT_BACKOFF_MS",
    "DEFAULT_REQUEST_TIMEOUT_MS",
    "DEFAULT_RETRIES",
    "DEFAULT_RETRY_BACKOFF_MAX_MS",
    "DEFAULT_RETRY_BACKOFF_MS",
    "DEFAULT_SEND_BUFFER_BYTES",
    "DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS",
    "DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MS",
    "DEFAULT_TRANSACTION_TIMEOUT_MS",
    "MAX_IN_FLIGHT_FOR_IDEMPOTENCE",
    "ClientDnsLookup",
    "CompressionType",
    "OAuthToken",
    "OAuthTokenProvider",
    "OidcClientCredentials",
    "Partitioner",
    "ProducerConfig",
    "SaslMechanism",
    "SecurityProtocol",
    "UnsecuredToken",
]

_log = logging.getLogger(__name__)

_INT32_MAX: Final = 2**31 - 1
_INT64_MAX: Final = 2**63 - 1

DEFAULT_ACKS: Final = -1
DEFAULT_BATCH_SIZE: Final = 16384
DEFAULT_BUFFER_MEMORY: Final = 33554432
DEFAULT_CLIENT_DNS_LOOKUP: Final = "use_all_dns_ips"
DEFAULT_COMPRESSION_TYPE: Final = "none"
DEFAULT_COMPRESSION_GZIP_LEVEL: Final = -1
DEFAULT_COMPRESSION_LZ4_LEVEL: Final = 9
DEFAULT_COMPRESSION_ZSTD_LEVEL: Final = 3
DEFAULT_CONNECTIONS_MAX_IDLE_MS: Final = 540000
DEFAULT_DELIVERY_TIMEOUT_MS: Final = 120000
DEFAULT_ENABLE_IDEMPOTENCE: Final = True
DEFAULT_LINGER_MS: Final = 5
DEFAULT_METRICS_SAMPLE_WINDOW_MS: Final = 30_000
DEFAULT_METRICS_NUM_SAMPLES: Final = 2
DEFAULT_MAX_BLOCK_MS: Final = 60000
DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION: Final = 5
DEFAULT_MAX_REQUEST_SIZE: Final = 1048576
DEFAULT_METADATA_MAX_AGE_MS: Final = 300000
DEFAULT_METADATA_MAX_IDLE_MS: Final = 300000
DEFAULT_RECEIVE_BUFFER_BYTES: Final = 32768
DEFAULT_RECONNECT_BACKOFF_MS: Final = 50
DEFAULT_RECONNECT_BACKOFF_MAX_MS: Final = 1000
DEFAULT_REQUEST_TIMEOUT_MS: Final = 30000
DEFAULT_RETRIES: Final = _INT32_MAX
DEFAULT_RETRY_BACKOFF_MS: Final = 100
DEFAULT_RETRY_BACKOFF_MAX_MS: Final = 1000
DEFAULT_SEND_BUFFER_BYTES: Final = 131072
DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MS: Final = 10000
DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS: Final = 30000
DEFAULT_TRANSACTION_TIMEOUT_MS: Final = 60000

MAX_IN_FLIGHT_FOR_IDEMPOTENCE: Final = 5
"""The broker keeps the last 5 batches per producer and partition to detect duplicates."""

CompressionType = Literal["none", "gzip", "snappy", "lz4", "zstd"]
ClientDnsLookup = Literal["use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"]
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
SslKeystoreType = Literal["PKCS12", "PEM"]
TLS_PROTOCOLS: Final = ("TLSv1.2", "TLSv1.3")
DEFAULT_SSL_ENABLED_PROTOCOLS: Final = TLS_PROTOCOLS
JKS_CONVERSION: Final = (
    "keytool -importkeystore -srckeystore x.jks -destkeystore x.p12 -deststoretype PKCS12"
)

Partitioner = Callable[[str, Any, bytes | None, Any, int], int]
"""``(topic, key, key_bytes, value, num_partitions) -> partition`` (Java's ``Partitioner``)."""

OAuthTokenProvider = TokenProvider
"""Returns an `OAuthToken` (the token and its expiry; a bare JWT string also does), plainly or
as an awaitable: an MSK IAM signer, an Azure or Confluent Cloud OAuth client, or the built-in
`OidcClientCredentials`."""

T = TypeVar("T")

# Field metadata keys: "java" (the dotted name), "kind" (how values are checked and parsed from
# strings), "low"/"high"/"also" (int range, plus one extra allowed value), "choices", "fold"
# (str.lower / str.upper applied before matching choices), "secret" (never echo the value).


def _meta(java: str | None, kind: str, **extra: Any) -> dict[str, Any]:
    return {"java": java, "kind": kind, "secret": False, **extra}


def _int(
    default: int, java: str, *, low: int = 0, high: int = _INT32_MAX, also: int | None = None
) -> int:
    return field(default=default, metadata=_meta(java, "int", low=low, high=high, also=also))


def _long(default: int, java: str, *, low: int = 0) -> int:
    return _int(default, java, low=low, high=_INT64_MAX)


def _bool(default: bool, java: str) -> bool:
    return field(default=default, metadata=_meta(java, "bool"))


_CLIENT_IDS = itertools.count(1)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ProducerConfig:
    """Every option of the producer; see the module docstring for how it is checked."""

    # --- where and who -------------------------------------------------------------------
    bootstrap_servers: tuple[str, ...] = field(
        default=(), metadata=_meta("bootstrap.servers", "bootstrap")
    )
    """``bootstrap.servers``: "host:port" entries to discover the cluster from. Accepts a
    comma-separated string or a sequence; stored as a tuple. Required."""
    client_id: str = field(default="", metadata=_meta("client.id", "str"))
    """``client.id``: sent with every request and in every log line (default
    ``ferrokafka-producer-<n>``, or ``ferrokafka-producer-<transactional_id>``)."""
    client_dns_lookup: ClientDnsLookup = field(
        default="use_all_dns_ips",
        metadata=_meta(
            "client.dns.lookup",
            "choice",
            choices=("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"),
            fold=str.lower,
        ),
    )
    """``client.dns.lookup``: try every address a name resolves to, or resolve bootstrap names
    to their canonical names first (for Kerberos-style setups)."""

    # --- durability ----------------------------------------------------------------------
    acks: int = field(default=DEFAULT_ACKS, metadata=_meta("acks", "acks"))
    """``acks``: 0 (no acknowledgement), 1 (the leader wrote it) or -1 = "all" (every in-sync
    replica has it). Accepts 0, 1, -1, "0", "1", "-1" and "all"; stored as an int."""
    enable_idempotence: bool = _bool(DEFAULT_ENABLE_IDEMPOTENCE, "enable.idempotence")
    """``enable.idempotence``: sequence numbers make retries free of duplicates and reordering.
    When not given explicitly it turns off if acks != "all" or retries == 0."""
    retries: int = _int(DEFAULT_RETRIES, "retries")
    """``retries``: how often a failed batch is resent; time is bounded by delivery_timeout_ms."""
    delivery_timeout_ms: int = _int(DEFAULT_DELIVERY_TIMEOUT_MS, "delivery.timeout.ms")
    """``delivery.timeout.ms``: upper bound on a record's whole life from send to success or
    failure, retries included. Must be >= linger_ms + request_timeout_ms."""
    request_timeout_ms: int = _int(DEFAULT_REQUEST_TIMEOUT_MS, "request.timeout.ms")
    """``request.timeout.ms``: how long to wait for one response before retrying."""
    retry_backoff_ms: int = _long(DEFAULT_RETRY_BACKOFF_MS, "retry.backoff.ms")
    """``retry.backoff.ms``: first wait before a retry; doubles per attempt, with jitter."""
    retry_backoff_max_ms: int = _long(DEFAULT_RETRY_BACKOFF_MAX_MS, "retry.backoff.max.ms")
    """``retry.backoff.max.ms``: cap of the retry backoff (if below retry_backoff_ms, the
    backoff stays at retry_backoff_ms, as in Java)."""
    max_in_flight_requests_per_connection: int = _int(
        DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
        "max.in.flight.requests.per.connection",
        low=1,
    )
    """``max.in.flight.requests.per.connection``: unacknowledged requests per broker; at most 5
    with idempotence. Above 1 without idempotence, retries may reorder records."""

    # --- batching and memory -------------------------------------------------------------
    batch_size: int = _int(DEFAULT_BATCH_SIZE, "batch.size")
    """``batch.size``: bytes per partition batch before it is sent (0 disables batching)."""
    linger_ms: int = _long(DEFAULT_LINGER_MS, "linger.ms")
    """``linger.ms``: how long a batch waits for more records before it is sent."""
    buffer_memory: int = _long(DEFAULT_BUFFER_MEMORY, "buffer.memory")
    """``buffer.memory``: bytes of records waiting to be sent, over all partitions."""
    max_block_ms: int = _long(DEFAULT_MAX_BLOCK_MS, "max.block.ms")
    """``max.block.ms``: how long send() waits for metadata or buffer space."""
    max_request_size: int = _int(DEFAULT_MAX_REQUEST_SIZE, "max.request.size")
    """``max.request.size``: largest request, and so largest record, sent to a broker."""
    compression_type: CompressionType = field(
        default="none",
        metadata=_meta(
            "compression.type",
            "choice",
            choices=("none", "gzip", "snappy", "lz4", "zstd"),
            fold=str.lower,
        ),
    )
    """``compression.type``: codec of every batch."""
    compression_gzip_level: int = _int(
        DEFAULT_COMPRESSION_GZIP_LEVEL, "compression.gzip.level", low=1, high=9, also=-1
    )
    """``compression.gzip.level``: 1..9, or -1 for zlib's default (6)."""
    compression_lz4_level: int = _int(
        DEFAULT_COMPRESSION_LZ4_LEVEL, "compression.lz4.level", low=1, high=17
    )
    """``compression.lz4.level``: 1..17."""
    compression_zstd_level: int = _int(
        DEFAULT_COMPRESSION_ZSTD_LEVEL, "compression.zstd.level", low=-131072, high=22
    )
    """``compression.zstd.level``: -131072..22."""

    # --- partitioning --------------------------------------------------------------------
    partitioner: Partitioner | None = field(
        default=None, metadata=_meta("partitioner.class", "callable")
    )
    """``partitioner.class``: a callable ``(topic, key, key_bytes, value, num_partitions) ->
    partition``; None uses the built-in one (murmur2 for keys, KIP-794 sticky otherwise)."""
    partitioner_ignore_keys: bool = _bool(False, "partitioner.ignore.keys")
    """``partitioner.ignore.keys``: spread keyed records like unkeyed ones."""
    partitioner_adaptive_partitioning_enable: bool = _bool(
        True, "partitioner.adaptive.partitioning.enable"
    )
    """``partitioner.adaptive.partitioning.enable``: favour partitions of faster brokers."""
    partitioner_availability_timeout_ms: int = _long(0, "partitioner.availability.timeout.ms")
    """``partitioner.availability.timeout.ms``: skip a partition whose broker has not accepted a
    batch for this long (0 = never skip)."""

    # --- serialization -------------------------------------------------------------------
    key_serializer: Serializer[Any] | None = field(
        default=None, metadata=_meta("key.serializer", "serializer")
    )
    """``key.serializer``: a `Serializer` or a ``(key) -> bytes`` callable; None means keys
    must already be bytes."""
    value_serializer: Serializer[Any] | None = field(
        default=None, metadata=_meta("value.serializer", "serializer")
    )
    """``value.serializer``: as key_serializer, for values."""

    # --- metadata and connections --------------------------------------------------------
    metadata_max_age_ms: int = _long(DEFAULT_METADATA_MAX_AGE_MS, "metadata.max.age.ms")
    """``metadata.max.age.ms``: refresh metadata at least this often."""
    metadata_max_idle_ms: int = _long(
        DEFAULT_METADATA_MAX_IDLE_MS, "metadata.max.idle.ms", low=5000
    )
    """``metadata.max.idle.ms``: forget a topic not produced to for this long."""
    connections_max_idle_ms: int = _long(
        DEFAULT_CONNECTIONS_MAX_IDLE_MS, "connections.max.idle.ms", low=-1
    )
    """``connections.max.idle.ms``: close connections idle this long (-1 = never)."""
    reconnect_backoff_ms: int = _long(DEFAULT_RECONNECT_BACKOFF_MS, "reconnect.backoff.ms")
    """``reconnect.backoff.ms``: first wait before reconnecting to a broker."""
    reconnect_backoff_max_ms: int = _long(
        DEFAULT_RECONNECT_BACKOFF_MAX_MS, "reconnect.backoff.max.ms"
    )
    """``reconnect.backoff.max.ms``: cap of the reconnect backoff (below reconnect_backoff_ms
    the backoff stays at reconnect_backoff_ms)."""
    socket_connection_setup_timeout_ms: int = _long(
        DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MS, "socket.connection.setup.timeout.ms"
    )
    """``socket.connection.setup.timeout.ms``: first timeout of a connection attempt."""
    socket_connection_setup_timeout_max_ms: int = _long(
        DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS, "socket.connection.setup.timeout.max.ms"
    )
    """``socket.connection.setup.timeout.max.ms``: cap of the connection timeout as it grows."""
    send_buffer_bytes: int = _int(DEFAULT_SEND_BUFFER_BYTES, "send.buffer.bytes", low=-1)
    """``send.buffer.bytes``: SO_SNDBUF of broker sockets (-1 = the OS default)."""
    receive_buffer_bytes: int = _int(DEFAULT_RECEIVE_BUFFER_BYTES, "receive.buffer.bytes", low=-1)
    """``receive.buffer.bytes``: SO_RCVBUF of broker sockets (-1 = the OS default)."""

    # --- transactions --------------------------------------------------------------------
    transactional_id: str | None = field(default=None, metadata=_meta("transactional.id", "txn_id"))
    """``transactional.id``: enables transactions; needs idempotence. Non-empty when set."""
    transaction_timeout_ms: int = _int(
        DEFAULT_TRANSACTION_TIMEOUT_MS, "transaction.timeout.ms", low=1
    )
    """``transaction.timeout.ms``: the coordinator aborts a transaction open this long. Must not
    exceed the broker's transaction.max.timeout.ms."""

    # --- security ------------------------------------------------------------------------
    security_protocol: SecurityProtocol = field(
        default="PLAINTEXT",
        metadata=_meta(
            "security.protocol",
            "choice",
            choices=("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
            fold=str.upper,
        ),
    )
    """``security.protocol``: PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL."""
    sasl_mechanism: SaslMechanism = field(
        default="PLAIN",
        metadata=_meta(
            "sasl.mechanism",
            "choice",
            choices=("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"),
            fold=str.upper,
        ),
    )
    """``sasl.mechanism``: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (Java's default
    GSSAPI/Kerberos is not supported)."""
    sasl_username: str | None = field(default=None, metadata=_meta("sasl.username", "opt_str"))
    """librdkafka's ``sasl.username`` (Java: ``username`` in sasl.jaas.config), for PLAIN and
    SCRAM."""
    sasl_password: str | None = field(
        default=None, metadata=_meta("sasl.password", "opt_str", secret=True)
    )
    """librdkafka's ``sasl.password`` (Java: ``password`` in sasl.jaas.config). Never shown."""
    sasl_oauth_token_provider: OAuthTokenProvider | None = field(
        default=None, metadata=_meta(None, "callable", secret=True)
    )
    """OAUTHBEARER token source (Java: sasl.login.callback.handler.class; librdkafka:
    oauth_cb): a callable, plain or async, returning an `OAuthToken`. Its token is reused by
    every connection and asked for again once it has lived 80% of its lifetime."""
    sasl_oauthbearer_token_endpoint_url: str | None = field(
        default=None, metadata=_meta("sasl.oauthbearer.token.endpoint.url", "opt_str")
    )
    """``sasl.oauthbearer.token.endpoint.url``: OAUTHBEARER tokens from this OAuth 2 token
    endpoint with the client-credentials grant (librdkafka's sasl.oauthbearer.method=oidc),
    instead of a sasl_oauth_token_provider."""
    sasl_oauthbearer_client_credentials_client_id: str | None = field(
        default=None, metadata=_meta("sasl.oauthbearer.client.credentials.client.id", "opt_str")
    )
    """``sasl.oauthbearer.client.credentials.client.id`` (librdkafka:
    ``sasl.oauthbearer.client.id``): the client id at the token endpoint."""
    sasl_oauthbearer_client_credentials_client_secret: str | None = field(
        default=None,
        metadata=_meta("sasl.oauthbearer.client.credentials.client.secret", "opt_str", secret=True),
    )
    """``sasl.oauthbearer.client.credentials.client.secret`` (librdkafka:
    ``sasl.oauthbearer.client.secret``): the client secret. Never shown."""
    sasl_oauthbearer_scope: str | None = field(
        default=None, metadata=_meta("sasl.oauthbearer.scope", "opt_str")
    )
    """``sasl.oauthbearer.scope``: the scope asked of the token endpoint, if any."""
    sasl_oauthbearer_extensions: tuple[tuple[str, str], ...] = field(
        default=(), metadata=_meta("sasl.oauthbearer.extensions", "extensions")
    )
    """librdkafka's ``sasl.oauthbearer.extensions`` (Java: ``extension_<name>`` options in
    sasl.jaas.config): SASL extensions sent with the token, e.g. Confluent Cloud's
    ``logicalCluster`` and ``identityPoolId``. Accepts a mapping or ``"k1=v1,k2=v2"``; stored
    as sorted ``(name, value)`` pairs."""
    ssl_context: ssl.SSLContext | None = field(default=None, metadata=_meta(None, "ssl_context"))
    """A ready `ssl.SSLContext` (no Java equivalent: Java builds it from the ssl.* options);
    replaces every other ssl_* option."""
    ssl_cafile: str | None = field(default=None, metadata=_meta("ssl.ca.location", "path"))
    """librdkafka's ``ssl.ca.location``, Java's ``ssl.truststore.location`` with
    ``ssl.truststore.type=PEM``: PEM file of CAs to trust (default: the system's). In
    `from_config`, a directory given there becomes ssl_capath."""
    ssl_capath: str | None = field(default=None, metadata=_meta(None, "dir"))
    """A directory of CA certificates in OpenSSL's hashed layout (``c_rehash``); Java has no
    equivalent, librdkafka takes it as ``ssl.ca.location``."""
    ssl_cadata: str | None = field(default=None, metadata=_meta("ssl.ca.pem", "opt_str"))
    """librdkafka's ``ssl.ca.pem``, Java's ``ssl.truststore.certificates``: CA certificates as
    a PEM string."""
    ssl_certfile: str | None = field(
        default=None, metadata=_meta("ssl.certificate.location", "path")
    )
    """librdkafka's ``ssl.certificate.location``: PEM client certificate, for mutual TLS."""
    ssl_keyfile: str | None = field(default=None, metadata=_meta("ssl.key.location", "path"))
    """librdkafka's ``ssl.key.location``: PEM private key of ssl_certfile, if not inside it."""
    ssl_password: str | None = field(
        default=None, metadata=_meta("ssl.key.password", "opt_str", secret=True)
    )
    """``ssl.key.password``: password of the private key. Never shown."""
    ssl_keystore_location: str | None = field(
        default=None, metadata=_meta("ssl.keystore.location", "path")
    )
    """``ssl.keystore.location``: the client's key and certificate chain in one file, PKCS#12
    (librdkafka's and Java's PKCS12 type) or PEM (``ssl_keystore_type="PEM"``). JKS is not
    read: convert it with ``keytool -importkeystore -srckeystore x.jks -destkeystore x.p12
    -deststoretype PKCS12``."""
    ssl_keystore_password: str | None = field(
        default=None, metadata=_meta("ssl.keystore.password", "opt_str", secret=True)
    )
    """``ssl.keystore.password``: opens ssl_keystore_location. Never shown."""
    ssl_keystore_type: SslKeystoreType = field(
        default="PKCS12",
        metadata=_meta("ssl.keystore.type", "choice", choices=("PKCS12", "PEM"), fold=str.upper),
    )
    """``ssl.keystore.type``: PKCS12 (the default here; Java's is JKS) or PEM."""
    ssl_enabled_protocols: tuple[str, ...] = field(
        default=DEFAULT_SSL_ENABLED_PROTOCOLS, metadata=_meta("ssl.enabled.protocols", "protocols")
    )
    """``ssl.enabled.protocols``: TLS versions allowed, from TLSv1.2 and TLSv1.3 (older ones
    are refused). Accepts a comma-separated string or a sequence; stored as a tuple."""
    ssl_cipher_suites: str | None = field(
        default=None, metadata=_meta("ssl.cipher.suites", "opt_str")
    )
    """``ssl.cipher.suites``: TLS 1.2 cipher suites, in OpenSSL's cipher-list syntax (comma- or
    colon-separated names such as ``ECDHE-RSA-AES128-GCM-SHA256``); TLS 1.3 suites are
    OpenSSL's defaults."""
    ssl_check_hostname: bool = _bool(True, "ssl.endpoint.identification.algorithm")
    """Java's ``ssl.endpoint.identification.algorithm=https`` (the default): verify that the
    broker's certificate names the host connected to."""

    # --- observability -------------------------------------------------------------------
    metrics_sample_window_ms: int = _long(
        DEFAULT_METRICS_SAMPLE_WINDOW_MS, "metrics.sample.window.ms", low=1
    )
    """``metrics.sample.window.ms``: length of one sample of the windowed metrics (rates,
    averages, maxima); see docs/OBSERVABILITY.md."""
    metrics_num_samples: int = _int(DEFAULT_METRICS_NUM_SAMPLES, "metrics.num.samples", low=1)
    """``metrics.num.samples``: how many samples a windowed metric spans."""

    # The keyword arguments given to the constructor: Java decides several defaults from what
    # the user set explicitly, and copy_with() rebuilds from them. Captured by __new__ because
    # dataclass __init__ cannot tell an explicit value from a default.
    _given: Mapping[str, Any] = field(init=False, compare=False)

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        self = object.__new__(cls)
        object.__setattr__(self, "_given", dict(kwargs))
        return self

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.init:
                _check_field(self, f)
        self._resolve_idempotence()
        self._resolve_delivery_timeout()
        self._check_security()
        if "client_id" not in self._given:
            suffix = self.transactional_id or str(next(_CLIENT_IDS))
            object.__setattr__(self, "client_id", f"ferrokafka-producer-{suffix}")

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Self:
        """Builds a config from keyword options, with a "did you mean" for unknown names."""
        for name in kwargs:
            if name not in _FIELDS:
                raise ConfigError(f"unknown option {name!r}{_suggest(name)}", option=name)
        return cls(**kwargs)

    @classmethod
    def from_config(cls, props: Mapping[str, object]) -> Self:
        """Builds a config from Java/librdkafka-style dotted names (``"linger.ms"``) whose
        values may be strings as in a ``.properties`` file (``"5"``, ``"true"``, ``"all"``).

        Also understood: ``sasl.jaas.config`` with a PLAIN or SCRAM login module (username and
        password), ``ssl.endpoint.identification.algorithm`` (``"https"`` or ``""``), Java
        serializer class names for ``key.serializer``/``value.serializer`` with their
        ``*.encoding``, and the option names of `ProducerConfig` itself. Java options this
        client does not implement raise `ConfigError` saying what to use instead.
        """
        kwargs: dict[str, Any] = {}
        sources: dict[str, str] = {}
        encodings: dict[str, str] = {}

        def put(name: str, value: object, key: str) -> None:
            if name in kwargs:
                raise ConfigError(f"{key!r} and {sources[name]!r} both set {name}", option=name)
            kwargs[name] = value
            sources[name] = key

        for raw_key, value in props.items():
            key = raw_key.strip()
            if key in ("key.serializer.encoding", "value.serializer.encoding"):
                encodings[key.split(".", 1)[0]] = _as_text(key, value)
            elif key == "serializer.encoding":
                encodings["*"] = _as_text(key, value)
            elif key == "sasl.jaas.config":
                for name, option in _parse_jaas(_as_text(key, value)).items():
                    put(name, option, key)
            elif key == "sasl.oauthbearer.method":
                # librdkafka: "oidc" uses the token endpoint options, "default" a provider.
                if _as_text(key, value).lower() not in ("oidc", "default"):
                    raise ConfigError(f"{key} must be 'oidc' or 'default'", option=key)
            elif key == "ssl.endpoint.identification.algorithm":
                put("ssl_check_hostname", _parse_endpoint_algorithm(_as_text(key, value)), key)
            elif key in ("ssl.ca.location", "ssl.truststore.location"):
                location = _as_text(key, value)
                put("ssl_capath" if os.path.isdir(location) else "ssl_cafile", location, key)
            elif key == "ssl.truststore.certificates":
                put("ssl_cadata", _as_text(key, value), key)
            elif key in ("ssl.truststore.type", "ssl.truststore.password"):
                _check_truststore_option(key, _as_text(key, value))
            elif key in _DOTTED or key in _FIELDS:
                name = _DOTTED.get(key, key)
                put(name, _parse_value(_FIELDS[name], key, value), key)
            elif key in _JAVA_UNSUPPORTED:
                raise ConfigError(
                    f"{key!r} is a Java producer option ferrokafka does not implement: "
                    f"{_unsupported_hint(key)}",
                    option=key,
                )
            else:
                raise ConfigError(f"unknown option {key!r}{_suggest(key)}", option=key)
        for which in ("key", "value"):
            # As in Java, key.serializer.encoding wins over serializer.encoding, which only
            # applies where a StringSerializer is used.
            name = f"{which}_serializer"
            encoding = encodings.get(which)
            is_string = isinstance(kwargs.get(name), StringSerializer)
            if encoding is not None and not is_string:
                raise ConfigError(
                    f"{which}.serializer.encoding only applies to StringSerializer; "
                    f"set {which}.serializer=StringSerializer or drop the encoding",
                    option=name,
                )
            encoding = encoding or encodings.get("*")
            if encoding is not None and is_string:
                kwargs[name] = _build(functools.partial(StringSerializer, encoding), name)
        return cls(**kwargs)

    def copy_with(self, **changes: Any) -> Self:
        """A new config with ``changes`` applied, keeping the Java rules about which options
        were set explicitly (unlike `dataclasses.replace`, which passes every field)."""
        return self.from_kwargs(**{**self._given, **changes})

    # --- derived values -------------------------------------------------------------------

    @property
    def bootstrap_addresses(self) -> tuple[tuple[str, int], ...]:
        """bootstrap_servers as (host, port) pairs; IPv6 hosts without brackets."""
        servers = parse_bootstrap_servers(self.bootstrap_servers, self.security_protocol)
        return tuple((a.host, a.port) for a in servers)

    @property
    def explicit_options(self) -> frozenset[str]:
        """The options passed explicitly (the rest took their defaults)."""
        return frozenset(self._given)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.name in self._given or value != f.default:
                text = "'***'" if f.metadata["secret"] and value is not None else repr(value)
                shown.append(f"{f.name}={text}")
        return f"ProducerConfig({', '.join(shown)})"

    # --- cross-option rules --------------------------------------------------------------

    def _resolve_idempotence(self) -> None:
        explicit = "enable_idempotence" in self._given
        turned_off_by: list[str] = []
        if self.enable_idempotence:
            if self.retries == 0:
                if explicit:
                    raise ConfigError(
                        "enable_idempotence=True needs retries > 0 (Java: Must set retries to "
                        "non-zero when using the idempotent producer); drop retries=0 or set "
                        "enable_idempotence=False",
                        option="retries",
                    )
                turned_off_by.append("retries=0")
            if self.acks != -1:
                if explicit:
                    raise ConfigError(
                        f"enable_idempotence=True needs acks='all', got acks={self.acks} (Java: "
                        "Must set acks to all in order to use the idempotent producer); set "
                        "acks='all' or enable_idempotence=False",
                        option="acks",
                    )
                turned_off_by.append(f"acks={self.acks}")
            in_flight = self.max_in_flight_requests_per_connection
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
            _log.info("idempotence disabled because %s", " and ".join(turned_off_by))
            object.__setattr__(self, "enable_idempotence", False)
        if self.transactional_id is not None and not self.enable_idempotence:
            because = " and ".join(turned_off_by) or "enable_idempotence=False"
            raise ConfigError(
                f"transactional_id needs the idempotent producer, which {because} turned off; "
                "use acks='all', retries > 0 and enable_idempotence=True with transactions",
                option="transactional_id",
            )

    def _resolve_delivery_timeout(self) -> None:
        floor = min(self.linger_ms + self.request_timeout_ms, _INT32_MAX)
        if self.delivery_timeout_ms >= floor:
            return
        if "delivery_timeout_ms" in self._given:
            raise ConfigError(
                f"delivery_timeout_ms={self.delivery_timeout_ms} is less than linger_ms + "
                f"request_timeout_ms = {floor}: a record could expire before its first request "
                "completes. Raise delivery_timeout_ms, or lower linger_ms or request_timeout_ms",
                option="delivery_timeout_ms",
            )
        _log.warning("delivery_timeout_ms raised to linger_ms + request_timeout_ms = %d ms", floor)
        object.__setattr__(self, "delivery_timeout_ms", floor)

    def _check_security(self) -> None:
        protocol = self.security_protocol
        # A prefix such as SSL:// in bootstrap_servers must not contradict the protocol.
        parse_bootstrap_servers(self.bootstrap_servers, protocol)
        uses_tls = protocol in ("SSL", "SASL_SSL")
        uses_sasl = protocol in ("SASL_PLAINTEXT", "SASL_SSL")
        tls_options = [name for name in _TLS_OPTIONS if name in self._given]
        for name in tls_options:
            if getattr(self, name) is not None and not uses_tls:
                raise ConfigError(
                    f"{name} is set but security_protocol={protocol!r} does not use TLS; set "
                    "security_protocol='SSL' (or 'SASL_SSL')",
                    option=name,
                )
        if self.ssl_context is not None:
            for name in sorted(self._given):
                if not name.startswith("ssl_") or name in ("ssl_context", "ssl_check_hostname"):
                    continue
                if getattr(self, name) is not None:
                    raise ConfigError(
                        f"give either ssl_context or {name}, not both: load the file into your "
                        "SSLContext",
                        option=name,
                    )
            if "ssl_check_hostname" in self._given:
                raise ConfigError(
                    "ssl_check_hostname has no effect with ssl_context; set check_hostname on "
                    "the SSLContext instead",
                    option="ssl_check_hostname",
                )
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            raise ConfigError(
                "ssl_keyfile needs ssl_certfile: give the client certificate too",
                option="ssl_keyfile",
            )
        if self.ssl_password is not None and (
            self.ssl_certfile is None and self.ssl_keystore_location is None
        ):
            raise ConfigError(
                "ssl_password unlocks the key of ssl_certfile / ssl_keyfile (or of "
                "ssl_keystore_location); give those too",
                option="ssl_password",
            )
        if self.ssl_keystore_location is not None:
            for name in ("ssl_certfile", "ssl_keyfile"):
                if getattr(self, name) is not None:
                    raise ConfigError(
                        f"give either ssl_keystore_location or {name}, not both: the keystore "
                        "holds the client's key and certificate",
                        option=name,
                    )
        if self.ssl_keystore_password is not None and self.ssl_keystore_location is None:
            raise ConfigError(
                "ssl_keystore_password opens ssl_keystore_location; give that too",
                option="ssl_keystore_password",
            )
        for name in (
            "sasl_mechanism",
            "sasl_username",
            "sasl_password",
            "sasl_oauth_token_provider",
        ):
            given = name in self._given if name == "sasl_mechanism" else getattr(self, name)
            if given is not None and given is not False and not uses_sasl:
                raise ConfigError(
                    f"{name} is set but security_protocol={protocol!r} does not use SASL; set "
                    "security_protocol='SASL_SSL' (or 'SASL_PLAINTEXT')",
                    option=name,
                )
        if not uses_sasl:
            return
        if self.sasl_mechanism == "OAUTHBEARER":
            self._check_oauth()
            for name in ("sasl_username", "sasl_password"):
                if getattr(self, name) is not None:
                    raise ConfigError(
                        f"{name} is not used by OAUTHBEARER; drop it or choose PLAIN/SCRAM",
                        option=name,
                    )
            return
        for name in ("sasl_username", "sasl_password"):
            if getattr(self, name) is None:
                raise ConfigError(
                    f"sasl_mechanism={self.sasl_mechanism!r} needs sasl_username and "
                    f"sasl_password; {name} is missing",
                    option=name,
                )
        for name in ("sasl_oauth_token_provider", *_OIDC_OPTIONS, "sasl_oauthbearer_extensions"):
            if getattr(self, name):
                raise ConfigError(
                    f"{name} is only used with sasl_mechanism='OAUTHBEARER'", option=name
                )

    def _check_oauth(self) -> None:
        oidc = [name for name in _OIDC_OPTIONS if getattr(self, name) is not None]
        if self.sasl_oauth_token_provider is not None:
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
        for name in _OIDC_OPTIONS[:3]:
            if getattr(self, name) is None:
                raise ConfigError(
                    f"OAuth client credentials need {', '.join(_OIDC_OPTIONS[:3])}; {name} is "
                    "missing",
                    option=name,
                )
        url = self.sasl_oauthbearer_token_endpoint_url or ""
        if not url.startswith(("https://", "http://", "file:")):
            raise ConfigError(
                f"sasl_oauthbearer_token_endpoint_url must be an https:// (or http://, file:) "
                f"URL, got {url!r}",
                option="sasl_oauthbearer_token_endpoint_url",
            )

    def oauth_token_provider(self) -> OAuthTokenProvider | None:
        """The OAUTHBEARER token source: sasl_oauth_token_provider, or the client-credentials
        client the OIDC options describe; None without OAUTHBEARER."""
        if not self.security_protocol.startswith("SASL") or self.sasl_mechanism != "OAUTHBEARER":
            return None
        if self.sasl_oauth_token_provider is not None:
            return self.sasl_oauth_token_provider
        assert self.sasl_oauthbearer_token_endpoint_url is not None
        assert self.sasl_oauthbearer_client_credentials_client_id is not None
        assert self.sasl_oauthbearer_client_credentials_client_secret is not None
        return OidcClientCredentials(
            self.sasl_oauthbearer_token_endpoint_url,
            self.sasl_oauthbearer_client_credentials_client_id,
            self.sasl_oauthbearer_client_credentials_client_secret,
            scope=self.sasl_oauthbearer_scope,
        )


_OIDC_OPTIONS: Final = (
    "sasl_oauthbearer_token_endpoint_url",
    "sasl_oauthbearer_client_credentials_client_id",
    "sasl_oauthbearer_client_credentials_client_secret",
    "sasl_oauthbearer_scope",
)

_FIELDS: Final[Mapping[str, Field[Any]]] = MappingProxyType(
    {f.name: f for f in fields(ProducerConfig) if f.init}
)
# Options that only mean something over TLS (the rest of ssl_* have defaults).
_TLS_OPTIONS: Final = (
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
# Dotted names that map one-to-one onto a field; ssl.endpoint.identification.algorithm maps onto
# ssl_check_hostname too, but from_config translates its values first.
_DOTTED: Final[Mapping[str, str]] = MappingProxyType(
    {
        **{f.metadata["java"]: f.name for f in _FIELDS.values() if f.metadata["java"]},
        # librdkafka's spellings
        "sasl.mechanisms": "sasl_mechanism",
        "sasl.oauthbearer.client.id": "sasl_oauthbearer_client_credentials_client_id",
        "sasl.oauthbearer.client.secret": "sasl_oauthbearer_client_credentials_client_secret",
    }
)


def _describe(f: Field[Any]) -> str:
    java = f.metadata["java"]
    return f"{f.name} (Java {java})" if java and java != f.name else f.name


def _set(config: ProducerConfig, name: str, value: object) -> None:
    object.__setattr__(config, name, value)


def _bad(f: Field[Any], value: object, expected: str) -> ConfigError:
    shown = type(value).__name__ if f.metadata["secret"] else f"{value!r}"
    return ConfigError(f"{_describe(f)} must be {expected}, got {shown}", option=f.name)


def _check_field(config: ProducerConfig, f: Field[Any]) -> None:
    value = getattr(config, f.name)
    kind = f.metadata["kind"]
    if kind == "int":
        low, high, also = f.metadata["low"], f.metadata["high"], f.metadata["also"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f, value, "an int")
        if not low <= value <= high and value != also:
            allowed = f"between {low} and {high}" if high < _INT64_MAX else f">= {low}"
            if also is not None:
                allowed += f", or {also}"
            raise _bad(f, value, allowed)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise _bad(f, value, "True or False")
    elif kind == "choice":
        choices = f.metadata["choices"]
        folded = f.metadata["fold"](value.strip()) if isinstance(value, str) else value
        if folded not in choices:
            hint = " (Kerberos is not supported)" if folded == "GSSAPI" else ""
            if folded == "JKS":
                hint = f" (JKS is not read; convert it: {JKS_CONVERSION})"
            raise _bad(f, value, "one of " + ", ".join(map(repr, choices)) + hint)
        _set(config, f.name, folded)
    elif kind == "acks":
        _set(config, f.name, _normalize_acks(f, value))
    elif kind == "bootstrap":
        _set(config, f.name, _normalize_bootstrap(f, value))
    elif kind == "str":
        if not isinstance(value, str):
            raise _bad(f, value, "a str")
    elif kind == "opt_str":
        if value is not None and not isinstance(value, str):
            raise _bad(f, value, "a str or None")
    elif kind == "txn_id":
        if value is not None and (not isinstance(value, str) or not value):
            raise _bad(f, value, "a non-empty str, or None for no transactions")
    elif kind == "path":
        _set(config, f.name, _normalize_path(f, value))
    elif kind == "dir":
        _set(config, f.name, _normalize_dir(f, value))
    elif kind == "protocols":
        _set(config, f.name, _normalize_protocols(f, value))
    elif kind == "serializer":
        _set(config, f.name, _build(lambda: as_serializer(value), f.name))
    elif kind == "callable":
        if value is not None and not callable(value):
            raise _bad(f, value, "a callable or None")
    elif kind == "ssl_context":
        if value is not None and not isinstance(value, ssl.SSLContext):
            raise _bad(f, value, "an ssl.SSLContext or None")
    elif kind == "extensions":
        _set(config, f.name, _normalize_extensions(f, value))
    else:  # pragma: no cover - a field declared with a kind this function does not know
        raise AssertionError(kind)


def _build(make: Callable[[], T], name: str) -> T:
    try:
        return make()
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: {exc}", option=name) from exc


def _normalize_acks(f: Field[Any], value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, -1):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "all":
            return -1
        if text in ("0", "1", "-1"):
            return int(text)
    raise _bad(f, value, "0, 1 or 'all' (-1)")


def _normalize_bootstrap(f: Field[Any], value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        entries = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        entries = list(value)
    else:
        raise _bad(f, value, 'a "host:port,host:port" string or a list of "host:port"')
    servers = tuple(entry.strip() for entry in entries if entry.strip())
    if not servers:
        raise ConfigError(
            "bootstrap_servers is required: give at least one broker as host:port, e.g. "
            "bootstrap_servers='localhost:9092'",
            option="bootstrap_servers",
        )
    parse_bootstrap_servers(servers)
    return servers


def _normalize_path(f: Field[Any], value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise _bad(f, value, "a file path or None")
    path = os.fspath(value)
    if not isinstance(path, str) or not os.path.isfile(path):
        raise ConfigError(f"{f.name}: no such file {path!r}", option=f.name)
    return path


def _normalize_dir(f: Field[Any], value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise _bad(f, value, "a directory path or None")
    path = os.fspath(value)
    if not isinstance(path, str) or not os.path.isdir(path):
        raise ConfigError(f"{f.name}: no such directory {path!r}", option=f.name)
    return path


def _normalize_protocols(f: Field[Any], value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _bad(f, value, "TLS versions as a comma-separated str or a sequence of str")
    known = {name.lower(): name for name in TLS_PROTOCOLS}
    protocols = []
    for name in value:
        canonical = known.get(name.strip().lower())
        if canonical is None:
            raise ConfigError(
                f"{_describe(f)}: {name!r} is not allowed; use TLSv1.2 and/or TLSv1.3 (older "
                "versions are insecure and refused)",
                option=f.name,
            )
        protocols.append(canonical)
    if not protocols:
        raise _bad(f, value, "at least one of TLSv1.2, TLSv1.3")
    return tuple(sorted(set(protocols)))


# --- from_config helpers ----------------------------------------------------------------

_JAVA_SERIALIZERS: Final[Mapping[str, Callable[[], Serializer[Any]]]] = MappingProxyType(
    {
        "StringSerializer": StringSerializer,
        "ByteArraySerializer": ByteArraySerializer,
        "ByteBufferSerializer": ByteArraySerializer,
        "BytesSerializer": ByteArraySerializer,
        "ShortSerializer": ShortSerializer,
        "IntegerSerializer": IntegerSerializer,
        "LongSerializer": LongSerializer,
        "FloatSerializer": FloatSerializer,
        "DoubleSerializer": DoubleSerializer,
        "UUIDSerializer": UUIDSerializer,
        "VoidSerializer": VoidSerializer,
    }
)

# Java 4.1 producer options without an equivalent here (from ProducerConfig.configNames()).
# fmt: off
_JAVA_UNSUPPORTED: Final = frozenset((
    "auto.include.jmx.reporter", "enable.metrics.push", "interceptor.classes",
    "metadata.recovery.rebootstrap.trigger.ms", "metadata.recovery.strategy", "metric.reporters",
    "metrics.recording.level",
    "sasl.client.callback.handler.class", "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin", "sasl.kerberos.service.name",
    "sasl.kerberos.ticket.renew.jitter", "sasl.kerberos.ticket.renew.window.factor",
    "sasl.login.callback.handler.class", "sasl.login.class", "sasl.login.connect.timeout.ms",
    "sasl.login.read.timeout.ms", "sasl.login.refresh.buffer.seconds",
    "sasl.login.refresh.min.period.seconds", "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter", "sasl.login.retry.backoff.max.ms",
    "sasl.login.retry.backoff.ms", "sasl.oauthbearer.assertion.algorithm",
    "sasl.oauthbearer.assertion.claim.aud", "sasl.oauthbearer.assertion.claim.exp.seconds",
    "sasl.oauthbearer.assertion.claim.iss", "sasl.oauthbearer.assertion.claim.jti.include",
    "sasl.oauthbearer.assertion.claim.nbf.seconds", "sasl.oauthbearer.assertion.claim.sub",
    "sasl.oauthbearer.assertion.file", "sasl.oauthbearer.assertion.private.key.file",
    "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.assertion.template.file", "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience", "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.header.urlencode", "sasl.oauthbearer.jwks.endpoint.refresh.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.jwt.retriever.class", "sasl.oauthbearer.jwt.validator.class",
    "sasl.oauthbearer.scope.claim.name", "sasl.oauthbearer.sub.claim.name", "security.providers",
    "ssl.engine.factory.class", "ssl.keymanager.algorithm", "ssl.keystore.certificate.chain",
    "ssl.keystore.key", "ssl.protocol", "ssl.provider", "ssl.secure.random.implementation",
    "ssl.trustmanager.algorithm", "transaction.two.phase.commit.enable",
))
# fmt: on


def _unsupported_hint(key: str) -> str:
    if key.startswith(("ssl.keystore.", "ssl.truststore.")):
        return (
            "give the keystore as ssl_keystore_location (PKCS#12 or PEM) or PEM files as "
            "ssl_certfile / ssl_keyfile, or an ssl_context"
        )
    if key.startswith("ssl."):
        return "configure it on an ssl.SSLContext and pass that as ssl_context"
    if key.startswith("sasl.kerberos."):
        return "Kerberos (GSSAPI) is not supported; use PLAIN, SCRAM or OAUTHBEARER"
    if key.startswith(("sasl.oauthbearer.", "sasl.login.")):
        return (
            "fetch tokens in a callable passed as sasl_oauth_token_provider (the built-in "
            "client credentials take sasl.oauthbearer.token.endpoint.url, ...client.id, "
            "...client.secret and sasl.oauthbearer.scope)"
        )
    if "metric" in key:
        return "read producer.metrics() instead"
    if key == "interceptor.classes":
        return "wrap send() or use on_delivery callbacks instead"
    return "remove it"


def _suggest(name: str) -> str:
    candidates = [*_DOTTED, "sasl.jaas.config"] if "." in name else list(_FIELDS)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _as_text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, got {type(value).__name__}", option=key)
    return value.strip()


def _parse_value(f: Field[Any], key: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    kind = f.metadata["kind"]
    text = value.strip()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ConfigError(
                f"invalid value {value!r} for {key}: expected an integer", option=f.name
            ) from None
    if kind == "bool":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ConfigError(
            f"invalid value {value!r} for {key}: expected true or false", option=f.name
        )
    if kind == "serializer":
        make = _JAVA_SERIALIZERS.get(text.removeprefix("org.apache.kafka.common.serialization."))
        if make is None:
            raise ConfigError(
                f"{key}={value!r}: Java classes cannot be loaded; use a Java built-in "
                f"({', '.join(_JAVA_SERIALIZERS)}) or pass a Python serializer object",
                option=f.name,
            )
        return make()
    if kind in ("callable", "ssl_context"):
        raise ConfigError(
            f"{key}={value!r}: Java classes cannot be loaded; pass a Python "
            f"{'callable' if kind == 'callable' else 'ssl.SSLContext'} as {f.name}",
            option=f.name,
        )
    if kind == "opt_str" and f.metadata["secret"]:
        return value  # passwords may legitimately start or end with spaces
    return text


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


def _parse_jaas(text: str) -> dict[str, object]:
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


def _normalize_extensions(f: Field[Any], value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        value = dict(value)
    if isinstance(value, str):
        pairs = [item.partition("=") for item in value.split(",") if item.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise _bad(f, value, 'a mapping or "name=value,name=value"')
        value = {key.strip(): text.strip() for key, _, text in pairs}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _bad(f, value, 'a mapping of str to str, or "name=value,name=value"')
    for key, text in value.items():
        try:
            check_extension(key, text)
        except ValueError as exc:
            raise ConfigError(f"{f.name}: {exc}", option=f.name) from None
    return tuple(sorted(value.items()))


def _check_truststore_option(key: str, text: str) -> None:
    # Trusted CAs are read as PEM only; a Java truststore of another type must be converted.
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


def _parse_endpoint_algorithm(text: str) -> bool:
    if text.lower() not in ("https", ""):
        raise ConfigError(
            f"ssl.endpoint.identification.algorithm must be 'https' or '', got {text!r}",
            option="ssl_check_hostname",
        )
    return text.lower() == "https"
