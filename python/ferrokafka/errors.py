"""Exceptions raised by ferrokafka.

Every exception is a `KafkaError` with ``.retriable`` (sending again may succeed),
``.code`` (the Kafka error code, ``None`` for errors found by the client) and
``.invalid_metadata`` (the client's view of the cluster is stale and is refreshed). Messages say
what went wrong and how to fix it.

    KafkaError
    ├── ConfigError                      bad option, value or combination (also ValueError)
    ├── SerializationError               a key or value could not be turned into bytes
    ├── PartitionOutOfRangeError         no such partition, or not an int (also ValueError)
    ├── IllegalStateError                call not allowed in the producer's current state
    │   └── ProducerClosedError          call after close()
    ├── AuthenticationError              TLS or SASL handshake failed
    │   ├── SslAuthenticationError       TLS: certificate not trusted, wrong host, expired,
    │   │                                handshake refused (names the broker and the reason)
    │   └── OAuthTokenError              no OAuth bearer token could be obtained
    ├── AuthorizationError               the principal lacks an ACL
    ├── RetriableError                   may succeed when tried again
    │   ├── KafkaTimeoutError            max_block_ms or delivery_timeout_ms ran out (also
    │   │                                TimeoutError)
    │   ├── BufferFullError              buffer_memory is full right now
    │   └── KafkaConnectionError         could not connect, or the connection broke
    │       └── ProtocolError            the broker's bytes did not decode or were unexpected;
    │                                    the connection is dropped
    └── BrokerError                      an error code from a broker: one class per code
        ├── NotEnoughReplicasError       (also RetriableError), ... see BROKER_ERRORS
        ├── RequestTimedOutError         (also KafkaTimeoutError)
        ├── NetworkError                 (also KafkaConnectionError)
        ├── TopicAuthorizationFailedError, ...      (also AuthorizationError)
        ├── SaslAuthenticationFailedError, ...      (also AuthenticationError)
        └── UnknownBrokerError           a code this version does not know

A failed delivery raises the last error the broker returned for it (or `KafkaTimeoutError` when
``delivery_timeout_ms`` ran out first). `error_for_code` builds the exception for a Kafka error
code; `ErrorCode` names the codes (``ErrorCode.NOT_LEADER_OR_FOLLOWER == 6``). The codes, their
names, flags and explanations are one table (``_error_codes``), following apache/kafka's
``Errors.java`` (4.1): ``retriable`` mirrors ``RetriableException``, ``invalid_metadata`` mirrors
``InvalidMetadataException``. The classes of the client's own errors live here; the class of
each broker code lives in ``_broker_errors`` and is imported from here.
"""

from __future__ import annotations

