"""Exceptions raised by ferrokafka.

Every exception is a `KafkaError` with ``.retriable`` (sending again may succeed),
``.code`` (the Kafka error code, ``None`` for errors found by the client) and
``.invalid_metadata`` (the client's view of the cluster is stale and is refreshed). Messages say
what went wrong and how to fix it.

    KafkaError
    ├── ConfigError                      bad option, value or combination (also ValueError)
    ├── SerializationError               a key or value could not be turned into bytes
    ├── PartitionOutOfRangeError         explicit partition >= the topic's count (also ValueError)
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
    │       └── ProtocolError            the broker's bytes were unexpected; connection dropped
    │           └── CorruptResponseError ... or could not even be decoded
    └── BrokerError                      an error code from a broker: one class per code
        ├── NotEnoughReplicasError       (also RetriableError), ... see BROKER_ERRORS
        ├── RequestTimedOutError         (also KafkaTimeoutError)
        ├── NetworkError                 (also KafkaConnectionError)
        ├── TopicAuthorizationFailedError, ...      (also AuthorizationError)
        ├── SaslAuthenticationFailedError, ...      (also AuthenticationError)
        └── UnknownBrokerError           a code this version does not know

A failed delivery raises the last error the broker returned for it (or `KafkaTimeoutError` when
``delivery_timeout_ms`` ran out first). `error_for_code` builds the exception for a Kafka error
code. The table of codes, names and flags follows apache/kafka's ``Errors.java`` (4.1) and its
exception classes: ``retriable`` mirrors ``RetriableException``, ``invalid_metadata`` mirrors
``InvalidMetadataException``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

# fmt: off
__all__ = [
    "BROKER_ERRORS", "AuthenticationError", "AuthorizationError", "BrokerError",
    "BrokerIdNotRegisteredError", "BrokerNotAvailableError", "BufferFullError",
    "ClusterAuthorizationFailedError", "ConcurrentTransactionsError", "ConfigError",
    "ControllerMovedError", "CoordinatorLoadInProgressError", "CoordinatorNotAvailableError",
    "CorruptRecordError", "CorruptResponseError", "DelegationTokenAuthorizationFailedError",
    "DelegationTokenDisabledError", "DelegationTokenExpiredError", "DelegationTokenNotFoundError",
    "DelegationTokenOwnerMismatchError", "DelegationTokenRequestNotAllowedError",
    "DuplicateBrokerRegistrationError", "DuplicateResourceError", "DuplicateSequenceNumberError",
    "DuplicateVoterError", "ElectionNotNeededError", "EligibleLeadersNotAvailableError",
    "FeatureUpdateFailedError", "FencedInstanceIdError", "FencedLeaderEpochError",
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
    "UnsupportedForMessageFormatError", "UnsupportedSaslMechanismError",
    "UnsupportedVersionError", "VoterNotFoundError", "error_for_code",
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
    """The broker sent a response the client did not expect; the connection is dropped and the
    request retried on a new one."""


class CorruptResponseError(ProtocolError):
    """A broker response could not be decoded; the connection is dropped and the request retried
    on a new one."""


_BY_CODE: dict[int, type[BrokerError]] = {}


class BrokerError(KafkaError):
    """An error code returned by a broker. Each code has its own subclass (see BROKER_ERRORS)."""

    code: int
    name: ClassVar[str] = ""
    """Kafka's name of the error code, as in ``Errors.java`` (e.g. ``NOT_ENOUGH_REPLICAS``)."""

    def __init_subclass__(
        cls,
        *,
        code: int | None = None,
        name: str | None = None,
        invalid_metadata: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is None:
            return
        if code in _BY_CODE:
            raise TypeError(f"error code {code} is already {_BY_CODE[code].__name__}")
        if name is None:
            raise TypeError("a BrokerError subclass with a code needs its Kafka name")
        cls.code = code
        cls.name = name
        cls.invalid_metadata = invalid_metadata
        _BY_CODE[code] = cls

    def __init__(self, message: str | None = None) -> None:
        self.detail = message
        """The broker's own error message, or the client's detail for errors it detects."""
        explanation = _squash(type(self).__doc__)
        text = explanation if message is None else f"{message.rstrip('.')}. {explanation}"
        super().__init__(f"{text} [{self.name}, code {self.code}]")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.detail,), self.__dict__)


