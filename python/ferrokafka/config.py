"""Producer options: `ProducerConfig`, the typed keyword options `ProducerOptions`, the
``DEFAULT_*`` values and the types of option values.

`ProducerConfig` holds every option of the producer, named like the Java producer's configs with
``.`` replaced by ``_`` and with the Java 4.x defaults; ``help(ProducerConfig)`` and
docs/CONFIGURATION.md describe each one. The implementation lives in `ferrokafka._config`, one
job per module; this module is the public import path.
"""

from ferrokafka._config.arguments import ProducerOptions
from ferrokafka._config.constants import (
    DEFAULT_ACKS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_BUFFER_MEMORY,
    DEFAULT_CLIENT_DNS_LOOKUP,
    DEFAULT_COMPRESSION_GZIP_LEVEL,
    DEFAULT_COMPRESSION_LZ4_LEVEL,
    DEFAULT_COMPRESSION_TYPE,
    DEFAULT_COMPRESSION_ZSTD_LEVEL,
    DEFAULT_CONNECTIONS_MAX_IDLE_MS,
    DEFAULT_DELIVERY_TIMEOUT_MS,
    DEFAULT_ENABLE_IDEMPOTENCE,
    DEFAULT_LINGER_MS,
    DEFAULT_MAX_BLOCK_MS,
    DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
    DEFAULT_MAX_REQUEST_SIZE,
    DEFAULT_METADATA_MAX_AGE_MS,
    DEFAULT_METADATA_MAX_IDLE_MS,
    DEFAULT_METRICS_NUM_SAMPLES,
    DEFAULT_METRICS_SAMPLE_WINDOW_MS,
    DEFAULT_RECEIVE_BUFFER_BYTES,
    DEFAULT_RECONNECT_BACKOFF_MAX_MS,
    DEFAULT_RECONNECT_BACKOFF_MS,
    DEFAULT_REQUEST_TIMEOUT_MS,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_BACKOFF_MAX_MS,
    DEFAULT_RETRY_BACKOFF_MS,
    DEFAULT_SEND_BUFFER_BYTES,
    DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS,
    DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MS,
    DEFAULT_TRANSACTION_TIMEOUT_MS,
    MAX_IN_FLIGHT_FOR_IDEMPOTENCE,
    ClientDnsLookup,
    CompressionType,
    OAuthTokenProvider,
    Partitioner,
    SaslMechanism,
    SecurityProtocol,
)
from ferrokafka._config.constants import (
    DEFAULT_SSL_ENABLED_PROTOCOLS as DEFAULT_SSL_ENABLED_PROTOCOLS,
)
from ferrokafka._config.constants import (
    JKS_CONVERSION as JKS_CONVERSION,
)
from ferrokafka._config.constants import (
    TLS_PROTOCOLS as TLS_PROTOCOLS,
)
from ferrokafka._config.constants import (
    SslKeystoreType as SslKeystoreType,
)
from ferrokafka._config.producer_config import ProducerConfig
from ferrokafka._sasl.oauth import OAuthToken, OidcClientCredentials, UnsecuredToken

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
    "ProducerOptions",
    "SaslMechanism",
    "SecurityProtocol",
    "UnsecuredToken",
]