# fmt: off
__all__ = [
    "BROKER_ERRORS", "AuthenticationError", "AuthorizationError", "BrokerError",
    "BrokerIdNotRegisteredError", "BrokerNotAvailableError", "BufferFullError",
    "ClusterAuthorizationFailedError", "ConcurrentTransactionsError", "ConfigError",
    "ControllerMovedError", "CoordinatorLoadInProgressError", "CoordinatorNotAvailableError",
    "CorruptRecordError", "DelegationTokenAuthorizationFailedError", "DelegationTokenDisabledError",
    "DelegationTokenExpiredError", "DelegationTokenNotFoundError",
    "DelegationTokenOwnerMismatchError", "DelegationTokenRequestNotAllowedError",
    "DuplicateBrokerRegistrationError", "DuplicateResourceError", "DuplicateSequenceNumberError",
    "DuplicateVoterError", "ElectionNotNeededError", "EligibleLeadersNotAvailableError",
    "ErrorCode", "FeatureUpdateFailedError", "FencedInstanceIdError", "FencedLeaderEpochError",
    "FencedMemberEpochError", "FencedStateEpochError", "FetchSessionIdNotFoundError",
    "FetchSessionTopicIdError", "GroupAuthorizationFailedError", "GroupIdNotFoundError",
    "GroupMaxSizeReachedError", "GroupNotEmptyError", "GroupSubscribedToTopicError",
    "IllegalGenerationError", "IllegalSaslStateError", "IllegalStateError",
    "InconsistentClusterIdError", "InconsistentGroupProtocolError", "InconsistentTopicIdError",
    "InconsistentVoterSetError", "IneligibleReplicaError", "InvalidCommitOffsetSizeError",
    "InvalidConfigurationError", "InvalidFetchSessionEpochError", "InvalidFetchSizeError",
    "InvalidGroupIdError", "InvalidPartitionsError", "InvalidPrincipalTypeError",
    "InvalidProducerEpochError", "InvalidProducerIdMappingError", "InvalidRecordError",
    "InvalidRecordStateError", "InvalidRegistrationError", "InvalidRegularExpressionError",
    "InvalidReplicaAssignmentError", "InvalidReplicationFactorError", "InvalidRequestError",
    "InvalidRequiredAcksError", "InvalidSessionTimeoutError", "InvalidShareSessionEpochError",
    "InvalidTimestampError", "InvalidTopicError", "InvalidTransactionTimeoutError",
    "InvalidTxnStateError", "InvalidUpdateVersionError", "InvalidVoterKeyError",
    "KafkaConnectionError", "KafkaError", "KafkaStorageError", "KafkaTimeoutError",
    "LeaderNotAvailableError", "ListenerNotFoundError", "LogDirNotFoundError",
    "MemberIdRequiredError", "MismatchedEndpointTypeError", "NetworkError",
    "NewLeaderElectedError", "NoReassignmentInProgressError", "NotControllerError",
    "NotCoordinatorError", "NotEnoughReplicasAfterAppendError", "NotEnoughReplicasError",
    "NotLeaderOrFollowerError", "OAuthTokenError", "OffsetMetadataTooLargeError",
    "OffsetMovedToTieredStorageError",
    "OffsetNotAvailableError", "OffsetOutOfRangeError", "OperationNotAttemptedError",
    "OutOfOrderSequenceNumberError", "PartitionOutOfRangeError", "PolicyViolationError",
    "PositionOutOfRangeError", "PreferredLeaderNotAvailableError",
    "PrincipalDeserializationError", "ProducerClosedError", "ProducerFencedError",
    "ProtocolError", "ReassignmentInProgressError", "RebalanceInProgressError",
    "RebootstrapRequiredError", "RecordBatchTooLargeError", "RecordTooLargeError",
    "ReplicaNotAvailableError", "RequestTimedOutError", "ResourceNotFoundError", "RetriableError",
    "SaslAuthenticationFailedError", "SecurityDisabledError", "SerializationError",
    "ShareSessionLimitReachedError", "ShareSessionNotFoundError", "SnapshotNotFoundError",
    "SslAuthenticationError",
    "StaleBrokerEpochError", "StaleMemberEpochError", "StreamsInvalidTopologyEpochError",
    "StreamsInvalidTopologyError", "StreamsTopologyFencedError", "TelemetryTooLargeError",
    "ThrottlingQuotaExceededError", "TopicAuthorizationFailedError", "TopicDeletionDisabledError",
    "TopicExistsError", "TransactionAbortableError", "TransactionCoordinatorFencedError",
    "TransactionalIdAuthorizationFailedError", "TransactionalIdNotFoundError",
    "UnacceptableCredentialError", "UnknownBrokerError", "UnknownControllerIdError",
    "UnknownLeaderEpochError", "UnknownMemberIdError", "UnknownProducerIdError",
    "UnknownServerError", "UnknownSubscriptionIdError", "UnknownTopicIdError",
    "UnknownTopicOrPartitionError", "UnreleasedInstanceIdError", "UnstableOffsetCommitError",
    "UnsupportedAssignorError", "UnsupportedCompressionTypeError", "UnsupportedEndpointTypeError",
    "UnsupportedForMessageFormatError", "UnsupportedSaslMechanismError", "UnsupportedVersionError",
    "VoterNotFoundError", "error_for_code",
]
# fmt: on


def _squash(doc: str | None) -> str:
    return " ".join((doc or "").split())


