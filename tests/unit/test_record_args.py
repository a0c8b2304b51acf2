"""`_record_args`: one record's argument checks and conversions, each refusal with the exact
message a user reads (the detail, then for a broker error class its explanation, said once)."""

from __future__ import annotations

from typing import Any

import pytest

import ferrokafka
from ferrokafka import _record_args
from ferrokafka._record_args import (
    as_bytes,
    check_timestamp,
    check_topic,
    custom_partition,
    header_pairs,
    serialize,
)
from ferrokafka.config import ProducerConfig
from ferrokafka.errors import (
    ConfigError,
    InvalidTimestampError,
    InvalidTopicError,
    PartitionOutOfRangeError,
    SerializationError,
)
from ferrokafka.serializers import StringSerializer

NOW_MS = 1_700_000_000_000
HOUR_MS = 3_600_000
TOPIC_EXPLANATION = (
    'The topic name is invalid: use 1 to 249 characters from [a-zA-Z0-9._-], not "." or "..", '
    "and do not write to internal topics such as __consumer_offsets. "
    "[INVALID_TOPIC_EXCEPTION, code 17]"
)
TIMESTAMP_EXPLANATION = (
    "The record's timestamp is outside the range the topic accepts "
    "(log.message.timestamp.before.max.ms / after.max.ms, one hour ahead by default in Kafka 4); "
    "send a current timestamp or leave timestamp_ms=None. [INVALID_TIMESTAMP, code 32]"
)


@pytest.mark.parametrize("name", ["t", "a" * 249, "Orders_v2.eu-1", "..."])
def test_a_valid_topic_name_passes(name: str) -> None:
    check_topic(name)


@pytest.mark.parametrize("name", ["", "a" * 250, ".", "..", "with space", "ünïcode", "a/b", 7])
def test_an_invalid_topic_name_is_named_with_what_a_valid_one_is(name: Any) -> None:
    with pytest.raises(InvalidTopicError) as info:
        check_topic(name)
    assert str(info.value) == f"cannot send to topic {name!r}. {TOPIC_EXPLANATION}"


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(_record_args, "wall_ms", lambda: NOW_MS)
    return NOW_MS


def test_a_timestamp_up_to_an_hour_ahead_passes(now: int) -> None:
    check_timestamp(0)
    check_timestamp(now)
    check_timestamp(now + HOUR_MS)


@pytest.mark.parametrize("timestamp", [-1, 1.5, "0", True, None])
def test_a_timestamp_that_is_no_count_of_milliseconds_is_refused(now: int, timestamp: Any) -> None:
    with pytest.raises(InvalidTimestampError) as info:
        check_timestamp(timestamp)
    assert str(info.value) == (
        f"timestamp_ms={timestamp!r} is not a non-negative int of milliseconds since the epoch. "
        f"{TIMESTAMP_EXPLANATION}"
    )


def test_a_timestamp_more_than_an_hour_ahead_is_refused_as_the_broker_would(now: int) -> None:
    in_microseconds = now * 1000
    for timestamp in (now + HOUR_MS + 1, in_microseconds):
        with pytest.raises(InvalidTimestampError) as info:
            check_timestamp(timestamp)
        assert str(info.value) == (
            f"timestamp_ms={timestamp} is in the future (microseconds or nanoseconds instead "
            f"of milliseconds?). {TIMESTAMP_EXPLANATION}"
        )


def test_headers_as_pairs_or_a_mapping_become_name_bytes_pairs() -> None:
    assert header_pairs([("a", b"1"), ("a", None), ("b", bytearray(b"2"))]) == [
        ("a", b"1"),
        ("a", None),
        ("b", b"2"),
    ]
    assert header_pairs({"x": memoryview(b"3"), "y": None}) == [("x", b"3"), ("y", None)]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            [("lonely",)],
            "a header must be a (name, value) pair, got ('lonely',): pass "
            "headers=[('name', b'value'), ...]",
        ),
        (
            [(b"name", b"v")],
            "header name b'name' is bytes, not str: Kafka header names are strings (values "
            "are bytes)",
        ),
        (
            [("n", "text")],
            "header 'n' has a str value: header values are bytes or None; encode it first "
            "(e.g. value.encode())",
        ),
    ],
)
def test_a_bad_header_says_what_a_header_is(headers: Any, message: str) -> None:
    with pytest.raises(SerializationError) as info:
        header_pairs(headers)
    assert str(info.value) == message


def test_keys_and_values_without_serializers_must_be_bytes() -> None:
    assert as_bytes(bytearray(b"v"), "value", "t") == b"v"
    with pytest.raises(SerializationError) as info:
        as_bytes("text", "key", "t")
    assert str(info.value) == (
        "the key for topic 't' is a str, not bytes: encode it yourself or set key_serializer "
        "(e.g. StringSerializer(), JsonSerializer())"
    )
    assert (info.value.topic, info.value.value_type) == ("t", str)


def test_serializers_turn_keys_and_values_into_bytes() -> None:
    # Never started: serialize only reads the producer's serializers.
    producer = ferrokafka.Producer(
        "127.0.0.1:1", key_serializer=StringSerializer(), value_serializer=StringSerializer()
    )
    assert serialize(producer, "t", "k", "v", None) == (b"k", b"v")
    plain = ferrokafka.Producer("127.0.0.1:1")
    assert serialize(plain, "t", None, memoryview(b"v"), None) == (None, b"v")


def _config(partitioner: Any) -> ProducerConfig:
    return ProducerConfig(bootstrap_servers="b:9092", partitioner=partitioner)  # type: ignore[arg-type]


def pick(topic: str, key: Any, key_bytes: bytes | None, value: Any, count: int) -> int:
    return len(key) % count


def test_a_custom_partitioner_chooses_from_the_original_key() -> None:
    assert custom_partition(_config(pick), "t", "abcd", b"abcd", None, 3) == 1


@pytest.mark.parametrize(
    ("chosen", "count", "valid"),
    [
        (3, 3, "which has 3 partitions: it must return an int from 0 to 2"),
        (-1, 3, "which has 3 partitions: it must return an int from 0 to 2"),
        ("0", 1, "which has 1 partition: it must return 0"),
        (True, 2, "which has 2 partitions: it must return an int from 0 to 1"),
    ],
)
def test_a_custom_partition_out_of_range_is_refused(chosen: Any, count: int, valid: str) -> None:
    def partitioner(*_: Any) -> Any:
        return chosen

    with pytest.raises(PartitionOutOfRangeError) as info:
        custom_partition(_config(partitioner), "t", None, None, None, count)
    assert str(info.value) == (
        f"the custom partitioner {partitioner!r} returned {chosen!r} for topic 't', {valid}"
    )


def test_a_custom_partitioner_that_raises_is_a_config_error_naming_it() -> None:
    def partitioner(*_: Any) -> int:
        raise KeyError("region")

    with pytest.raises(ConfigError) as info:
        custom_partition(_config(partitioner), "t", None, None, None, 3)
    assert str(info.value) == (
        f"the custom partitioner {partitioner!r} raised KeyError('region') for topic 't'"
    )
    assert info.value.option == "partitioner"
    assert isinstance(info.value.__cause__, KeyError)