class UnknownBrokerError(BrokerError):
    """The broker returned an error code this version of ferrokafka does not know (a newer
    broker?). It is treated as fatal; check the broker's logs or upgrade ferrokafka."""

    name = "UNKNOWN_CODE"

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.detail), self.__dict__)


def error_for_code(code: int, message: str | None = None) -> BrokerError:
    """The exception for Kafka error ``code``, carrying the broker's ``message`` if it sent one.

    Unknown codes give `UnknownBrokerError` (not retriable, as in Java). Code 0 means no error
    and raises ValueError.
    """
    if code == 0:
        raise ValueError("error code 0 (NONE) means success, not an error")
    cls = _BY_CODE.get(code)
    if cls is None:
        return UnknownBrokerError(code, message)
    return cls(message)


# One class per code of apache/kafka Errors.java (4.1); the docstring is the message's
# explanation and fix. Codes no producer request can return say so, to point at a bug.


class UnknownServerError(BrokerError, code=-1, name="UNKNOWN_SERVER_ERROR"):
    """The broker hit an unexpected error handling the request; its log says why."""


class OffsetOutOfRangeError(BrokerError, code=1, name="OFFSET_OUT_OF_RANGE"):
    """The offset is outside the partition's log (a consumer error, not expected by a producer)."""


class CorruptRecordError(BrokerError, RetriableError, code=2, name="CORRUPT_MESSAGE"):
    """The broker found a batch with a bad CRC, an invalid size, or a null key on a compacted
    topic. Give every record on a compacted topic a key; otherwise the batch is retried."""


class UnknownTopicOrPartitionError(
    BrokerError, RetriableError, code=3, name="UNKNOWN_TOPIC_OR_PARTITION", invalid_metadata=True
):
    """The broker does not host this topic-partition: the topic does not exist (create it, or
    enable auto.create.topics.enable) or metadata is stale (refreshed and retried)."""


class InvalidFetchSizeError(BrokerError, code=4, name="INVALID_FETCH_SIZE"):
    """The fetch size is invalid (a consumer error, not expected by a producer)."""


class LeaderNotAvailableError(
    BrokerError, RetriableError, code=5, name="LEADER_NOT_AVAILABLE", invalid_metadata=True
):
    """The partition has no leader right now (an election is in progress, or the topic was just
    created); metadata is refreshed and the batch retried."""


class NotLeaderOrFollowerError(
    BrokerError, RetriableError, code=6, name="NOT_LEADER_OR_FOLLOWER", invalid_metadata=True
):
    """The broker is no longer the partition's leader; metadata is refreshed and the batch
    retried on the new leader."""


class RequestTimedOutError(BrokerError, KafkaTimeoutError, code=7, name="REQUEST_TIMED_OUT"):
    """The broker timed out, typically waiting for followers to acknowledge an acks=all write.
    Retried; if it persists, check replica health or raise request_timeout_ms."""


class BrokerNotAvailableError(BrokerError, code=8, name="BROKER_NOT_AVAILABLE"):
    """The broker is not available; check that it is running and reachable."""


class ReplicaNotAvailableError(
    BrokerError, RetriableError, code=9, name="REPLICA_NOT_AVAILABLE", invalid_metadata=True
):
    """A replica of the partition is not available; metadata is refreshed and the request
    retried."""


class RecordTooLargeError(BrokerError, code=10, name="MESSAGE_TOO_LARGE"):
    """The record is larger than allowed: by the producer's max_request_size, or by the broker's
    message.max.bytes / the topic's max.message.bytes. Send smaller records or enable
    compression, or raise max_request_size together with the topic's max.message.bytes."""


class ControllerMovedError(BrokerError, code=11, name="STALE_CONTROLLER_EPOCH"):
    """The controller moved to another broker (a controller error, not expected by a
    producer)."""


class OffsetMetadataTooLargeError(BrokerError, code=12, name="OFFSET_METADATA_TOO_LARGE"):
    """The offset metadata string is longer than the broker's offset.metadata.max.bytes; shorten
    the metadata passed with send_offsets_to_transaction."""


class NetworkError(
    BrokerError, KafkaConnectionError, code=13, name="NETWORK_EXCEPTION", invalid_metadata=True
):
    """The server disconnected before a response was received; metadata is refreshed and the
    request retried."""


