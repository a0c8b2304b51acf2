"""The exception tree and the table of Kafka error codes."""

from __future__ import annotations

import inspect
import pathlib
import pickle
import re

import pytest

from ferrokafka import errors
from ferrokafka.errors import (
    BROKER_ERRORS,
    AuthenticationError,
    AuthorizationError,
    BrokerError,
    BufferFullError,
    ConfigError,
    DuplicateSequenceNumberError,
    ErrorCode,
    IllegalStateError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    NetworkError,
    NotEnoughReplicasAfterAppendError,
    NotEnoughReplicasError,
    NotLeaderOrFollowerError,
    OutOfOrderSequenceNumberError,
    PartitionOutOfRangeError,
    ProducerClosedError,
    ProducerFencedError,
    ProtocolError,
    RecordTooLargeError,
    RetriableError,
    SaslAuthenticationFailedError,
    SerializationError,
    TopicAuthorizationFailedError,
    UnknownBrokerError,
    UnknownLeaderEpochError,
    UnknownProducerIdError,
    UnknownServerError,
    UnknownTopicOrPartitionError,
    UnsupportedVersionError,
    error_for_code,
)

# Transcribed from Kafka 4.1's Errors.values(): code and name of every error but NONE.
# fmt: off
JAVA_CODES = """
    -1 UNKNOWN_SERVER_ERROR  1 OFFSET_OUT_OF_RANGE  2 CORRUPT_MESSAGE
    3 UNKNOWN_TOPIC_OR_PARTITION  4 INVALID_FETCH_SIZE  5 LEADER_NOT_AVAILABLE
    6 NOT_LEADER_OR_FOLLOWER  7 REQUEST_TIMED_OUT  8 BROKER_NOT_AVAILABLE
    9 REPLICA_NOT_AVAILABLE  10 MESSAGE_TOO_LARGE  11 STALE_CONTROLLER_EPOCH
    12 OFFSET_METADATA_TOO_LARGE  13 NETWORK_EXCEPTION  14 COORDINATOR_LOAD_IN_PROGRESS
    15 COORDINATOR_NOT_AVAILABLE  16 NOT_COORDINATOR  17 INVALID_TOPIC_EXCEPTION
    18 RECORD_LIST_TOO_LARGE  19 NOT_ENOUGH_REPLICAS  20 NOT_ENOUGH_REPLICAS_AFTER_APPEND
    21 INVALID_REQUIRED_ACKS  22 ILLEGAL_GENERATION  23 INCONSISTENT_GROUP_PROTOCOL
    24 INVALID_GROUP_ID  25 UNKNOWN_MEMBER_ID  26 INVALID_SESSION_TIMEOUT
    27 REBALANCE_IN_PROGRESS  28 INVALID_COMMIT_OFFSET_SIZE  29 TOPIC_AUTHORIZATION_FAILED
    30 GROUP_AUTHORIZATION_FAILED  31 CLUSTER_AUTHORIZATION_FAILED  32 INVALID_TIMESTAMP
    33 UNSUPPORTED_SASL_MECHANISM  34 ILLEGAL_SASL_STATE  35 UNSUPPORTED_VERSION
    36 TOPIC_ALREADY_EXISTS  37 INVALID_PARTITIONS  38 INVALID_REPLICATION_FACTOR
    39 INVALID_REPLICA_ASSIGNMENT  40 INVALID_CONFIG  41 NOT_CONTROLLER  42 INVALID_REQUEST
    43 UNSUPPORTED_FOR_MESSAGE_FORMAT  44 POLICY_VIOLATION  45 OUT_OF_ORDER_SEQUENCE_NUMBER
    46 DUPLICATE_SEQUENCE_NUMBER  47 INVALID_PRODUCER_EPOCH  48 INVALID_TXN_STATE
    49 INVALID_PRODUCER_ID_MAPPING  50 INVALID_TRANSACTION_TIMEOUT  51 CONCURRENT_TRANSACTIONS
    52 TRANSACTION_COORDINATOR_FENCED  53 TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    54 SECURITY_DISABLED  55 OPERATION_NOT_ATTEMPTED  56 KAFKA_STORAGE_ERROR
    57 LOG_DIR_NOT_FOUND  58 SASL_AUTHENTICATION_FAILED  59 UNKNOWN_PRODUCER_ID
    60 REASSIGNMENT_IN_PROGRESS  61 DELEGATION_TOKEN_AUTH_DISABLED  62 DELEGATION_TOKEN_NOT_FOUND
    63 DELEGATION_TOKEN_OWNER_MISMATCH  64 DELEGATION_TOKEN_REQUEST_NOT_ALLOWED
    65 DELEGATION_TOKEN_AUTHORIZATION_FAILED  66 DELEGATION_TOKEN_EXPIRED
    67 INVALID_PRINCIPAL_TYPE  68 NON_EMPTY_GROUP  69 GROUP_ID_NOT_FOUND
    70 FETCH_SESSION_ID_NOT_FOUND  71 INVALID_FETCH_SESSION_EPOCH  72 LISTENER_NOT_FOUND
    73 TOPIC_DELETION_DISABLED  74 FENCED_LEADER_EPOCH  75 UNKNOWN_LEADER_EPOCH
    76 UNSUPPORTED_COMPRESSION_TYPE  77 STALE_BROKER_EPOCH  78 OFFSET_NOT_AVAILABLE
    79 MEMBER_ID_REQUIRED  80 PREFERRED_LEADER_NOT_AVAILABLE  81 GROUP_MAX_SIZE_REACHED
    82 FENCED_INSTANCE_ID  83 ELIGIBLE_LEADERS_NOT_AVAILABLE  84 ELECTION_NOT_NEEDED
    85 NO_REASSIGNMENT_IN_PROGRESS  86 GROUP_SUBSCRIBED_TO_TOPIC  87 INVALID_RECORD
    88 UNSTABLE_OFFSET_COMMIT  89 THROTTLING_QUOTA_EXCEEDED  90 PRODUCER_FENCED
    91 RESOURCE_NOT_FOUND  92 DUPLICATE_RESOURCE  93 UNACCEPTABLE_CREDENTIAL
    94 INCONSISTENT_VOTER_SET  95 INVALID_UPDATE_VERSION  96 FEATURE_UPDATE_FAILED
    97 PRINCIPAL_DESERIALIZATION_FAILURE  98 SNAPSHOT_NOT_FOUND  99 POSITION_OUT_OF_RANGE
    100 UNKNOWN_TOPIC_ID  101 DUPLICATE_BROKER_REGISTRATION  102 BROKER_ID_NOT_REGISTERED
    103 INCONSISTENT_TOPIC_ID  104 INCONSISTENT_CLUSTER_ID  105 TRANSACTIONAL_ID_NOT_FOUND
    106 FETCH_SESSION_TOPIC_ID_ERROR  107 INELIGIBLE_REPLICA  108 NEW_LEADER_ELECTED
    109 OFFSET_MOVED_TO_TIERED_STORAGE  110 FENCED_MEMBER_EPOCH  111 UNRELEASED_INSTANCE_ID
    112 UNSUPPORTED_ASSIGNOR  113 STALE_MEMBER_EPOCH  114 MISMATCHED_ENDPOINT_TYPE
    115 UNSUPPORTED_ENDPOINT_TYPE  116 UNKNOWN_CONTROLLER_ID  117 UNKNOWN_SUBSCRIPTION_ID
    118 TELEMETRY_TOO_LARGE  119 INVALID_REGISTRATION  120 TRANSACTION_ABORTABLE
    121 INVALID_RECORD_STATE  122 SHARE_SESSION_NOT_FOUND  123 INVALID_SHARE_SESSION_EPOCH
    124 FENCED_STATE_EPOCH  125 INVALID_VOTER_KEY  126 DUPLICATE_VOTER  127 VOTER_NOT_FOUND
    128 INVALID_REGULAR_EXPRESSION  129 REBOOTSTRAP_REQUIRED  130 STREAMS_INVALID_TOPOLOGY
    131 STREAMS_INVALID_TOPOLOGY_EPOCH  132 STREAMS_TOPOLOGY_FENCED
    133 SHARE_SESSION_LIMIT_REACHED
"""
# fmt: on
_PAIRS = JAVA_CODES.split()
JAVA_NAMES = {int(code): name for code, name in zip(_PAIRS[::2], _PAIRS[1::2], strict=True)}

