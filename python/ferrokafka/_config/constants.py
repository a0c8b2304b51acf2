"""The producer's defaults (Java 4.x's) and the types of option values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

from ferrokafka._sasl.oauth import TokenProvider
from ferrokafka.interceptors import ProducerInterceptor
from ferrokafka.serializers import SerializerLike

INT32_MAX: Final = 2**31 - 1
INT64_MAX: Final = 2**63 - 1

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
DEFAULT_MAX_BLOCK_MS: Final = 60000
DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION: Final = 5
DEFAULT_MAX_REQUEST_SIZE: Final = 1048576
DEFAULT_METADATA_MAX_AGE_MS: Final = 300000
DEFAULT_METADATA_MAX_IDLE_MS: Final = 300000
DEFAULT_METRICS_NUM_SAMPLES: Final = 2
DEFAULT_METRICS_SAMPLE_WINDOW_MS: Final = 30000
DEFAULT_RECEIVE_BUFFER_BYTES: Final = 32768
DEFAULT_RECONNECT_BACKOFF_MS: Final = 50
DEFAULT_RECONNECT_BACKOFF_MAX_MS: Final = 1000
DEFAULT_REQUEST_TIMEOUT_MS: Final = 30000
DEFAULT_RETRIES: Final = INT32_MAX
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

InterceptorsOption = Sequence[ProducerInterceptor]
"""A list (or tuple) of interceptors, called in its order."""

OAuthTokenProvider = TokenProvider
"""Returns an `OAuthToken` (the token and its expiry; a bare JWT string also does), plainly or
as an awaitable: an MSK IAM signer, an Azure or Confluent Cloud OAuth client, or the built-in
`OidcClientCredentials`."""

# What the constructor accepts where that is wider than what the config stores (the stored
# form is the field's type): a record of these is `ProducerOptions`.
AcksOption = int | Literal["all", "0", "1", "-1"]
"""0, 1, -1, or their spellings in a ``.properties`` file; ``"all"`` is -1."""
ServersOption = str | Sequence[str]
"""A ``"host:port,host:port"`` string or a sequence of ``"host:port"``."""
TlsVersionsOption = str | Sequence[str]
"""A comma-separated string or a sequence of TLS versions."""
ExtensionsOption = str | Mapping[str, str] | tuple[tuple[str, str], ...]
"""A mapping, ``"name=value,name=value"``, or the stored ``(name, value)`` pairs."""
SerializerOption = SerializerLike[Any] | None
"""A `Serializer`, or a ``(value) -> bytes`` callable wrapped into one."""
