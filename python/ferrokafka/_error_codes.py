"""Kafka's error codes in one table: code, name, what the client does about it, and what it
means for a user (with the fix).

One row per code of apache/kafka ``Errors.java`` (4.1), in the manner of franz-go's
``pkg/kerr/kerr.go``. ``RETRIABLE`` mirrors Java's ``RetriableException`` (sending again may
succeed), ``STALE_METADATA`` its ``InvalidMetadataException`` (the client's view of the cluster
is stale and is refreshed before retrying). Codes no producer request can return say so, to
point at a bug. The exception classes of `ferrokafka.errors` take their name, flags and
explanation from here; code elsewhere names a code as ``ErrorCode.NOT_LEADER_OR_FOLLOWER``,
never as a number.
"""

# The table's rows are one line each, so that one grep finds everything about a code.
# ruff: noqa: E501

from __future__ import annotations

import enum
from typing import Self

__all__ = ["FATAL", "RETRIABLE", "STALE_METADATA", "ErrorCode", "Handling"]


class Handling(enum.Flag):
    """What the client does when a broker returns a code."""

    FATAL = 0
    """Fails the request: sending again cannot help."""
    RETRIABLE = enum.auto()
    """Retried after a backoff, until ``delivery_timeout_ms``."""
    STALE_METADATA = enum.auto()
    """The client's metadata is probably stale: it is refreshed before the retry."""


FATAL = Handling.FATAL
RETRIABLE = Handling.RETRIABLE
STALE_METADATA = Handling.STALE_METADATA