# Codes whose Java exception extends RetriableException / InvalidMetadataException.
JAVA_RETRIABLE = {
    2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 70, 71, 72, 74, 75, 78, 80, 83, 84,
    88, 89, 100, 103, 106, 122, 123, 133,
}  # fmt: skip
JAVA_INVALID_METADATA = {3, 5, 6, 9, 13, 56, 72, 74, 80, 83, 84, 100, 103}


def test_table_has_every_java_code_with_its_name() -> None:
    assert {code: cls.name for code, cls in BROKER_ERRORS.items()} == JAVA_NAMES


def test_retriable_and_invalid_metadata_flags_match_java() -> None:
    assert {code for code, cls in BROKER_ERRORS.items() if cls.retriable} == JAVA_RETRIABLE
    invalid = {code for code, cls in BROKER_ERRORS.items() if cls.invalid_metadata}
    assert invalid == JAVA_INVALID_METADATA


@pytest.mark.parametrize("code", sorted(JAVA_NAMES))
def test_error_for_code_builds_the_typed_exception(code: int) -> None:
    error = error_for_code(code)
    assert type(error) is BROKER_ERRORS[code]
    assert error.code == code
    assert isinstance(error, BrokerError)
    assert isinstance(error, KafkaError)
    # `except RetriableError` must agree with the flag.
    assert isinstance(error, RetriableError) == error.retriable
    assert f"[{JAVA_NAMES[code]}, code {code}]" in str(error)