class CoordinatorLoadInProgressError(
    BrokerError, RetriableError, code=14, name="COORDINATOR_LOAD_IN_PROGRESS"
):
    """The coordinator is still loading its state; the request is retried."""


class CoordinatorNotAvailableError(
    BrokerError, RetriableError, code=15, name="COORDINATOR_NOT_AVAILABLE"
):
    """The coordinator is not available (its internal topic may lack in-sync replicas); the
    coordinator is looked up again and the request retried."""


class NotCoordinatorError(BrokerError, RetriableError, code=16, name="NOT_COORDINATOR"):
    """This broker is not the coordinator; the coordinator is looked up again and the request
    retried."""


class InvalidTopicError(BrokerError, code=17, name="INVALID_TOPIC_EXCEPTION"):
    """The topic name is invalid: use 1 to 249 characters from [a-zA-Z0-9._-], not "." or "..",
    and do not write to internal topics such as __consumer_offsets."""


class RecordBatchTooLargeError(BrokerError, code=18, name="RECORD_LIST_TOO_LARGE"):
    """The batch is larger than the topic's log segment size; lower batch_size or raise the
    topic's segment.bytes."""


class NotEnoughReplicasError(BrokerError, RetriableError, code=19, name="NOT_ENOUGH_REPLICAS"):
    """Fewer in-sync replicas than the topic's min.insync.replicas, so the acks=all write was
    refused. It is retried until delivery_timeout_ms; bring the failed brokers back, or lower
    min.insync.replicas (at the cost of durability)."""


class NotEnoughReplicasAfterAppendError(
    BrokerError, RetriableError, code=20, name="NOT_ENOUGH_REPLICAS_AFTER_APPEND"
):
    """The records were written to the leader, but the in-sync replicas dropped below
    min.insync.replicas before acknowledging. Retried (idempotence prevents duplicates); bring
    the failed brokers back."""


class InvalidRequiredAcksError(BrokerError, code=21, name="INVALID_REQUIRED_ACKS"):
    """The broker rejected the acks value; use acks=0, 1 or 'all'."""


class IllegalGenerationError(BrokerError, code=22, name="ILLEGAL_GENERATION"):
    """The consumer group generation is stale: the group rebalanced. Pass the group metadata
    from the consumer's current generation to send_offsets_to_transaction."""


class InconsistentGroupProtocolError(BrokerError, code=23, name="INCONSISTENT_GROUP_PROTOCOL"):
    """The member's group protocols do not match the group's (a consumer error, not expected by
    a producer)."""


class InvalidGroupIdError(BrokerError, code=24, name="INVALID_GROUP_ID"):
    """The consumer group id is invalid; pass the consumer's group metadata to
    send_offsets_to_transaction."""


class UnknownMemberIdError(BrokerError, code=25, name="UNKNOWN_MEMBER_ID"):
    """The group coordinator does not know the member id: the consumer left or was removed from
    the group. Pass the consumer's current group metadata to send_offsets_to_transaction."""


class InvalidSessionTimeoutError(BrokerError, code=26, name="INVALID_SESSION_TIMEOUT"):
    """The session timeout is outside the broker's allowed range (a consumer error, not expected
    by a producer)."""


class RebalanceInProgressError(BrokerError, code=27, name="REBALANCE_IN_PROGRESS"):
    """The consumer group is rebalancing; abort the transaction and retry after the consumer
    rejoined."""


class InvalidCommitOffsetSizeError(BrokerError, code=28, name="INVALID_COMMIT_OFFSET_SIZE"):
    """The offset commit is too large; commit fewer partitions at once."""


class TopicAuthorizationFailedError(
    BrokerError, AuthorizationError, code=29, name="TOPIC_AUTHORIZATION_FAILED"
):
    """The principal may not write to (or describe) this topic; grant it WRITE and DESCRIBE on
    the topic."""


class GroupAuthorizationFailedError(
    BrokerError, AuthorizationError, code=30, name="GROUP_AUTHORIZATION_FAILED"
):
    """The principal may not use this consumer group; grant it READ on the group used with
    send_offsets_to_transaction."""


class ClusterAuthorizationFailedError(
    BrokerError, AuthorizationError, code=31, name="CLUSTER_AUTHORIZATION_FAILED"
):
    """The principal lacks a cluster-level ACL (brokers before 2.8 require IDEMPOTENT_WRITE for
    the idempotent producer); grant it, or set enable_idempotence=False."""