class ErrorCode(enum.IntEnum):
    """A Kafka protocol error code (an int), with Kafka's name as its ``name``."""

    retriable: bool
    invalid_metadata: bool
    explanation: str
    """What the code means for a user of this producer, and the fix."""

    def __new__(cls, code: int, handling: Handling, explanation: str) -> Self:
        member = int.__new__(cls, code)
        member._value_ = code
        member.retriable = RETRIABLE in handling
        member.invalid_metadata = STALE_METADATA in handling
        member.explanation = explanation
        return member

    # fmt: off
    # name                                  code  handling                    explanation and fix
    UNKNOWN_SERVER_ERROR                  = -1,  FATAL,                      "The broker hit an unexpected error handling the request; its log says why."
    NONE                                  = 0,   FATAL,                      "No error."
    OFFSET_OUT_OF_RANGE                   = 1,   FATAL,                      "The offset is outside the partition's log (a consumer error, not expected by a producer)."
    CORRUPT_MESSAGE                       = 2,   RETRIABLE,                  "The broker found a batch with a bad CRC, an invalid size, or a null key on a compacted topic. Give every record on a compacted topic a key; otherwise the batch is retried."
    UNKNOWN_TOPIC_OR_PARTITION            = 3,   RETRIABLE | STALE_METADATA, "The broker does not host this topic-partition: the topic does not exist (create it, or enable auto.create.topics.enable) or metadata is stale (refreshed and retried)."
    INVALID_FETCH_SIZE                    = 4,   FATAL,                      "The fetch size is invalid (a consumer error, not expected by a producer)."
    LEADER_NOT_AVAILABLE                  = 5,   RETRIABLE | STALE_METADATA, "The partition has no leader right now (an election is in progress, or the topic was just created); metadata is refreshed and the batch retried."
    NOT_LEADER_OR_FOLLOWER                = 6,   RETRIABLE | STALE_METADATA, "The broker is no longer the partition's leader; metadata is refreshed and the batch retried on the new leader."
    REQUEST_TIMED_OUT                     = 7,   RETRIABLE,                  "The broker timed out, typically waiting for followers to acknowledge an acks=all write. Retried; if it persists, check replica health or raise request_timeout_ms."
    BROKER_NOT_AVAILABLE                  = 8,   FATAL,                      "The broker is not available; check that it is running and reachable."
    REPLICA_NOT_AVAILABLE                 = 9,   RETRIABLE | STALE_METADATA, "A replica of the partition is not available; metadata is refreshed and the request retried."
    MESSAGE_TOO_LARGE                     = 10,  FATAL,                      "A record must fit the producer's max_request_size (and buffer_memory), the broker's message.max.bytes and the topic's max.message.bytes: send smaller records or enable compression, or raise max_request_size together with the topic's max.message.bytes."
    STALE_CONTROLLER_EPOCH                = 11,  FATAL,                      "The controller moved to another broker (a controller error, not expected by a producer)."
    OFFSET_METADATA_TOO_LARGE             = 12,  FATAL,                      "The offset metadata string is longer than the broker's offset.metadata.max.bytes; shorten the metadata passed with send_offsets_to_transaction."
    NETWORK_EXCEPTION                     = 13,  RETRIABLE | STALE_METADATA, "The server disconnected before a response was received; metadata is refreshed and the request retried."
    COORDINATOR_LOAD_IN_PROGRESS          = 14,  RETRIABLE,                  "The coordinator is still loading its state; the request is retried."
    COORDINATOR_NOT_AVAILABLE             = 15,  RETRIABLE,                  "The coordinator is not available (its internal topic may lack in-sync replicas); the coordinator is looked up again and the request retried."
    NOT_COORDINATOR                       = 16,  RETRIABLE,                  "This broker is not the coordinator; the coordinator is looked up again and the request retried."
    INVALID_TOPIC_EXCEPTION               = 17,  FATAL,                      "The topic name is invalid: use 1 to 249 characters from [a-zA-Z0-9._-], not \".\" or \"..\", and do not write to internal topics such as __consumer_offsets."
    RECORD_LIST_TOO_LARGE                 = 18,  FATAL,                      "The batch is larger than the topic's log segment size; lower batch_size or raise the topic's segment.bytes."
    NOT_ENOUGH_REPLICAS                   = 19,  RETRIABLE,                  "Fewer in-sync replicas than the topic's min.insync.replicas, so the acks=all write was refused. It is retried until delivery_timeout_ms; bring the failed brokers back, or lower min.insync.replicas (at the cost of durability)."
    NOT_ENOUGH_REPLICAS_AFTER_APPEND      = 20,  RETRIABLE,                  "The records were written to the leader, but the in-sync replicas dropped below min.insync.replicas before acknowledging. Retried (idempotence prevents duplicates); bring the failed brokers back."
    INVALID_REQUIRED_ACKS                 = 21,  FATAL,                      "The broker rejected the acks value; use acks=0, 1 or 'all'."
    ILLEGAL_GENERATION                    = 22,  FATAL,                      "The consumer group generation is stale: the group rebalanced. Pass the group metadata from the consumer's current generation to send_offsets_to_transaction."
    INCONSISTENT_GROUP_PROTOCOL           = 23,  FATAL,                      "The member's group protocols do not match the group's (a consumer error, not expected by a producer)."
    INVALID_GROUP_ID                      = 24,  FATAL,                      "The consumer group id is invalid; pass the consumer's group metadata to send_offsets_to_transaction."
    UNKNOWN_MEMBER_ID                     = 25,  FATAL,                      "The group coordinator does not know the member id: the consumer left or was removed from the group. Pass the consumer's current group metadata to send_offsets_to_transaction."
    INVALID_SESSION_TIMEOUT               = 26,  FATAL,                      "The session timeout is outside the broker's allowed range (a consumer error, not expected by a producer)."
    REBALANCE_IN_PROGRESS                 = 27,  FATAL,                      "The consumer group is rebalancing; abort the transaction and retry after the consumer rejoined."
    INVALID_COMMIT_OFFSET_SIZE            = 28,  FATAL,                      "The offset commit is too large; commit fewer partitions at once."
    TOPIC_AUTHORIZATION_FAILED            = 29,  FATAL,                      "The principal may not write to (or describe) this topic; grant it WRITE and DESCRIBE on the topic."
    GROUP_AUTHORIZATION_FAILED            = 30,  FATAL,                      "The principal may not use this consumer group; grant it READ on the group used with send_offsets_to_transaction."
    CLUSTER_AUTHORIZATION_FAILED          = 31,  FATAL,                      "The principal lacks a cluster-level ACL (brokers before 2.8 require IDEMPOTENT_WRITE for the idempotent producer); grant it, or set enable_idempotence=False."
    INVALID_TIMESTAMP                     = 32,  FATAL,                      "The record's timestamp is outside the range the topic accepts (log.message.timestamp.before.max.ms / after.max.ms, one hour ahead by default in Kafka 4); send a current timestamp or leave timestamp_ms=None."
    UNSUPPORTED_SASL_MECHANISM            = 33,  FATAL,                      "The broker does not enable this SASL mechanism; set sasl_mechanism to one listed in the broker's sasl.enabled.mechanisms."
    ILLEGAL_SASL_STATE                    = 34,  FATAL,                      "The SASL exchange went out of order (a client bug, or a proxy altering traffic)."
    UNSUPPORTED_VERSION                   = 35,  FATAL,                      "The broker does not support a request version this feature needs; upgrade the brokers or do without the feature (e.g. transactions need Kafka 0.11+, this client needs 2.1+)."
    TOPIC_ALREADY_EXISTS                  = 36,  FATAL,                      "A topic with this name already exists (an admin error, not expected by a producer)."
    INVALID_PARTITIONS                    = 37,  FATAL,                      "The number of partitions is invalid (an admin error, not expected by a producer)."
    INVALID_REPLICATION_FACTOR            = 38,  FATAL,                      "The replication factor is below 1 or above the number of brokers (an admin error, or an auto-created topic with a default.replication.factor the cluster cannot satisfy)."
    INVALID_REPLICA_ASSIGNMENT            = 39,  FATAL,                      "The replica assignment is invalid (an admin error, not expected by a producer)."
    INVALID_CONFIG                        = 40,  FATAL,                      "The broker rejected a configuration value (an admin error, not expected by a producer)."
    NOT_CONTROLLER                        = 41,  RETRIABLE,                  "This broker is not the controller; retried against the current one."
    INVALID_REQUEST                       = 42,  FATAL,                      "The broker found the request malformed or unsupported; its log says why. Usually a client bug or an incompatible broker version; please report it."
    UNSUPPORTED_FOR_MESSAGE_FORMAT        = 43,  FATAL,                      "The topic's message format is too old for this request (pre-0.11 formats cannot hold idempotent, transactional or header-carrying records); upgrade the topic's format."
    POLICY_VIOLATION                      = 44,  FATAL,                      "The request breaks a policy configured on the broker; see its log."
    OUT_OF_ORDER_SEQUENCE_NUMBER          = 45,  FATAL,                      "The broker received a sequence number out of order, so records may have been lost. The idempotent producer recovers by bumping its epoch; in a transaction, abort and retry it."
    DUPLICATE_SEQUENCE_NUMBER             = 46,  FATAL,                      "The broker already has this batch (a retry of a delivered batch); the producer treats it as delivered."
    INVALID_PRODUCER_EPOCH                = 47,  FATAL,                      "The producer's epoch is stale: another instance with the same transactional_id (or an epoch bump) superseded it. Abort the transaction; if it recurs, close this producer."
    INVALID_TXN_STATE                     = 48,  FATAL,                      "The transaction is not in a state that allows this operation (e.g. commit after the coordinator already aborted it on transaction_timeout_ms); abort and start again."
    INVALID_PRODUCER_ID_MAPPING           = 49,  FATAL,                      "The producer id is not assigned to this transactional_id any more (it expired after transactional.id.expiration.ms); call init_transactions() again."
    INVALID_TRANSACTION_TIMEOUT           = 50,  FATAL,                      "transaction_timeout_ms is larger than the broker's transaction.max.timeout.ms (15 minutes by default); lower transaction_timeout_ms."
    CONCURRENT_TRANSACTIONS               = 51,  RETRIABLE,                  "The previous transaction of this transactional_id is still completing; retried after a backoff."
    TRANSACTION_COORDINATOR_FENCED        = 52,  FATAL,                      "A transaction coordinator was superseded (a broker-to-broker error, not expected by a producer)."
    TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,  FATAL,                      "The principal may not use this transactional_id; grant it WRITE and DESCRIBE on the TransactionalId resource."
    SECURITY_DISABLED                     = 54,  FATAL,                      "Security features are disabled on the broker (an admin error, not expected by a producer)."
    OPERATION_NOT_ATTEMPTED               = 55,  FATAL,                      "The broker skipped this part of a batched request because another part failed; see the other error for the cause."
    KAFKA_STORAGE_ERROR                   = 56,  RETRIABLE | STALE_METADATA, "The broker had a disk error on the partition's log directory; metadata is refreshed and the batch retried on the new leader. The broker's disk needs attention."
    LOG_DIR_NOT_FOUND                     = 57,  FATAL,                      "The log directory is not in the broker's config (an admin error, not expected by a producer)."
    SASL_AUTHENTICATION_FAILED            = 58,  FATAL,                      "SASL authentication failed: check sasl_username / sasl_password (or the OAuth token) and that the user exists for this mechanism on the broker."
    UNKNOWN_PRODUCER_ID                   = 59,  FATAL,                      "The broker no longer has this producer's state (its records were deleted by retention). The idempotent producer recovers by bumping its epoch and resetting sequence numbers."
    REASSIGNMENT_IN_PROGRESS              = 60,  FATAL,                      "A partition reassignment is in progress (an admin error, not expected by a producer)."
    DELEGATION_TOKEN_AUTH_DISABLED        = 61,  FATAL,                      "Delegation tokens are not enabled on the broker; not used by this client."
    DELEGATION_TOKEN_NOT_FOUND            = 62,  FATAL,                      "The delegation token does not exist; not used by this client."
    DELEGATION_TOKEN_OWNER_MISMATCH       = 63,  FATAL,                      "The principal does not own the delegation token; not used by this client."
    DELEGATION_TOKEN_REQUEST_NOT_ALLOWED  = 64,  FATAL,                      "Delegation token requests need an authenticated SASL or mutual-TLS connection; not used by this client."
    DELEGATION_TOKEN_AUTHORIZATION_FAILED = 65,  FATAL,                      "The principal may not use the delegation token; not used by this client."
    DELEGATION_TOKEN_EXPIRED              = 66,  FATAL,                      "The delegation token expired; not used by this client."
    INVALID_PRINCIPAL_TYPE                = 67,  FATAL,                      "The principal type is not supported (an admin error, not expected by a producer)."
    NON_EMPTY_GROUP                       = 68,  FATAL,                      "The consumer group still has members (an admin error, not expected by a producer)."
    GROUP_ID_NOT_FOUND                    = 69,  FATAL,                      "The consumer group does not exist (an admin error, not expected by a producer)."
    FETCH_SESSION_ID_NOT_FOUND            = 70,  RETRIABLE,                  "The fetch session was not found (a consumer error, not expected by a producer)."
    INVALID_FETCH_SESSION_EPOCH           = 71,  RETRIABLE,                  "The fetch session epoch is invalid (a consumer error, not expected by a producer)."
    LISTENER_NOT_FOUND                    = 72,  RETRIABLE | STALE_METADATA, "The partition's leader has no listener matching the one this client connected to; check that every broker defines the same listener names. Metadata is refreshed and retried."
    TOPIC_DELETION_DISABLED               = 73,  FATAL,                      "Topic deletion is disabled (an admin error, not expected by a producer)."
    FENCED_LEADER_EPOCH                   = 74,  RETRIABLE | STALE_METADATA, "The request carried an older leader epoch than the broker's; metadata is refreshed and the request retried."
    UNKNOWN_LEADER_EPOCH                  = 75,  RETRIABLE,                  "The request carried a newer leader epoch than the broker knows yet; retried."
    UNSUPPORTED_COMPRESSION_TYPE          = 76,  FATAL,                      "The broker does not support this compression type for the request (zstd needs Kafka 2.1+); choose another compression_type or upgrade the brokers."
    STALE_BROKER_EPOCH                    = 77,  FATAL,                      "The broker epoch is stale (a broker-to-controller error, not expected by a producer)."
    OFFSET_NOT_AVAILABLE                  = 78,  RETRIABLE,                  "The leader's high watermark has not caught up after an election (a consumer error, not expected by a producer); retried."
    MEMBER_ID_REQUIRED                    = 79,  FATAL,                      "The group member needs a member id first (a consumer error, not expected by a producer)."
    PREFERRED_LEADER_NOT_AVAILABLE        = 80,  RETRIABLE | STALE_METADATA, "The preferred leader is not available (an admin error, not expected by a producer)."
    GROUP_MAX_SIZE_REACHED                = 81,  FATAL,                      "The consumer group is full (a consumer error, not expected by a producer)."
    FENCED_INSTANCE_ID                    = 82,  FATAL,                      "Another consumer with the same group.instance.id joined the group; pass the current consumer's group metadata to send_offsets_to_transaction."
    ELIGIBLE_LEADERS_NOT_AVAILABLE        = 83,  RETRIABLE | STALE_METADATA, "No eligible leader is available for the partition (an admin error, not expected by a producer)."
    ELECTION_NOT_NEEDED                   = 84,  RETRIABLE | STALE_METADATA, "A leader election was not needed (an admin error, not expected by a producer)."
    NO_REASSIGNMENT_IN_PROGRESS           = 85,  FATAL,                      "No partition reassignment is in progress (an admin error, not expected by a producer)."
    GROUP_SUBSCRIBED_TO_TOPIC             = 86,  FATAL,                      "The group is subscribed to the topic (an admin error, not expected by a producer)."
    INVALID_RECORD                        = 87,  FATAL,                      "The broker's validation refused a record (e.g. no key on a compacted topic, or a schema or timestamp check); the detail says which. Fix the record; retrying cannot help."
    UNSTABLE_OFFSET_COMMIT                = 88,  RETRIABLE,                  "Offsets of a pending transaction are not yet stable (a consumer error); retried."
    THROTTLING_QUOTA_EXCEEDED             = 89,  RETRIABLE,                  "A controller mutation quota was exceeded (an admin error); retried after the throttle."
    PRODUCER_FENCED                       = 90,  FATAL,                      "A newer producer with the same transactional_id started and fenced this one. This producer cannot be used any more: close it, and make sure only one instance uses each transactional_id."
    RESOURCE_NOT_FOUND                    = 91,  FATAL,                      "The request referred to a resource that does not exist (an admin error)."
    DUPLICATE_RESOURCE                    = 92,  FATAL,                      "The request named the same resource twice (an admin error)."
    UNACCEPTABLE_CREDENTIAL               = 93,  FATAL,                      "The credential does not meet the broker's criteria (an admin error)."
    INCONSISTENT_VOTER_SET                = 94,  FATAL,                      "The KRaft voter set is inconsistent (a controller error, not expected by a producer)."
    INVALID_UPDATE_VERSION                = 95,  FATAL,                      "The update version is invalid (a controller error, not expected by a producer)."
    FEATURE_UPDATE_FAILED                 = 96,  FATAL,                      "Finalized features could not be updated (an admin error)."
    PRINCIPAL_DESERIALIZATION_FAILURE     = 97,  FATAL,                      "The broker could not deserialize a forwarded principal; the cluster's security setup is inconsistent (see the broker logs)."
    SNAPSHOT_NOT_FOUND                    = 98,  FATAL,                      "The KRaft snapshot was not found (a controller error, not expected by a producer)."
    POSITION_OUT_OF_RANGE                 = 99,  FATAL,                      "The snapshot position is out of range (a controller error, not expected by a producer)."
    UNKNOWN_TOPIC_ID                      = 100, RETRIABLE | STALE_METADATA, "The broker does not host a topic with this id (the topic was deleted or recreated, or metadata is stale); metadata is refreshed and the batch retried."
    DUPLICATE_BROKER_REGISTRATION         = 101, FATAL,                      "The broker id is already registered (a broker error, not expected by a producer)."
    BROKER_ID_NOT_REGISTERED              = 102, FATAL,                      "The broker id is not registered (a broker error, not expected by a producer)."
    INCONSISTENT_TOPIC_ID                 = 103, RETRIABLE | STALE_METADATA, "The log's topic id does not match the request's; metadata is refreshed and retried."
    INCONSISTENT_CLUSTER_ID               = 104, FATAL,                      "The cluster id does not match the server's (a broker error, not expected by a producer)."
    TRANSACTIONAL_ID_NOT_FOUND            = 105, FATAL,                      "The transactional id is not known to the coordinator (an admin error)."
    FETCH_SESSION_TOPIC_ID_ERROR          = 106, RETRIABLE,                  "The fetch session used topic ids inconsistently (a consumer error); retried."
    INELIGIBLE_REPLICA                    = 107, FATAL,                      "A new ISR contains an ineligible replica (a broker error, not expected by a producer)."
    NEW_LEADER_ELECTED                    = 108, FATAL,                      "The partition's leader changed during AlterPartition (a broker error, not expected by a producer)."
    OFFSET_MOVED_TO_TIERED_STORAGE        = 109, FATAL,                      "The offset is in tiered storage (a consumer error, not expected by a producer)."
    FENCED_MEMBER_EPOCH                   = 110, FATAL,                      "The group member's epoch was fenced: the consumer must rejoin. Pass its new group metadata to send_offsets_to_transaction."
    UNRELEASED_INSTANCE_ID                = 111, FATAL,                      "The group.instance.id is still used by another member (a consumer error)."
    UNSUPPORTED_ASSIGNOR                  = 112, FATAL,                      "The assignor is not supported by the group (a consumer error)."
    STALE_MEMBER_EPOCH                    = 113, FATAL,                      "The group member's epoch is stale; pass the consumer's current group metadata to send_offsets_to_transaction."
    MISMATCHED_ENDPOINT_TYPE              = 114, FATAL,                      "The request went to an endpoint of the wrong type (a broker or controller listener); bootstrap_servers must name broker listeners."
    UNSUPPORTED_ENDPOINT_TYPE             = 115, FATAL,                      "The endpoint type is not supported yet (an admin error)."
    UNKNOWN_CONTROLLER_ID                 = 116, FATAL,                      "The controller id is not known (an admin error)."
    UNKNOWN_SUBSCRIPTION_ID               = 117, FATAL,                      "The client-telemetry subscription id is invalid or outdated; not used by this client."
    TELEMETRY_TOO_LARGE                   = 118, FATAL,                      "The client-telemetry push is too large; not used by this client."
    INVALID_REGISTRATION                  = 119, FATAL,                      "The controller refused a broker registration (a broker error)."
    TRANSACTION_ABORTABLE                 = 120, FATAL,                      "The broker hit an error inside the transaction; abort it (abort_transaction) and run it again. The producer stays usable."
    INVALID_RECORD_STATE                  = 121, FATAL,                      "The record state is invalid (a share-group consumer error)."
    SHARE_SESSION_NOT_FOUND               = 122, RETRIABLE,                  "The share session was not found (a share-group consumer error); retried."
    INVALID_SHARE_SESSION_EPOCH           = 123, RETRIABLE,                  "The share session epoch is invalid (a share-group consumer error); retried."
    FENCED_STATE_EPOCH                    = 124, FATAL,                      "The share-group state epoch did not match (a broker error)."
    INVALID_VOTER_KEY                     = 125, FATAL,                      "The KRaft voter key does not match (a controller error)."
    DUPLICATE_VOTER                       = 126, FATAL,                      "The voter is already in the KRaft voter set (a controller error)."
    VOTER_NOT_FOUND                       = 127, FATAL,                      "The voter is not in the KRaft voter set (a controller error)."
    INVALID_REGULAR_EXPRESSION            = 128, FATAL,                      "The subscription regular expression is invalid (a consumer error)."
    REBOOTSTRAP_REQUIRED                  = 129, FATAL,                      "The client's metadata is too stale; it must reconnect through bootstrap_servers to rediscover the cluster."
    STREAMS_INVALID_TOPOLOGY              = 130, FATAL,                      "The Streams topology is invalid (a Kafka Streams error)."
    STREAMS_INVALID_TOPOLOGY_EPOCH        = 131, FATAL,                      "The Streams topology epoch is invalid (a Kafka Streams error)."
    STREAMS_TOPOLOGY_FENCED               = 132, FATAL,                      "The Streams topology epoch is outdated (a Kafka Streams error)."
    SHARE_SESSION_LIMIT_REACHED           = 133, RETRIABLE,                  "The broker's share-session limit is reached (a share-group consumer error); retried."
    # fmt: on
