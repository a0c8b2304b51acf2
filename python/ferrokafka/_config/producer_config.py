"""`ProducerConfig`: every option of the producer, each declared once with its Java name, check,
default and doc.

Options are named like the Java producer's configs with ``.`` replaced by ``_`` and have the Java
4.x defaults. A config is built and checked once: an unknown option, a value of the wrong type or
out of range, or a contradictory combination raises `ConfigError` naming the option and the fix.
The rules that involve several options, and the defaults that depend on what was set explicitly,
are in `ferrokafka._config.rules`.
"""

from __future__ import annotations

import itertools
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Self

from ferrokafka._address import parse_bootstrap_servers
from ferrokafka._config import constants as c
from ferrokafka._config import docs, rules
from ferrokafka._config.checks import (
    Acks,
    BootstrapServers,
    Choice,
    ExistingPath,
    Flag,
    Interceptors,
    IntRange,
    Long,
    PythonObject,
    SaslExtensions,
    SerializerCheck,
    Text,
    TlsVersions,
    TransactionalId,
)
from ferrokafka._config.names import OptionNames
from ferrokafka._config.spec import Option, option, options_of
from ferrokafka._sasl.oauth import token_provider_for
from ferrokafka.errors import ConfigError
from ferrokafka.interceptors import ProducerInterceptor
from ferrokafka.serializers import Serializer

if TYPE_CHECKING:
    from typing import Unpack

    from ferrokafka._config.arguments import ProducerOptions

__all__ = ["OPTIONS", "ProducerConfig"]

_CLIENT_IDS = itertools.count(1)