class InvalidTimestampError(BrokerError, code=32, name="INVALID_TIMESTAMP"):
    """The record's timestamp is outside the range the topic accepts
    (log.message.timestamp.before.max.ms / after.max.ms, one hour ahead by default in Kafka 4);
    send a current timestamp or leave timestamp_ms=None."""


class UnsupportedSaslMechanismError(
    BrokerError, AuthenticationError, code=33, name="UNSUPPORTED_SASL_MECHANISM"
):
    """The broker does not enable this SASL mechanism; set sasl_mechanism to one listed in the
    broker's sasl.enabled.mechanisms."""


class IllegalSaslStateError(BrokerError, AuthenticationError, code=34, name="ILLEGAL_SASL_STATE"):
    """The SASL exchange went out of order (a client bug, or a proxy altering traffic)."""


class UnsupportedVersionError(BrokerError, code=35, name="UNSUPPORTED_VERSION"):
    """The broker does not support a request version this feature needs; upgrade the brokers or
    do without the feature (e.g. transactions need Kafka 0.11+, this client needs 2.1+)."""


class TopicExistsError(BrokerError, code=36, name="TOPIC_ALREADY_EXISTS"):
    """A topic with this name already exists (an admin error, not expected by a producer)."""


class InvalidPartitionsError(BrokerError, code=37, name="INVALID_PARTITIONS"):
    """The number of partitions is invalid (an admin error, not expected by a producer)."""


class InvalidReplicationFactorError(BrokerError, code=38, name="INVALID_REPLICATION_FACTOR"):
    """The replication factor is below 1 or above the number of brokers (an admin error, or an
    auto-created topic with a default.replication.factor the cluster cannot satisfy)."""


class InvalidReplicaAssignmentError(BrokerError, code=39, name="INVALID_REPLICA_ASSIGNMENT"):
    """The replica assignment is invalid (an admin error, not expected by a producer)."""


class InvalidConfigurationError(BrokerError, code=40, name="INVALID_CONFIG"):
    """The broker rejected a configuration value (an admin error, not expected by a producer)."""


class NotControllerError(BrokerError, RetriableError, code=41, name="NOT_CONTROLLER"):
    """This broker is not the controller; retried against the current one."""


class InvalidRequestError(BrokerError, code=42, name="INVALID_REQUEST"):
    """The broker found the request malformed or unsupported; its log says why. Usually a
    client bug or an incompatible broker version; please report it."""


class UnsupportedForMessageFormatError(BrokerError, code=43, name="UNSUPPORTED_FOR_MESSAGE_FORMAT"):
    """The topic's message format is too old for this request (pre-0.11 formats cannot hold
    idempotent, transactional or header-carrying records); upgrade the topic's format."""


class PolicyViolationError(BrokerError, code=44, name="POLICY_VIOLATION"):
    """The request breaks a policy configured on the broker; see its log."""


class OutOfOrderSequenceNumberError(BrokerError, code=45, name="OUT_OF_ORDER_SEQUENCE_NUMBER"):
    """The broker received a sequence number out of order, so records may have been lost. The
    idempotent producer recovers by bumping its epoch; in a transaction, abort and retry it."""


class DuplicateSequenceNumberError(BrokerError, code=46, name="DUPLICATE_SEQUENCE_NUMBER"):
    """The broker already has this batch (a retry of a delivered batch); the producer treats it
    as delivered."""


class InvalidProducerEpochError(BrokerError, code=47, name="INVALID_PRODUCER_EPOCH"):
    """The producer's epoch is stale: another instance with the same transactional_id (or an
    epoch bump) superseded it. Abort the transaction; if it recurs, close this producer."""


class InvalidTxnStateError(BrokerError, code=48, name="INVALID_TXN_STATE"):
    """The transaction is not in a state that allows this operation (e.g. commit after the
    coordinator already aborted it on transaction_timeout_ms); abort and start again."""


class InvalidProducerIdMappingError(BrokerError, code=49, name="INVALID_PRODUCER_ID_MAPPING"):
    """The producer id is not assigned to this transactional_id any more (it expired after
    transactional.id.expiration.ms); call init_transactions() again."""


class InvalidTransactionTimeoutError(BrokerError, code=50, name="INVALID_TRANSACTION_TIMEOUT"):
    """transaction_timeout_ms is larger than the broker's transaction.max.timeout.ms (15 minutes
    by default); lower transaction_timeout_ms."""