def test_each_class_takes_name_flags_and_explanation_from_the_table() -> None:
    codes = [code for code in ErrorCode if code is not ErrorCode.NONE]
    assert sorted(codes) == sorted(BROKER_ERRORS)
    for code in codes:
        cls = BROKER_ERRORS[code]
        assert cls.code is code
        assert (cls.name, cls.retriable, cls.invalid_metadata) == (
            code.name,
            code.retriable,
            code.invalid_metadata,
        )
        assert cls.__doc__ == code.explanation
        assert code.explanation in str(cls())


def test_error_codes_are_named_ints() -> None:
    assert ErrorCode.NOT_LEADER_OR_FOLLOWER == 6
    assert ErrorCode(6) is ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert ErrorCode.NONE == 0
    assert error_for_code(ErrorCode.NOT_LEADER_OR_FOLLOWER).code is ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert f"{ErrorCode.MESSAGE_TOO_LARGE:d}" == "10"


def test_a_class_must_agree_with_the_table_on_retriable() -> None:
    with pytest.raises(TypeError, match="NOT_ENOUGH_REPLICAS is retriable; its bases must agree"):

        class _NotRetriable(BrokerError, code=ErrorCode.NOT_ENOUGH_REPLICAS):
            pass


def test_product_code_names_error_codes_instead_of_numbers() -> None:
    # A comparison of a code with a number, or a set of numbers, outside the table.
    literal = re.compile(r"(error_code|\bcode)\s*(==|!=|in)\s*[({]?\s*-?\d")
    package = pathlib.Path(errors.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in package.rglob("*.py")
        # The table itself; the harness compares process exit codes, not Kafka's.
        if path.name != "_error_codes.py" and "testing" not in path.relative_to(package).parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []


def test_named_classes_carry_the_expected_codes() -> None:
    expected = {
        NotEnoughReplicasError: 19,
        NotEnoughReplicasAfterAppendError: 20,
        RecordTooLargeError: 10,
        TopicAuthorizationFailedError: 29,
        NotLeaderOrFollowerError: 6,
        UnknownTopicOrPartitionError: 3,
        OutOfOrderSequenceNumberError: 45,
        DuplicateSequenceNumberError: 46,
        UnknownProducerIdError: 59,
        ProducerFencedError: 90,
        UnsupportedVersionError: 35,
        UnknownServerError: -1,
        errors.InvalidProducerEpochError: 47,
        errors.InvalidTopicError: 17,
    }
    for cls, code in expected.items():
        assert cls.code == code, cls


def test_message_explains_the_fix_and_keeps_the_broker_detail() -> None:
    plain = error_for_code(19)
    assert "min.insync.replicas" in str(plain)
    assert plain.detail is None
    detailed = error_for_code(19, "ISR is 1, need 2.")
    assert detailed.detail == "ISR is 1, need 2."
    assert str(detailed).startswith("ISR is 1, need 2. Fewer in-sync replicas")
    assert str(detailed).endswith("[NOT_ENOUGH_REPLICAS, code 19]")


def test_every_error_class_documents_itself() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if inspect.isclass(obj) and issubclass(obj, KafkaError):
            assert name.endswith("Error"), name
            assert obj.__doc__, name
            assert len(obj.__doc__.split()) >= 4, name


def test_unknown_code_gives_unknown_broker_error_that_is_fatal() -> None:
    error = error_for_code(9999, "something new")
    assert type(error) is UnknownBrokerError
    assert error.code == 9999
    assert not error.retriable
    assert not isinstance(error, RetriableError)
    assert "something new" in str(error)
    assert "code 9999" in str(error)


def test_code_zero_is_not_an_error() -> None:
    with pytest.raises(ValueError, match="NONE"):
        error_for_code(0)


def test_broker_errors_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        BROKER_ERRORS[500] = UnknownServerError  # type: ignore[index]


def test_a_code_cannot_be_defined_twice() -> None:
    with pytest.raises(TypeError, match="already NotEnoughReplicasError"):

        class _Twice(BrokerError, RetriableError, code=ErrorCode.NOT_ENOUGH_REPLICAS):
            pass

    assert BROKER_ERRORS[19] is NotEnoughReplicasError


@pytest.mark.parametrize(
    ("cls", "retriable", "bases"),
    [
        (ConfigError, False, (ValueError,)),
        (SerializationError, False, ()),
        (PartitionOutOfRangeError, False, (ValueError,)),
        (IllegalStateError, False, ()),
        (ProducerClosedError, False, (IllegalStateError,)),
        (KafkaTimeoutError, True, (TimeoutError, RetriableError)),
        (BufferFullError, True, (RetriableError,)),
        (KafkaConnectionError, True, (RetriableError,)),
        (ProtocolError, True, (KafkaConnectionError,)),
        (AuthenticationError, False, ()),
        (AuthorizationError, False, ()),
    ],
)
def test_client_side_errors(
    cls: type[KafkaError], retriable: bool, bases: tuple[type, ...]
) -> None:
    error = cls("what happened; how to fix it")
    assert str(error) == "what happened; how to fix it"
    assert error.code is None
    assert error.retriable is retriable
    assert isinstance(error, KafkaError)
    for base in bases:
        assert isinstance(error, base)
    assert str(cls()) == " ".join((cls.__doc__ or "").split())


def test_connection_problems_ask_for_a_metadata_refresh() -> None:
    assert KafkaConnectionError().invalid_metadata
    assert ProtocolError().invalid_metadata
    assert not KafkaTimeoutError().invalid_metadata


def test_broker_errors_that_double_as_client_categories() -> None:
    assert isinstance(error_for_code(7), KafkaTimeoutError)
    assert isinstance(error_for_code(7), TimeoutError)
    assert isinstance(error_for_code(13), NetworkError)
    assert isinstance(error_for_code(13), KafkaConnectionError)
    assert isinstance(error_for_code(29), AuthorizationError)
    assert isinstance(error_for_code(53), AuthorizationError)
    assert isinstance(error_for_code(58), SaslAuthenticationFailedError)
    assert isinstance(error_for_code(58), AuthenticationError)
    assert not isinstance(error_for_code(29), RetriableError)


def test_no_authentication_error_is_a_connection_error() -> None:
    # The connection layer relies on it: `except KafkaConnectionError` (try the next address,
    # wait for the cluster, log the attempt) lets a refused login or certificate through at
    # once, as nothing heals it.
    import ferrokafka._connect  # noqa: F401  (imports every module that defines errors)

    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    authentication = subclasses(AuthenticationError)
    assert len(authentication) >= 5
    assert [c for c in authentication if issubclass(c, KafkaConnectionError)] == []


def test_except_retriable_error_catches_retriable_broker_errors_only() -> None:
    caught = []
    for code in (19, 6, 29, 90, 75):
        try:
            raise error_for_code(code)
        except RetriableError as exc:
            caught.append(exc.code)
        except KafkaError:
            pass
    assert caught == [19, 6, 75]
    assert UnknownLeaderEpochError.retriable
    assert not UnknownLeaderEpochError.invalid_metadata


def test_config_error_names_the_option() -> None:
    error = ConfigError("linger_ms must be >= 0", option="linger_ms")
    assert error.option == "linger_ms"
    assert isinstance(error, ValueError)


def test_serialization_error_carries_its_context() -> None:
    error = SerializationError("bad", topic="t", serializer="IntegerSerializer", value_type=str)
    assert (error.topic, error.serializer, error.value_type) == ("t", "IntegerSerializer", str)


@pytest.mark.parametrize(
    "error",
    [
        error_for_code(19),
        error_for_code(10, "record of 2000000 bytes"),
        error_for_code(4242, "new"),
        ConfigError("bad acks", option="acks"),
        SerializationError("bad", topic="t", serializer="S", value_type=int),
        KafkaTimeoutError("late"),
    ],
)
def test_errors_survive_pickling(error: KafkaError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.code == error.code
    assert vars(copy) == vars(error)