class KafkaError(Exception):
    """Base class of every ferrokafka error."""

    retriable: bool = False
    """Sending again (after a backoff) may succeed."""

    code: int | None = None
    """The Kafka protocol error code, or None when the client found the error itself."""

    invalid_metadata: bool = False
    """The client's cluster metadata is probably stale and is refreshed before retrying."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(_squash(type(self).__doc__) if message is None else message)


class RetriableError(KafkaError):
    """Transient: the same operation may succeed when tried again."""

    retriable = True


class ConfigError(KafkaError, ValueError):
    """An unknown option, a bad value or a contradictory combination of options."""

    def __init__(self, message: str | None = None, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option
        """The option at fault (Python name, e.g. ``"linger_ms"``), if one is."""


class SerializationError(KafkaError):
    """A key or value could not be serialized; nothing was enqueued."""

    def __init__(
        self,
        message: str | None = None,
        *,
        topic: str | None = None,
        serializer: str | None = None,
        value_type: type | None = None,
    ) -> None:
        super().__init__(message)
        self.topic = topic
        self.serializer = serializer
        self.value_type = value_type


class PartitionOutOfRangeError(KafkaError, ValueError):
    """The record names a partition the topic does not have; partitions are numbered from 0 to
    the partition count minus one. Leave partition=None to let the partitioner choose."""


class IllegalStateError(KafkaError):
    """The call is not allowed in the producer's (or transaction's) current state."""


class ProducerClosedError(IllegalStateError):
    """The producer is closed; create a new one to send more records."""


class AuthenticationError(KafkaError):
    """Authentication with the broker failed; check the credentials, the SASL mechanism and the
    TLS settings (CA, certificate, hostname)."""


class OAuthTokenError(AuthenticationError):
    """No OAuth bearer token could be obtained for SASL/OAUTHBEARER: check the token endpoint
    URL, the client id and secret, or the sasl_oauth_token_provider callable."""


class SslAuthenticationError(AuthenticationError):
    """The TLS handshake with a broker failed: its certificate is not trusted (set ssl_cafile
    to the CA that signed it), names another host, has expired, or the broker refused ours.
    Not retried: `start()` raises it and pending records fail with it at once."""

    def __init__(self, broker: str, reason: str) -> None:
        super().__init__(f"TLS handshake with {broker} failed: {reason}")
        self.broker = broker
        """The broker as ``host:port`` (with the address connected to, if different)."""
        self.reason = reason
        """Why, as OpenSSL put it (``certificate has expired``, ...), with a hint."""


class AuthorizationError(KafkaError):
    """The authenticated principal lacks an ACL for this operation; ask the cluster's
    administrator to grant it."""


class KafkaTimeoutError(RetriableError, TimeoutError):
    """The operation did not complete in time (max_block_ms for send, delivery_timeout_ms for a
    delivery). Check that the brokers are reachable, or allow more time."""


class BufferFullError(RetriableError):
    """buffer_memory is full: records are produced faster than they can be sent. Await send()
    (which waits up to max_block_ms), slow down, or raise buffer_memory."""


class KafkaConnectionError(RetriableError):
    """Could not connect to a broker, or the connection broke. Check bootstrap_servers, the
    network and the advertised listeners; the client retries and refreshes metadata."""

    invalid_metadata = True


class ProtocolError(KafkaConnectionError):
    """The broker sent bytes the client could not decode or did not expect; the connection is
    dropped and the request retried on a new one."""


# The classes of the broker's codes subclass the families above: imported once these exist.
from ferrokafka._broker_errors import (  # noqa: E402
    BROKER_ERRORS,
    BrokerError,
    BrokerIdNotRegisteredError,
    BrokerNotAvailableError,
    ClusterAuthorizationFailedError,
    ConcurrentTransactionsError,
    ControllerMovedError,
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    CorruptRecordError,
    DelegationTokenAuthorizationFailedError,
    DelegationTokenDisabledError,
    DelegationTokenExpiredError,
    DelegationTokenNotFoundError,
    DelegationTokenOwnerMismatchError,
    DelegationTokenRequestNotAllowedError,
    DuplicateBrokerRegistrationError,
    DuplicateResourceError,
    DuplicateSequenceNumberError,
    DuplicateVoterError,
    ElectionNotNeededError,
    EligibleLeadersNotAvailableError,
    FeatureUpdateFailedError,
    FencedInstanceIdError,
    FencedLeaderEpochError,
    FencedMemberEpochError,
    FencedStateEpochError,
    FetchSessionIdNotFoundError,
    FetchSessionTopicIdError,
    GroupAuthorizationFailedError,
    GroupIdNotFoundError,
    GroupMaxSizeReachedError,
    GroupNotEmptyError,
    GroupSubscribedToTopicError,
    IllegalGenerationError,
    IllegalSaslStateError,
    InconsistentClusterIdError,
    InconsistentGroupProtocolError,
    InconsistentTopicIdError,
    InconsistentVoterSetError,
    IneligibleReplicaError,
    InvalidCommitOffsetSizeError,
    InvalidConfigurationError,
    InvalidFetchSessionEpochError,
    InvalidFetchSizeError,
    InvalidGroupIdError,
    InvalidPartitionsError,
    InvalidPrincipalTypeError,
    InvalidProducerEpochError,
    InvalidProducerIdMappingError,
    InvalidRecordError,
    InvalidRecordStateError,
    InvalidRegistrationError,
    InvalidRegularExpressionError,
    InvalidReplicaAssignmentError,
    InvalidReplicationFactorError,
    InvalidRequestError,
    InvalidRequiredAcksError,
    InvalidSessionTimeoutError,
    InvalidShareSessionEpochError,
    InvalidTimestampError,
    InvalidTopicError,
    InvalidTransactionTimeoutError,
    InvalidTxnStateError,
    InvalidUpdateVersionError,
    InvalidVoterKeyError,
    KafkaStorageError,
    LeaderNotAvailableError,
    ListenerNotFoundError,
    LogDirNotFoundError,
    MemberIdRequiredError,
    MismatchedEndpointTypeError,
    NetworkError,
    NewLeaderElectedError,
    NoReassignmentInProgressError,
    NotControllerError,
    NotCoordinatorError,
    NotEnoughReplicasAfterAppendError,
    NotEnoughReplicasError,
    NotLeaderOrFollowerError,
    OffsetMetadataTooLargeError,
    OffsetMovedToTieredStorageError,
    OffsetNotAvailableError,
    OffsetOutOfRangeError,
    OperationNotAttemptedError,
    OutOfOrderSequenceNumberError,
    PolicyViolationError,
    PositionOutOfRangeError,
    PreferredLeaderNotAvailableError,
    PrincipalDeserializationError,
    ProducerFencedError,
    ReassignmentInProgressError,
    RebalanceInProgressError,
    RebootstrapRequiredError,
    RecordBatchTooLargeError,
    RecordTooLargeError,
    ReplicaNotAvailableError,
    RequestTimedOutError,
    ResourceNotFoundError,
    SaslAuthenticationFailedError,
    SecurityDisabledError,
    ShareSessionLimitReachedError,
    ShareSessionNotFoundError,
    SnapshotNotFoundError,
    StaleBrokerEpochError,
    StaleMemberEpochError,
    StreamsInvalidTopologyEpochError,
    StreamsInvalidTopologyError,
    StreamsTopologyFencedError,
    TelemetryTooLargeError,
    ThrottlingQuotaExceededError,
    TopicAuthorizationFailedError,
    TopicDeletionDisabledError,
    TopicExistsError,
    TransactionAbortableError,
    TransactionalIdAuthorizationFailedError,
    TransactionalIdNotFoundError,
    TransactionCoordinatorFencedError,
    UnacceptableCredentialError,
    UnknownBrokerError,
    UnknownControllerIdError,
    UnknownLeaderEpochError,
    UnknownMemberIdError,
    UnknownProducerIdError,
    UnknownServerError,
    UnknownSubscriptionIdError,
    UnknownTopicIdError,
    UnknownTopicOrPartitionError,
    UnreleasedInstanceIdError,
    UnstableOffsetCommitError,
    UnsupportedAssignorError,
    UnsupportedCompressionTypeError,
    UnsupportedEndpointTypeError,
    UnsupportedForMessageFormatError,
    UnsupportedSaslMechanismError,
    UnsupportedVersionError,
    VoterNotFoundError,
    error_for_code,
)
from ferrokafka._error_codes import ErrorCode  # noqa: E402