_STRING = Text()
_OPTIONAL = Text(optional=True)
_FILE = ExistingPath()


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ProducerConfig:
    # The class docstring is set below the class, from the options' docs.

    # --- where and who -------------------------------------------------------------------
    bootstrap_servers: tuple[str, ...] = option(
        (), "bootstrap.servers", BootstrapServers(), group=docs.WHO, accepts=c.ServersOption,
        default_doc="required (Producer: 'localhost:9092')",
        doc=""""host:port" entries to discover the cluster from. Accepts a comma-separated string
        or a sequence; stored as a tuple. A prefix such as ``PLAINTEXT://`` (copied from a
        broker's listeners) is accepted when it agrees with security_protocol.""",
    )  # fmt: skip
    client_id: str = option(
        "", "client.id", _STRING, group=docs.WHO,
        default_doc="'ferrokafka-producer-<n>', or 'ferrokafka-producer-<transactional_id>'",
        doc="Sent with every request and in every log line.",
    )  # fmt: skip
    client_dns_lookup: c.ClientDnsLookup = option(
        "use_all_dns_ips", "client.dns.lookup",
        Choice(("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only")), group=docs.WHO,
        doc="""Try every address a name resolves to, or resolve bootstrap names to their
        canonical names first (for Kerberos-style setups).""",
    )  # fmt: skip

    # --- durability ----------------------------------------------------------------------
    acks: int = option(
        c.DEFAULT_ACKS, "acks", Acks(), group=docs.DURABILITY, accepts=c.AcksOption,
        doc="""0 (no acknowledgement), 1 (the leader wrote it) or -1 = "all" (every in-sync
        replica has it). Accepts 0, 1, -1, "0", "1", "-1" and "all"; stored as an int.""",
    )  # fmt: skip
    enable_idempotence: bool = option(
        c.DEFAULT_ENABLE_IDEMPOTENCE, "enable.idempotence", Flag(), group=docs.DURABILITY,
        doc="""Sequence numbers make retries free of duplicates and reordering. When not given
        explicitly it turns off if acks != "all" or retries == 0.""",
    )  # fmt: skip
    retries: int = option(
        c.DEFAULT_RETRIES, "retries", IntRange(), group=docs.DURABILITY,
        doc="How often a failed batch is resent; time is bounded by delivery_timeout_ms.",
    )  # fmt: skip
    delivery_timeout_ms: int = option(
        c.DEFAULT_DELIVERY_TIMEOUT_MS, "delivery.timeout.ms", IntRange(), group=docs.DURABILITY,
        doc="""Upper bound on a record's whole life from send to success or failure, retries
        included. Must be >= linger_ms + request_timeout_ms; when not given it is raised to
        that sum if the sum is larger.""",
    )  # fmt: skip
    request_timeout_ms: int = option(
        c.DEFAULT_REQUEST_TIMEOUT_MS, "request.timeout.ms", IntRange(), group=docs.DURABILITY,
        doc="How long to wait for one response before retrying.",
    )  # fmt: skip
    retry_backoff_ms: int = option(
        c.DEFAULT_RETRY_BACKOFF_MS, "retry.backoff.ms", Long(), group=docs.DURABILITY,
        doc="First wait before a retry; doubles per attempt, with jitter.",
    )  # fmt: skip
    retry_backoff_max_ms: int = option(
        c.DEFAULT_RETRY_BACKOFF_MAX_MS, "retry.backoff.max.ms", Long(), group=docs.DURABILITY,
        doc="""Cap of the retry backoff; below retry_backoff_ms, it is the backoff from the
        first retry on (no growth, no jitter), as in Java.""",
    )  # fmt: skip
    max_in_flight_requests_per_connection: int = option(
        c.DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "max.in.flight.requests.per.connection",
        IntRange(low=1), group=docs.DURABILITY,
        doc="""Unacknowledged requests per broker; at most 5 with idempotence. Above 1 without
        idempotence, retries may reorder records.""",
    )  # fmt: skip

    # --- batching and memory -------------------------------------------------------------
    batch_size: int = option(
        c.DEFAULT_BATCH_SIZE, "batch.size", IntRange(), group=docs.BATCHING, unit="bytes",
        doc="Bytes per partition batch before it is sent (0 disables batching). With "
        "compression, its compressed size as estimated from the topic's batches so far (as Java "
        "estimates it): a batch of records that compress well holds several times batch_size of "
        "them uncompressed, up to max_request_size.",
    )  # fmt: skip
    linger_ms: int = option(
        c.DEFAULT_LINGER_MS, "linger.ms", Long(), group=docs.BATCHING,
        doc="How long a batch waits for more records before it is sent.",
    )  # fmt: skip
    coalesce_small_requests: bool = option(
        True, None, Flag(), group=docs.BATCHING,
        doc="""A broker that is working on a request of this producer gets another at once only
        if it is worth one of its own: a full batch, a retry, or batch_size bytes over all its
        partitions. Smaller batches wait for the answer and go together in the next request
        (Kafka reads one request per connection at a time, so they would mostly have waited in
        the broker's socket). At linger_ms=0 this cuts the requests, and the CPU they cost the
        producer and the broker, several-fold; such a record may wait up to one network round
        trip more. False sends every ready batch as soon as a window slot is free, as the Java
        client does.""",
    )  # fmt: skip
    buffer_memory: int = option(
        c.DEFAULT_BUFFER_MEMORY, "buffer.memory", Long(), group=docs.BATCHING, unit="bytes",
        doc="Bytes of records waiting to be sent, over all partitions. Counted uncompressed: "
        "with compression a full batch takes more of it than batch_size.",
    )  # fmt: skip
    max_block_ms: int = option(
        c.DEFAULT_MAX_BLOCK_MS, "max.block.ms", Long(), group=docs.BATCHING,
        doc="How long send() waits for metadata or buffer space.",
    )  # fmt: skip
    max_request_size: int = option(
        c.DEFAULT_MAX_REQUEST_SIZE, "max.request.size", IntRange(), group=docs.BATCHING,
        unit="bytes",
        doc="Largest request, and so largest record, sent to a broker.",
    )  # fmt: skip
    compression_type: c.CompressionType = option(
        "none", "compression.type", Choice(("none", "gzip", "snappy", "lz4", "zstd")),
        group=docs.BATCHING, doc="Codec of every batch.",
    )  # fmt: skip
    compression_gzip_level: int = option(
        c.DEFAULT_COMPRESSION_GZIP_LEVEL, "compression.gzip.level",
        IntRange(low=1, high=9, also=-1), group=docs.BATCHING,
        doc="1..9, or -1 for zlib's default (6).",
    )  # fmt: skip
    compression_lz4_level: int = option(
        c.DEFAULT_COMPRESSION_LZ4_LEVEL, "compression.lz4.level", IntRange(low=1, high=17),
        group=docs.BATCHING, doc="1..17.",
    )  # fmt: skip
    compression_zstd_level: int = option(
        c.DEFAULT_COMPRESSION_ZSTD_LEVEL, "compression.zstd.level",
        IntRange(low=-131072, high=22), group=docs.BATCHING, doc="-131072..22.",
    )  # fmt: skip

    # --- partitioning --------------------------------------------------------------------
    partitioner: c.Partitioner | None = option(
        None, "partitioner.class", PythonObject(), group=docs.PARTITIONING,
        default_doc="None (murmur2 for keys, KIP-794 sticky otherwise)",
        doc="""A callable ``(topic, key, key_bytes, value, num_partitions) -> partition``; None
        uses the built-in one (murmur2 for keys, KIP-794 sticky otherwise).""",
    )  # fmt: skip
    partitioner_ignore_keys: bool = option(
        False, "partitioner.ignore.keys", Flag(), group=docs.PARTITIONING,
        doc="Spread keyed records like unkeyed ones.",
    )  # fmt: skip
    partitioner_adaptive_partitioning_enable: bool = option(
        True, "partitioner.adaptive.partitioning.enable", Flag(), group=docs.PARTITIONING,
        doc="Favour partitions of faster brokers.",
    )  # fmt: skip
    partitioner_availability_timeout_ms: int = option(
        0, "partitioner.availability.timeout.ms", Long(), group=docs.PARTITIONING,
        doc="""Skip a partition whose broker has not accepted a batch for this long (0 = never
        skip).""",
    )  # fmt: skip

    # --- serialization -------------------------------------------------------------------
    key_serializer: Serializer[Any] | None = option(
        None, "key.serializer", SerializerCheck(), group=docs.SERIALIZATION,
        accepts=c.SerializerOption,
        doc="""A `Serializer` or a ``(key) -> bytes`` callable; None means keys must already be
        bytes. In from_config, a Java built-in's class name (with key.serializer.encoding or
        serializer.encoding for StringSerializer).""",
    )  # fmt: skip
    value_serializer: Serializer[Any] | None = option(
        None, "value.serializer", SerializerCheck(), group=docs.SERIALIZATION,
        accepts=c.SerializerOption, doc="As key_serializer, for values.",
    )  # fmt: skip

    # --- metadata and connections --------------------------------------------------------
    metadata_max_age_ms: int = option(
        c.DEFAULT_METADATA_MAX_AGE_MS, "metadata.max.age.ms", Long(), group=docs.CONNECTIONS,
        doc="Refresh metadata at least this often.",
    )  # fmt: skip
    metadata_max_idle_ms: int = option(
        c.DEFAULT_METADATA_MAX_IDLE_MS, "metadata.max.idle.ms", Long(low=5000),
        group=docs.CONNECTIONS,
        doc="Forget a topic not produced to for this long.",
    )  # fmt: skip
    connections_max_idle_ms: int = option(
        c.DEFAULT_CONNECTIONS_MAX_IDLE_MS, "connections.max.idle.ms", Long(low=-1),
        group=docs.CONNECTIONS, doc="Close connections idle this long (-1 = never).",
    )  # fmt: skip
    reconnect_backoff_ms: int = option(
        c.DEFAULT_RECONNECT_BACKOFF_MS, "reconnect.backoff.ms", Long(), group=docs.CONNECTIONS,
        doc="First wait before reconnecting to a broker.",
    )  # fmt: skip
    reconnect_backoff_max_ms: int = option(
        c.DEFAULT_RECONNECT_BACKOFF_MAX_MS, "reconnect.backoff.max.ms", Long(),
        group=docs.CONNECTIONS,
        doc="""Cap of the reconnect backoff; below reconnect_backoff_ms, it is the backoff
        from the first reconnect on (no growth, no jitter), as in Java.""",
    )  # fmt: skip
    socket_connection_setup_timeout_ms: int = option(
        c.DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MS, "socket.connection.setup.timeout.ms", Long(),
        group=docs.CONNECTIONS, doc="First timeout of a connection attempt.",
    )  # fmt: skip
    socket_connection_setup_timeout_max_ms: int = option(
        c.DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS, "socket.connection.setup.timeout.max.ms",
        Long(), group=docs.CONNECTIONS, doc="Cap of the connection timeout as it grows.",
    )  # fmt: skip
    send_buffer_bytes: int = option(
        c.DEFAULT_SEND_BUFFER_BYTES, "send.buffer.bytes", IntRange(low=-1), group=docs.CONNECTIONS,
        unit="bytes", doc="SO_SNDBUF of broker sockets (-1 = the OS default).",
    )  # fmt: skip
    receive_buffer_bytes: int = option(
        c.DEFAULT_RECEIVE_BUFFER_BYTES, "receive.buffer.bytes", IntRange(low=-1),
        group=docs.CONNECTIONS, unit="bytes",
        doc="SO_RCVBUF of broker sockets (-1 = the OS default).",
    )  # fmt: skip

    # --- transactions --------------------------------------------------------------------
    transactional_id: str | None = option(
        None, "transactional.id", TransactionalId(), group=docs.TRANSACTIONS,
        doc="Enables transactions; needs idempotence. Non-empty when set.",
    )  # fmt: skip
    transaction_timeout_ms: int = option(
        c.DEFAULT_TRANSACTION_TIMEOUT_MS, "transaction.timeout.ms", IntRange(low=1),
        group=docs.TRANSACTIONS,
        doc="""The coordinator aborts a transaction open this long. Must not exceed the
        broker's transaction.max.timeout.ms.""",
    )  # fmt: skip

    # --- observability -------------------------------------------------------------------
    metrics_sample_window_ms: int = option(
        c.DEFAULT_METRICS_SAMPLE_WINDOW_MS, "metrics.sample.window.ms", Long(low=1),
        group=docs.OBSERVABILITY, unit="ms",
        doc="""Length of one sample of the windowed metrics (rates, averages, maxima); see
        docs/OBSERVABILITY.md.""",
    )  # fmt: skip
    metrics_num_samples: int = option(
        c.DEFAULT_METRICS_NUM_SAMPLES, "metrics.num.samples", IntRange(low=1),
        group=docs.OBSERVABILITY, doc="How many samples a windowed metric spans.",
    )  # fmt: skip
    interceptors: tuple[ProducerInterceptor, ...] = option(
        (), "interceptor.classes", Interceptors(), group=docs.OBSERVABILITY,
        accepts=c.InterceptorsOption,
        doc="""`ProducerInterceptor` objects, called in order: ``on_send(record)`` first in
        every send (before serialization; may change the record), ``on_acknowledgement(metadata,
        error)`` once per record when it is delivered or fails, ``close()`` at close. Their
        exceptions are logged, never raised. With interceptors every record takes the Python
        path, and send_many/produce_many are refused. See ferrokafka.interceptors.""",
    )  # fmt: skip

    # --- security: SASL ------------------------------------------------------------------
    security_protocol: c.SecurityProtocol = option(
        "PLAINTEXT", "security.protocol",
        Choice(("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"), upper=True), group=docs.SASL,
        doc="PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL.",
    )  # fmt: skip
    sasl_mechanism: c.SaslMechanism = option(
        "PLAIN", "sasl.mechanism",
        Choice(("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"), upper=True),
        group=docs.SASL,
        doc="""PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (Java's default
        GSSAPI/Kerberos is not supported).""",
    )  # fmt: skip
    sasl_username: str | None = option(
        None, "sasl.username", _OPTIONAL, group=docs.SASL,
        doc="""librdkafka's ``sasl.username`` (Java: ``username`` in sasl.jaas.config), for
        PLAIN and SCRAM.""",
    )  # fmt: skip
    sasl_password: str | None = option(
        None, "sasl.password", _OPTIONAL, group=docs.SASL, secret=True,
        doc="""librdkafka's ``sasl.password`` (Java: ``password`` in sasl.jaas.config). Never
        shown.""",
    )  # fmt: skip
    sasl_oauth_token_provider: c.OAuthTokenProvider | None = option(
        None, None, PythonObject(), group=docs.SASL, secret=True,
        doc="""OAUTHBEARER token source (Java: sasl.login.callback.handler.class; librdkafka:
        oauth_cb): a callable, plain or async, returning an `OAuthToken`. Its token is reused
        by every connection and asked for again once it has lived 80% of its lifetime.""",
    )  # fmt: skip
    sasl_oauthbearer_token_endpoint_url: str | None = option(
        None, "sasl.oauthbearer.token.endpoint.url", _OPTIONAL, group=docs.SASL,
        doc="""OAUTHBEARER tokens from this OAuth 2 token endpoint with the client-credentials
        grant (librdkafka's sasl.oauthbearer.method=oidc), instead of a
        sasl_oauth_token_provider.""",
    )  # fmt: skip
    sasl_oauthbearer_client_credentials_client_id: str | None = option(
        None, "sasl.oauthbearer.client.credentials.client.id", _OPTIONAL, group=docs.SASL,
        doc="""(librdkafka: ``sasl.oauthbearer.client.id``): the client id at the token
        endpoint.""",
    )  # fmt: skip
    sasl_oauthbearer_client_credentials_client_secret: str | None = option(
        None, "sasl.oauthbearer.client.credentials.client.secret", _OPTIONAL, group=docs.SASL,
        secret=True,
        doc="""(librdkafka: ``sasl.oauthbearer.client.secret``): the client secret. Never
        shown.""",
    )  # fmt: skip
    sasl_oauthbearer_scope: str | None = option(
        None, "sasl.oauthbearer.scope", _OPTIONAL, group=docs.SASL,
        doc="The scope asked of the token endpoint, if any.",
    )  # fmt: skip
    sasl_oauthbearer_extensions: tuple[tuple[str, str], ...] = option(
        (), "sasl.oauthbearer.extensions", SaslExtensions(), group=docs.SASL,
        accepts=c.ExtensionsOption,
        doc="""librdkafka's ``sasl.oauthbearer.extensions`` (Java: ``extension_<name>`` options
        in sasl.jaas.config): SASL extensions sent with the token, e.g. Confluent Cloud's
        ``logicalCluster`` and ``identityPoolId``. Accepts a mapping or ``"k1=v1,k2=v2"``;
        stored as sorted ``(name, value)`` pairs.""",
    )  # fmt: skip

    # --- security: TLS -------------------------------------------------------------------
    ssl_context: ssl.SSLContext | None = option(
        None, None, PythonObject(ssl_context=True), group=docs.TLS,
        doc="""A ready `ssl.SSLContext` (no Java equivalent: Java builds it from the ssl.*
        options); replaces every other ssl_* option.""",
    )  # fmt: skip
    ssl_cafile: str | None = option(
        None, "ssl.ca.location", _FILE, group=docs.TLS, default_doc="None (the system's CAs)",
        doc="""librdkafka's ``ssl.ca.location``, Java's ``ssl.truststore.location`` with
        ``ssl.truststore.type=PEM``: PEM file of CAs to trust (default: the system's). In
        `from_config`, a directory given there becomes ssl_capath.""",
    )  # fmt: skip
    ssl_capath: str | None = option(
        None, None, ExistingPath(directory=True), group=docs.TLS,
        doc="""A directory of CA certificates in OpenSSL's hashed layout (``c_rehash``); Java
        has no equivalent, librdkafka takes it as ``ssl.ca.location``.""",
    )  # fmt: skip
    ssl_cadata: str | None = option(
        None, "ssl.ca.pem", _OPTIONAL, group=docs.TLS,
        doc="""librdkafka's ``ssl.ca.pem``, Java's ``ssl.truststore.certificates``: CA
        certificates as a PEM string.""",
    )  # fmt: skip
    ssl_certfile: str | None = option(
        None, "ssl.certificate.location", _FILE, group=docs.TLS,
        doc="""librdkafka's ``ssl.certificate.location``: PEM client certificate, for mutual
        TLS.""",
    )  # fmt: skip
    ssl_keyfile: str | None = option(
        None, "ssl.key.location", _FILE, group=docs.TLS,
        doc="""librdkafka's ``ssl.key.location``: PEM private key of ssl_certfile, if not inside
        it.""",
    )  # fmt: skip
    ssl_password: str | None = option(
        None, "ssl.key.password", _OPTIONAL, group=docs.TLS, secret=True,
        doc="Password of the private key. Never shown.",
    )  # fmt: skip
    ssl_keystore_location: str | None = option(
        None, "ssl.keystore.location", _FILE, group=docs.TLS,
        doc="""The client's key and certificate chain in one file, PKCS#12 (librdkafka's and
        Java's PKCS12 type) or PEM (``ssl_keystore_type="PEM"``). JKS is not read: convert it
        with ``keytool -importkeystore -srckeystore x.jks -destkeystore x.p12 -deststoretype
        PKCS12``.""",
    )  # fmt: skip
    ssl_keystore_password: str | None = option(
        None, "ssl.keystore.password", _OPTIONAL, group=docs.TLS, secret=True,
        doc="Opens ssl_keystore_location. Never shown.",
    )  # fmt: skip
    ssl_keystore_type: c.SslKeystoreType = option(
        "PKCS12", "ssl.keystore.type", Choice(("PKCS12", "PEM"), upper=True), group=docs.TLS,
        doc="PKCS12 (the default here; Java's is JKS) or PEM.",
    )  # fmt: skip
    ssl_enabled_protocols: tuple[str, ...] = option(
        c.DEFAULT_SSL_ENABLED_PROTOCOLS, "ssl.enabled.protocols", TlsVersions(), group=docs.TLS,
        accepts=c.TlsVersionsOption,
        doc="""TLS versions allowed, from TLSv1.2 and TLSv1.3 (older ones are refused). Accepts
        a comma-separated string or a sequence; stored as a tuple.""",
    )  # fmt: skip
    ssl_cipher_suites: str | None = option(
        None, "ssl.cipher.suites", _OPTIONAL, group=docs.TLS,
        doc="""TLS 1.2 cipher suites, in OpenSSL's cipher-list syntax (comma- or
        colon-separated names such as ``ECDHE-RSA-AES128-GCM-SHA256``); TLS 1.3 suites are
        OpenSSL's defaults.""",
    )  # fmt: skip
    ssl_check_hostname: bool = option(
        True, "ssl.endpoint.identification.algorithm", Flag(), group=docs.TLS,
        doc="""Java's ``ssl.endpoint.identification.algorithm=https`` (the default): verify that
        the broker's certificate names the host connected to (``""`` there turns it off).""",
    )  # fmt: skip

    # The keyword arguments given to the constructor: Java decides several defaults from what
    # the user set explicitly, and copy_with() rebuilds from them. Captured by __new__ because
    # dataclass __init__ cannot tell an explicit value from a default.
    _given: Mapping[str, Any] = field(init=False, compare=False)

    if TYPE_CHECKING:
        # What type checkers see; the dataclass writes the __init__ that runs.
        def __init__(
            self, *, bootstrap_servers: c.ServersOption = ..., **options: Unpack[ProducerOptions]
        ) -> None: ...

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        self = object.__new__(cls)
        object.__setattr__(self, "_given", dict(kwargs))
        return self

    def __post_init__(self) -> None:
        for name, declared in OPTIONS.items():
            value = declared.spec.check.normalize(declared, getattr(self, name))
            object.__setattr__(self, name, value)
        if "client_id" not in self._given:
            suffix = self.transactional_id or str(next(_CLIENT_IDS))
            object.__setattr__(self, "client_id", f"ferrokafka-producer-{suffix}")
        # After the client id: what the rules log carries it.
        rules.resolve_idempotence(self)
        rules.resolve_delivery_timeout(self)
        rules.check_security(self)

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Self:
        """Builds a config from keyword options, with a "did you mean" for unknown names."""
        for name in kwargs:
            if name not in OPTIONS:
                raise ConfigError(f"unknown option {name!r}{_NAMES.suggest(name)}", option=name)
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
        return cls(**_NAMES.keyword_options(props))

    def copy_with(
        self,
        *,
        bootstrap_servers: c.ServersOption | None = None,
        **changes: Unpack[ProducerOptions],
    ) -> Self:
        """A new config with ``changes`` applied, keeping the Java rules about which options
        were set explicitly (unlike `dataclasses.replace`, which passes every field)."""
        servers = {} if bootstrap_servers is None else {"bootstrap_servers": bootstrap_servers}
        return self.from_kwargs(**{**self._given, **servers, **changes})

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

    def oauth_token_provider(self) -> c.OAuthTokenProvider | None:
        """The OAUTHBEARER token source: sasl_oauth_token_provider, or the client-credentials
        client the OIDC options describe; None without OAUTHBEARER."""
        return token_provider_for(self)

    def __repr__(self) -> str:
        shown = []
        for name, declared in OPTIONS.items():
            value = getattr(self, name)
            if name in self._given or value != declared.default:
                text = "'***'" if declared.secret and value is not None else repr(value)
                shown.append(f"{name}={text}")
        return f"ProducerConfig({', '.join(shown)})"


OPTIONS: Final[Mapping[str, Option]] = options_of(ProducerConfig)
"""Every option, by its Python name, in declaration order."""
_NAMES: Final = OptionNames(OPTIONS)

ProducerConfig.__doc__ = docs.config_docstring(OPTIONS)