class ConcurrentTransactionsError(
    BrokerError, RetriableError, code=51, name="CONCURRENT_TRANSACTIONS"
):
    """The previous transaction of this transactional_id is still completing; retried after a
    backoff."""


class TransactionCoordinatorFencedError(
    BrokerError, code=52, name="TRANSACTION_COORDINATOR_FENCED"
):
    """A transaction coordinator was superseded (a broker-to-broker error, not expected by a
    producer)."""


class TransactionalIdAuthorizationFailedError(
    BrokerError, AuthorizationError, code=53, name="TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
):
    """The principal may not use this transactional_id; grant it WRITE and DESCRIBE on the
    TransactionalId resource."""


class SecurityDisabledError(BrokerError, code=54, name="SECURITY_DISABLED"):
    """Security features are disabled on the broker (an admin error, not expected by a
    producer)."""


class OperationNotAttemptedError(BrokerError, code=55, name="OPERATION_NOT_ATTEMPTED"):
    """The broker skipped this part of a batched request because another part failed; see the
    other error for the cause."""


class KafkaStorageError(
    BrokerError, RetriableError, code=56, name="KAFKA_STORAGE_ERROR", invalid_metadata=True
):
    """The broker had a disk error on the partition's log directory; metadata is refreshed and
    the batch retried on the new leader. The broker's disk needs attention."""


class LogDirNotFoundError(BrokerError, code=57, name="LOG_DIR_NOT_FOUND"):
    """The log directory is not in the broker's config (an admin error, not expected by a
    producer)."""


class SaslAuthenticationFailedError(
    BrokerError, AuthenticationError, code=58, name="SASL_AUTHENTICATION_FAILED"
):
    """SASL authentication failed: check sasl_username / sasl_password (or the OAuth token) and
    that the user exists for this mechanism on the broker."""


class UnknownProducerIdError(BrokerError, code=59, name="UNKNOWN_PRODUCER_ID"):
    """The broker no longer has this producer's state (its records were deleted by retention).
    The idempotent producer recovers by bumping its epoch and resetting sequence numbers."""


class ReassignmentInProgressError(BrokerError, code=60, name="REASSIGNMENT_IN_PROGRESS"):
    """A partition reassignment is in progress (an admin error, not expected by a producer)."""


class DelegationTokenDisabledError(BrokerError, code=61, name="DELEGATION_TOKEN_AUTH_DISABLED"):
    """Delegation tokens are not enabled on the broker; not used by this client."""


class DelegationTokenNotFoundError(BrokerError, code=62, name="DELEGATION_TOKEN_NOT_FOUND"):
    """The delegation token does not exist; not used by this client."""


class DelegationTokenOwnerMismatchError(
    BrokerError, code=63, name="DELEGATION_TOKEN_OWNER_MISMATCH"
):
    """The principal does not own the delegation token; not used by this client."""


class DelegationTokenRequestNotAllowedError(
    BrokerError, code=64, name="DELEGATION_TOKEN_REQUEST_NOT_ALLOWED"
):
    """Delegation token requests need an authenticated SASL or mutual-TLS connection; not used
    by this client."""


class DelegationTokenAuthorizationFailedError(
    BrokerError, AuthorizationError, code=65, name="DELEGATION_TOKEN_AUTHORIZATION_FAILED"
):
    """The principal may not use the delegation token; not used by this client."""


class DelegationTokenExpiredError(BrokerError, code=66, name="DELEGATION_TOKEN_EXPIRED"):
    """The delegation token expired; not used by this client."""


class InvalidPrincipalTypeError(BrokerError, code=67, name="INVALID_PRINCIPAL_TYPE"):
    """The principal type is not supported (an admin error, not expected by a producer)."""


class GroupNotEmptyError(BrokerError, code=68, name="NON_EMPTY_GROUP"):
    """The consumer group still has members (an admin error, not expected by a producer)."""


class GroupIdNotFoundError(BrokerError, code=69, name="GROUP_ID_NOT_FOUND"):
    """The consumer group does not exist (an admin error, not expected by a producer)."""


class FetchSessionIdNotFoundError(
    BrokerError, RetriableError, code=70, name="FETCH_SESSION_ID_NOT_FOUND"
):
    """The fetch session was not found (a consumer error, not expected by a producer)."""


