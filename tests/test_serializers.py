"""Built-in serializers write the bytes of their Java namesakes; bad input is refused clearly.

Expected bytes were produced by Kafka 4.1's org.apache.kafka.common.serialization classes.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferrokafka.errors import SerializationError
from ferrokafka.serializers import (
    ByteArraySerializer,
    DoubleSerializer,
    FloatSerializer,
    Headers,
    IntegerSerializer,
    JsonSerializer,
    LongSerializer,
    Serializer,
    ShortSerializer,
    StringSerializer,
    UUIDSerializer,
    VoidSerializer,
    as_serializer,
)

BUILTINS: list[Serializer[Any]] = [
    StringSerializer(),
    ByteArraySerializer(),
    ShortSerializer(),
    IntegerSerializer(),
    LongSerializer(),
    FloatSerializer(),
    DoubleSerializer(),
    UUIDSerializer(),
    VoidSerializer(),
    JsonSerializer(),
]


@pytest.mark.parametrize(
    ("serializer", "value", "expected_hex"),
    [
        (ShortSerializer(), 1, "0001"),
        (ShortSerializer(), -2, "fffe"),
        (ShortSerializer(), 32767, "7fff"),
        (ShortSerializer(), -32768, "8000"),
        (IntegerSerializer(), 1, "00000001"),
        (IntegerSerializer(), -1, "ffffffff"),
        (IntegerSerializer(), 1234567, "0012d687"),
        (IntegerSerializer(), -(2**31), "80000000"),
        (LongSerializer(), 123456789, "00000000075bcd15"),
        (LongSerializer(), -2, "fffffffffffffffe"),
        (LongSerializer(), 2**63 - 1, "7fffffffffffffff"),
        (FloatSerializer(), 1.5, "3fc00000"),
        (FloatSerializer(), 123.45, "42f6e666"),
        (FloatSerializer(), -0.0, "80000000"),
        (FloatSerializer(), math.inf, "7f800000"),
        (FloatSerializer(), math.nan, "7fc00000"),
        (FloatSerializer(), 3, "40400000"),
        (DoubleSerializer(), 1.5, "3ff8000000000000"),
        (DoubleSerializer(), 123.456789, "405edd3c07ee0b0b"),
        (DoubleSerializer(), math.nan, "7ff8000000000000"),
        (StringSerializer(), "héllo €", "68c3a96c6c6f20e282ac"),
        (StringSerializer("utf-16-be"), "hi", "00680069"),
        (
            UUIDSerializer(),
            uuid.UUID("123e4567-e89b-12d3-a456-426614174000"),
            "31323365343536372d653839622d313264332d613435362d343236363134313734303030",
        ),
    ],
)
def test_bytes_match_java(serializer: Serializer[Any], value: object, expected_hex: str) -> None:
    assert serializer.serialize("t", value, None) == bytes.fromhex(expected_hex)


@pytest.mark.parametrize("serializer", BUILTINS, ids=lambda s: type(s).__name__)
def test_none_is_a_null_record(serializer: Serializer[Any]) -> None:
    assert serializer.serialize("t", None, None) is None


@pytest.mark.parametrize("serializer", BUILTINS, ids=lambda s: type(s).__name__)
def test_builtins_satisfy_the_protocol_and_compare_by_value(serializer: Serializer[Any]) -> None:
    assert isinstance(serializer, Serializer)
    assert serializer == type(serializer)()
    assert hash(serializer) == hash(type(serializer)())
    assert as_serializer(serializer) is serializer


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_integer_is_four_bytes_big_endian_twos_complement(n: int) -> None:
    assert IntegerSerializer().serialize("t", n, None) == n.to_bytes(4, "big", signed=True)


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_long_is_eight_bytes_big_endian_twos_complement(n: int) -> None:
    assert LongSerializer().serialize("t", n, None) == n.to_bytes(8, "big", signed=True)


@pytest.mark.parametrize(
    ("serializer", "value", "limit"),
    [
        (ShortSerializer(), 32768, "-32768..32767"),
        (ShortSerializer(), -32769, "-32768..32767"),
        (IntegerSerializer(), 2**31, "-2147483648..2147483647"),
        (LongSerializer(), -(2**63) - 1, "-9223372036854775808..9223372036854775807"),
    ],
)
def test_out_of_range_ints_are_refused(serializer: Serializer[Any], value: int, limit: str) -> None:
    with pytest.raises(SerializationError) as info:
        serializer.serialize("orders", value, None)
    message = str(info.value)
    assert type(serializer).__name__ in message
    assert "'orders'" in message
    assert str(value) in message
    assert limit in message
    assert info.value.topic == "orders"
    assert info.value.value_type is int


class _Index:
    """An integer-like object (as numpy integers are)."""

    def __index__(self) -> int:
        return 7


def test_integer_like_objects_are_accepted() -> None:
    assert IntegerSerializer().serialize("t", _Index(), None) == b"\x00\x00\x00\x07"


@pytest.mark.parametrize(
    ("serializer", "value", "hint"),
    [
        (IntegerSerializer(), "1", "expected an int"),
        (IntegerSerializer(), 1.0, "expected an int"),
        (IntegerSerializer(), True, "int(True)"),
        (LongSerializer(), b"\x01", "expected an int"),
        (ShortSerializer(), None.__class__, "expected an int"),
        (FloatSerializer(), "1.5", "expected a float"),
        (DoubleSerializer(), False, "expected a float"),
        (StringSerializer(), b"bytes", "expected str"),
        (StringSerializer(), 5, "expected str"),
        (ByteArraySerializer(), "text", "StringSerializer"),
        (ByteArraySerializer(), 5, "expected bytes"),
        (UUIDSerializer(), "123e4567-e89b-12d3-a456-426614174000", "uuid.UUID(text)"),
        (VoidSerializer(), b"", "only accepts None"),
    ],
)
def test_wrong_types_name_serializer_topic_type_and_fix(
    serializer: Serializer[Any], value: object, hint: str
) -> None:
    with pytest.raises(SerializationError) as info:
        serializer.serialize("clicks", value, None)
    message = str(info.value)
    assert message.startswith(f"{type(serializer).__name__} cannot serialize ")
    assert f" {type(value).__name__} for topic 'clicks'" in message
    assert hint in message
    assert info.value.serializer == type(serializer).__name__


def test_float_too_large_for_32_bits_is_refused_not_turned_into_infinity() -> None:
    with pytest.raises(SerializationError, match="DoubleSerializer"):
        FloatSerializer().serialize("t", 1e39, None)


def test_string_that_the_encoding_cannot_represent() -> None:
    with pytest.raises(SerializationError, match="ascii"):
        StringSerializer("ascii").serialize("t", "é", None)
    with pytest.raises(SerializationError, match="surrogate"):
        StringSerializer().serialize("t", "\ud800", None)


def test_unknown_encoding_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown encoding 'utf-9'"):
        StringSerializer("utf-9")


def test_byte_array_passes_bytes_through_and_copies_buffers() -> None:
    data = b"payload"
    assert ByteArraySerializer().serialize("t", data, None) is data
    buffer = bytearray(b"abc")
    out = ByteArraySerializer().serialize("t", buffer, None)
    buffer[0] = ord("z")
    assert out == b"abc"
    assert type(out) is bytes
    assert ByteArraySerializer().serialize("t", memoryview(b"xyz")[1:], None) == b"yz"


def test_json_is_compact_utf8() -> None:
    value = {"id": 17, "name": "café", "tags": ["a", "b"], "ok": True, "none": None}
    out = JsonSerializer().serialize("t", value, None)
    assert out == '{"id":17,"name":"café","tags":["a","b"],"ok":true,"none":null}'.encode()
    assert json.loads(out or b"") == value


def test_json_options() -> None:
    assert JsonSerializer(sort_keys=True).serialize("t", {"b": 1, "a": 2}, None) == b'{"a":2,"b":1}'
    with_default = JsonSerializer(default=str)
    assert with_default.serialize("t", [uuid.UUID(int=0)], None) == (
        b'["00000000-0000-0000-0000-000000000000"]'
    )
    upper = JsonSerializer(dumps=lambda v: json.dumps(v).upper())
    assert upper.serialize("t", {"a": "b"}, None) == b'{"A": "B"}'
    raw = JsonSerializer(dumps=lambda v: b"raw")
    assert raw.serialize("t", 1, None) == b"raw"
    with pytest.raises(ValueError, match="not both"):
        JsonSerializer(dumps=json.dumps, sort_keys=True)


@pytest.mark.parametrize(
    "value",
    [{1, 2}, object(), math.nan, {"x": math.inf}],
    ids=["set", "object", "nan", "inf"],
)
def test_json_refuses_what_is_not_json(value: object) -> None:
    with pytest.raises(SerializationError, match="JsonSerializer cannot serialize") as info:
        JsonSerializer().serialize("events", value, None)
    assert "default=" in str(info.value)
    assert info.value.__cause__ is not None


def test_json_refuses_cycles() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(SerializationError, match="Circular reference"):
        JsonSerializer().serialize("t", cycle, None)


def test_json_with_dumps_returning_something_else() -> None:
    with pytest.raises(SerializationError, match="dumps returned int"):
        JsonSerializer(dumps=lambda v: 5).serialize("t", {}, None)  # type: ignore[arg-type,return-value]


def test_as_serializer_wraps_plain_callables() -> None:
    calls: list[object] = []

    def encode(value: str) -> bytes:
        calls.append(value)
        return value.encode()

    serializer = as_serializer(encode)
    assert isinstance(serializer, Serializer)
    assert serializer.serialize("t", "abc", None) == b"abc"
    assert serializer.serialize("t", None, None) is None  # type: ignore[arg-type]
    assert calls == ["abc"]  # None stays a null record without calling the function
    assert as_serializer(serializer) is serializer
    assert serializer == as_serializer(encode)
    assert "encode" in repr(serializer)
    assert as_serializer(None) is None


def test_callable_failures_become_serialization_errors() -> None:
    def broken(value: object) -> bytes:
        raise KeyError("missing field")

    with pytest.raises(SerializationError, match="broken failed on a dict value") as info:
        as_serializer(broken).serialize("orders", {}, None)
    assert isinstance(info.value.__cause__, KeyError)
    assert info.value.topic == "orders"


def test_callable_results_must_be_bytes() -> None:
    text: Serializer[Any] = as_serializer(lambda v: "not bytes")  # type: ignore[arg-type,return-value]
    with pytest.raises(SerializationError, match=r"returned str .* must return bytes or None"):
        text.serialize("t", 1, None)
    buffer: Serializer[Any] = as_serializer(lambda v: bytearray(b"ok"))  # type: ignore[arg-type,return-value]
    assert buffer.serialize("t", 1, None) == b"ok"


class _Prefixing:
    """A user serializer that reads the headers."""

    def serialize(self, topic: str, value: str, headers: Headers | None) -> bytes | None:
        if value == "boom":
            raise RuntimeError("kaput")
        if value == "text":
            return "oops"  # type: ignore[return-value]
        prefix = dict(headers or [])["schema"] or b""
        return prefix + value.encode()


def test_user_serializer_objects_are_checked() -> None:
    serializer = as_serializer(_Prefixing())
    assert serializer.serialize("t", "x", [("schema", b"v1:")]) == b"v1:x"
    with pytest.raises(SerializationError, match=r"_Prefixing\.serialize failed .* RuntimeError"):
        serializer.serialize("t", "boom", None)
    with pytest.raises(SerializationError, match=r"_Prefixing\.serialize returned str"):
        serializer.serialize("t", "text", None)


def test_serialization_errors_from_user_code_pass_through_unchanged() -> None:
    original = SerializationError("mine", topic="t")

    def raising(value: object) -> bytes:
        raise original

    with pytest.raises(SerializationError) as info:
        as_serializer(raising).serialize("t", 1, None)
    assert info.value is original


def test_as_serializer_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="got int"):
        as_serializer(5)  # type: ignore[call-overload]