class InvalidFetchSessionEpochError(
    BrokerError, RetriableError, code=71, name="INVALID_FETCH_SESSION_EPOCH"
):
    """The fetch session epoch is invalid (a consumer error, not expected by a producer)."""


class ListenerNotFoundError(
    BrokerError, RetriableError, code=72, name="LISTENER_NOT_FOUND", invalid_metadata=True
):
    """The partition's leader has no listener matching the one this client connected to; check
    that every broker defines the same listener names. Metadata is refreshed and retried."""


class TopicDeletionDisabledError(BrokerError, code=73, name="TOPIC_DELETION_DISABLED"):
    """Topic deletion is disabled (an admin error, not expected by a producer)."""


class FencedLeaderEpochError(
    BrokerError, RetriableError, code=74, name="FENCED_LEADER_EPOCH", invalid_metadata=True
):
    """The request carried an older leader epoch than the broker's; metadata is refreshed and
    the request retried."""


class UnknownLeaderEpochError(BrokerError, RetriableError, code=75, name="UNKNOWN_LEADER_EPOCH"):
    """The request carried a newer leader epoch than the broker knows yet; retried."""


class UnsupportedCompressionTypeError(BrokerError, code=76, name="UNSUPPORTED_COMPRESSION_TYPE"):
    """The broker does not support this compression type for the request (zstd needs Kafka
    2.1+); choose another compression_type or upgrade the brokers."""


class StaleBrokerEpochError(BrokerError, code=77, name="STALE_BROKER_EPOCH"):
    """The broker epoch is stale (a broker-to-controller error, not expected by a producer)."""


class OffsetNotAvailableError(BrokerError, RetriableError, code=78, name="OFFSET_NOT_AVAILABLE"):
    """The leader's high watermark has not caught up after an election (a consumer error, not
    expected by a producer); retried."""


class MemberIdRequiredError(BrokerError, code=79, name="MEMBER_ID_REQUIRED"):
    """The group member needs a member id first (a consumer error, not expected by a
    producer)."""


class PreferredLeaderNotAvailableError(
    BrokerError,
    RetriableError,
    code=80,
    name="PREFERRED_LEADER_NOT_AVAILABLE",
    invalid_metadata=True,
):
    """The preferred leader is not available (an admin error, not expected by a producer)."""


class GroupMaxSizeReachedError(BrokerError, code=81, name="GROUP_MAX_SIZE_REACHED"):
    """The consumer group is full (a consumer error, not expected by a producer)."""


class FencedInstanceIdError(BrokerError, code=82, name="FENCED_INSTANCE_ID"):
    """Another consumer with the same group.instance.id joined the group; pass the current
    consumer's group metadata to send_offsets_to_transaction."""


class EligibleLeadersNotAvailableError(
    BrokerError,
    RetriableError,
    code=83,
    name="ELIGIBLE_LEADERS_NOT_AVAILABLE",
    invalid_metadata=True,
):
    """No eligible leader is available for the partition (an admin error, not expected by a
    producer)."""


class ElectionNotNeededError(
    BrokerError, RetriableError, code=84, name="ELECTION_NOT_NEEDED", invalid_metadata=True
):
    """A leader election was not needed (an admin error, not expected by a producer)."""


class NoReassignmentInProgressError(BrokerError, code=85, name="NO_REASSIGNMENT_IN_PROGRESS"):
    """No partition reassignment is in progress (an admin error, not expected by a producer)."""


class GroupSubscribedToTopicError(BrokerError, code=86, name="GROUP_SUBSCRIBED_TO_TOPIC"):
    """The group is subscribed to the topic (an admin error, not expected by a producer)."""


class InvalidRecordError(BrokerError, code=87, name="INVALID_RECORD"):
    """The broker's validation refused a record (e.g. no key on a compacted topic, or a schema
    or timestamp check); the detail says which. Fix the record; retrying cannot help."""


class UnstableOffsetCommitError(
    BrokerError, RetriableError, code=88, name="UNSTABLE_OFFSET_COMMIT"
):
    """Offsets of a pending transaction are not yet stable (a consumer error); retried."""


class ThrottlingQuotaExceededError(
    BrokerError, RetriableError, code=89, name="THROTTLING_QUOTA_EXCEEDED"
):
    """A controller mutation quota was exceeded (an admin error); retried after the throttle."""


class ProducerFencedError(BrokerError, code=90, name="PRODUCER_FENCED"):
    """A newer producer with the same transactional_id started and fenced this one. This
    producer cannot be used any more: close it, and make sure only one instance uses each
    transactional_id."""


class ResourceNotFoundError(BrokerError, code=91, name="RESOURCE_NOT_FOUND"):
    """The request referred to a resource that does not exist (an admin error)."""


class DuplicateResourceError(BrokerError, code=92, name="DUPLICATE_RESOURCE"):
    """The request named the same resource twice (an admin error)."""


class UnacceptableCredentialError(BrokerError, code=93, name="UNACCEPTABLE_CREDENTIAL"):
    """The credential does not meet the broker's criteria (an admin error)."""


class InconsistentVoterSetError(BrokerError, code=94, name="INCONSISTENT_VOTER_SET"):
    """The KRaft voter set is inconsistent (a controller error, not expected by a producer)."""


class InvalidUpdateVersionError(BrokerError, code=95, name="INVALID_UPDATE_VERSION"):
    """The update version is invalid (a controller error, not expected by a producer)."""


class FeatureUpdateFailedError(BrokerError, code=96, name="FEATURE_UPDATE_FAILED"):
    """Finalized features could not be updated (an admin error)."""


class PrincipalDeserializationError(BrokerError, code=97, name="PRINCIPAL_DESERIALIZATION_FAILURE"):
    """The broker could not deserialize a forwarded principal; the cluster's security setup is
    inconsistent (see the broker logs)."""


class SnapshotNotFoundError(BrokerError, code=98, name="SNAPSHOT_NOT_FOUND"):
    """The KRaft snapshot was not found (a controller error, not expected by a producer)."""


class PositionOutOfRangeError(BrokerError, code=99, name="POSITION_OUT_OF_RANGE"):
    """The snapshot position is out of range (a controller error, not expected by a
    producer)."""


class UnknownTopicIdError(
    BrokerError, RetriableError, code=100, name="UNKNOWN_TOPIC_ID", invalid_metadata=True
):
    """The broker does not host a topic with this id (the topic was deleted or recreated, or
    metadata is stale); metadata is refreshed and the batch retried."""


class DuplicateBrokerRegistrationError(BrokerError, code=101, name="DUPLICATE_BROKER_REGISTRATION"):
    """The broker id is already registered (a broker error, not expected by a producer)."""


class BrokerIdNotRegisteredError(BrokerError, code=102, name="BROKER_ID_NOT_REGISTERED"):
    """The broker id is not registered (a broker error, not expected by a producer)."""


class InconsistentTopicIdError(
    BrokerError, RetriableError, code=103, name="INCONSISTENT_TOPIC_ID", invalid_metadata=True
):
    """The log's topic id does not match the request's; metadata is refreshed and retried."""


class InconsistentClusterIdError(BrokerError, code=104, name="INCONSISTENT_CLUSTER_ID"):
    """The cluster id does not match the server's (a broker error, not expected by a
    producer)."""


class TransactionalIdNotFoundError(BrokerError, code=105, name="TRANSACTIONAL_ID_NOT_FOUND"):
    """The transactional id is not known to the coordinator (an admin error)."""


class FetchSessionTopicIdError(
    BrokerError, RetriableError, code=106, name="FETCH_SESSION_TOPIC_ID_ERROR"
):
    """The fetch session used topic ids inconsistently (a consumer error); retried."""


class IneligibleReplicaError(BrokerError, code=107, name="INELIGIBLE_REPLICA"):
    """A new ISR contains an ineligible replica (a broker error, not expected by a producer)."""


class NewLeaderElectedError(BrokerError, code=108, name="NEW_LEADER_ELECTED"):
    """The partition's leader changed during AlterPartition (a broker error, not expected by a
    producer)."""


class OffsetMovedToTieredStorageError(BrokerError, code=109, name="OFFSET_MOVED_TO_TIERED_STORAGE"):
    """The offset is in tiered storage (a consumer error, not expected by a producer)."""


class FencedMemberEpochError(BrokerError, code=110, name="FENCED_MEMBER_EPOCH"):
    """The group member's epoch was fenced: the consumer must rejoin. Pass its new group
    metadata to send_offsets_to_transaction."""


class UnreleasedInstanceIdError(BrokerError, code=111, name="UNRELEASED_INSTANCE_ID"):
    """The group.instance.id is still used by another member (a consumer error)."""


class UnsupportedAssignorError(BrokerError, code=112, name="UNSUPPORTED_ASSIGNOR"):
    """The assignor is not supported by the group (a consumer error)."""


class StaleMemberEpochError(BrokerError, code=113, name="STALE_MEMBER_EPOCH"):
    """The group member's epoch is stale; pass the consumer's current group metadata to
    send_offsets_to_transaction."""


class MismatchedEndpointTypeError(BrokerError, code=114, name="MISMATCHED_ENDPOINT_TYPE"):
    """The request went to an endpoint of the wrong type (a broker or controller listener);
    bootstrap_servers must name broker listeners."""


class UnsupportedEndpointTypeError(BrokerError, code=115, name="UNSUPPORTED_ENDPOINT_TYPE"):
    """The endpoint type is not supported yet (an admin error)."""


class UnknownControllerIdError(BrokerError, code=116, name="UNKNOWN_CONTROLLER_ID"):
    """The controller id is not known (an admin error)."""


class UnknownSubscriptionIdError(BrokerError, code=117, name="UNKNOWN_SUBSCRIPTION_ID"):
    """The client-telemetry subscription id is invalid or outdated; not used by this client."""


class TelemetryTooLargeError(BrokerError, code=118, name="TELEMETRY_TOO_LARGE"):
    """The client-telemetry push is too large; not used by this client."""


class InvalidRegistrationError(BrokerError, code=119, name="INVALID_REGISTRATION"):
    """The controller refused a broker registration (a broker error)."""


class TransactionAbortableError(BrokerError, code=120, name="TRANSACTION_ABORTABLE"):
    """The broker hit an error inside the transaction; abort it (abort_transaction) and run it
    again. The producer stays usable."""


class InvalidRecordStateError(BrokerError, code=121, name="INVALID_RECORD_STATE"):
    """The record state is invalid (a share-group consumer error)."""


class ShareSessionNotFoundError(
    BrokerError, RetriableError, code=122, name="SHARE_SESSION_NOT_FOUND"
):
    """The share session was not found (a share-group consumer error); retried."""


class InvalidShareSessionEpochError(
    BrokerError, RetriableError, code=123, name="INVALID_SHARE_SESSION_EPOCH"
):
    """The share session epoch is invalid (a share-group consumer error); retried."""


class FencedStateEpochError(BrokerError, code=124, name="FENCED_STATE_EPOCH"):
    """The share-group state epoch did not match (a broker error)."""


class InvalidVoterKeyError(BrokerError, code=125, name="INVALID_VOTER_KEY"):
    """The KRaft voter key does not match (a controller error)."""


class DuplicateVoterError(BrokerError, code=126, name="DUPLICATE_VOTER"):
    """The voter is already in the KRaft voter set (a controller error)."""


class VoterNotFoundError(BrokerError, code=127, name="VOTER_NOT_FOUND"):
    """The voter is not in the KRaft voter set (a controller error)."""


class InvalidRegularExpressionError(BrokerError, code=128, name="INVALID_REGULAR_EXPRESSION"):
    """The subscription regular expression is invalid (a consumer error)."""


class RebootstrapRequiredError(BrokerError, code=129, name="REBOOTSTRAP_REQUIRED"):
    """The client's metadata is too stale; it must reconnect through bootstrap_servers to
    rediscover the cluster."""


class StreamsInvalidTopologyError(BrokerError, code=130, name="STREAMS_INVALID_TOPOLOGY"):
    """The Streams topology is invalid (a Kafka Streams error)."""


class StreamsInvalidTopologyEpochError(
    BrokerError, code=131, name="STREAMS_INVALID_TOPOLOGY_EPOCH"
):
    """The Streams topology epoch is invalid (a Kafka Streams error)."""


class StreamsTopologyFencedError(BrokerError, code=132, name="STREAMS_TOPOLOGY_FENCED"):
    """The Streams topology epoch is outdated (a Kafka Streams error)."""


class ShareSessionLimitReachedError(
    BrokerError, RetriableError, code=133, name="SHARE_SESSION_LIMIT_REACHED"
):
    """The broker's share-session limit is reached (a share-group consumer error); retried."""


BROKER_ERRORS: Mapping[int, type[BrokerError]] = MappingProxyType(dict(sorted(_BY_CODE.items())))
"""Every known Kafka error code mapped to its exception class (read-only)."""
