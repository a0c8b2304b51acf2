"""Turning keys and values into bytes.

A serializer is either an object with ``serialize(topic, value, headers) -> bytes | None`` (the
`Serializer` protocol, Java's ``Serializer.serialize(topic, headers, data)``) or a plain callable
``(value) -> bytes``; `as_serializer` turns either into a `Serializer`.

The built-ins write exactly the bytes of their Java namesakes in
``org.apache.kafka.common.serialization``, so a Java consumer with the matching deserializer reads
them back. Like Java's, every built-in maps ``None`` to ``None`` (a null key or value, which is a
tombstone on compacted topics). A value a serializer cannot handle raises `SerializationError`
naming the serializer, the topic, the value's type and the fix.
"""

from __future__ import annotations

import codecs
import json
import operator
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any, Protocol, SupportsIndex, TypeVar, overload, runtime_checkable

from ferrokafka.errors import SerializationError

__all__ = [
    "ByteArraySerializer",
    "DoubleSerializer",
    "FloatSerializer",
    "Header",
    "Headers",
    "IntegerSerializer",
    "JsonSerializer",
    "LongSerializer",
    "Serializer",
    "SerializerLike",
    "ShortSerializer",
    "StringSerializer",
    "UUIDSerializer",
    "VoidSerializer",
    "as_serializer",
]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

Header = tuple[str, bytes | None]
"""One record header: a UTF-8 key and a value that may be null. Keys may repeat."""

Headers = Sequence[Header]
"""The headers of one record, in order, as the serializer sees them (read-only)."""


@runtime_checkable
class Serializer(Protocol[T_contra]):
    """Turns a key or value into the bytes sent to Kafka (Java's ``Serializer<T>``).

    Return ``None`` for a null key or value. Raise `SerializationError` (or any exception, which
    the producer wraps into one) when the value cannot be serialized; nothing is then enqueued.
    """

    def serialize(self, topic: str, value: T_contra, headers: Headers | None) -> bytes | None: ...


SerializerLike = Serializer[T] | Callable[[T], bytes | None]
"""What the producer accepts as ``key_serializer`` / ``value_serializer``."""


def _fail(serializer: object, topic: str, value: object, reason: str) -> SerializationError:
    name = type(serializer).__name__
    return SerializationError(
        f"{name} cannot serialize {type(value).__name__} for topic {topic!r}: {reason}",
        topic=topic,
        serializer=name,
        value_type=type(value),
    )


_SHORT = struct.Struct(">h")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")


def _pack_int(
    serializer: object, packer: struct.Struct, bits: int, topic: str, value: object, bigger: str
) -> bytes:
    # Exact ints take the fast path; anything else with __index__ (numpy integers) is accepted,
    # bool is refused because True/False as a number is almost always a mistake.
    if type(value) is int:
        number = value
    elif isinstance(value, bool):
        raise _fail(serializer, topic, value, f"expected an int; send int({value}) explicitly")
    elif isinstance(value, SupportsIndex):
        number = operator.index(value)
    else:
        raise _fail(serializer, topic, value, "expected an int; convert the value before sending")
    try:
        return packer.pack(number)
    except struct.error:
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        raise _fail(
            serializer,
            topic,
            value,
            f"{number} is outside the {bits}-bit signed range {low}..{high}{bigger}",
        ) from None


@dataclass(frozen=True, slots=True)
class StringSerializer:
    """Java's ``StringSerializer``: the string encoded in ``encoding`` (UTF-8 by default)."""

    encoding: str = "utf-8"

    def __post_init__(self) -> None:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ValueError(
                f"StringSerializer: unknown encoding {self.encoding!r}; use a codec name such as "
                "'utf-8' (Java's key.serializer.encoding / value.serializer.encoding)"
            ) from None

    def serialize(
        self, topic: str, value: str | None, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise _fail(
                self, topic, value, "expected str; pass bytes without a serializer or convert it"
            )
        try:
            return value.encode(self.encoding)
        except UnicodeEncodeError as exc:
            raise _fail(
                self, topic, value, f"{exc}; use an encoding that can represent the text"
            ) from exc


@dataclass(frozen=True, slots=True)
class ByteArraySerializer:
    """Java's ``ByteArraySerializer``: bytes pass through; bytearray and memoryview are copied."""

    def serialize(
        self,
        topic: str,
        value: bytes | bytearray | memoryview | None,
        headers: Headers | None = None,
    ) -> bytes | None:
        if value is None or type(value) is bytes:
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        hint = "encode it or use StringSerializer" if isinstance(value, str) else "convert it"
        raise _fail(self, topic, value, f"expected bytes, bytearray or memoryview; {hint}")


@dataclass(frozen=True, slots=True)
class ShortSerializer:
    """Java's ``ShortSerializer``: a 16-bit signed integer, 2 bytes big-endian."""

    def serialize(
        self, topic: str, value: SupportsIndex | None, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        return _pack_int(self, _SHORT, 16, topic, value, "; use IntegerSerializer")


@dataclass(frozen=True, slots=True)
class IntegerSerializer:
    """Java's ``IntegerSerializer``: a 32-bit signed integer, 4 bytes big-endian."""

    def serialize(
        self, topic: str, value: SupportsIndex | None, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        return _pack_int(self, _INT, 32, topic, value, "; use LongSerializer")


@dataclass(frozen=True, slots=True)
class LongSerializer:
    """Java's ``LongSerializer``: a 64-bit signed integer, 8 bytes big-endian."""

    def serialize(
        self, topic: str, value: SupportsIndex | None, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        return _pack_int(
            self, _LONG, 64, topic, value, "; encode larger numbers as strings or bytes yourself"
        )


def _pack_real(serializer: object, packer: struct.Struct, topic: str, value: object) -> bytes:
    if type(value) is not float and (isinstance(value, bool) or not isinstance(value, Real)):
        raise _fail(serializer, topic, value, "expected a float or int; convert the value first")
    try:
        return packer.pack(value)
    except OverflowError:
        # Java's (float) cast would silently turn this into Infinity.
        raise _fail(
            serializer,
            topic,
            value,
            f"{value!r} is too large for a 32-bit float; use DoubleSerializer",
        ) from None


@dataclass(frozen=True, slots=True)
class FloatSerializer:
    """Java's ``FloatSerializer``: IEEE 754 single precision, 4 bytes big-endian.

    The value is rounded to the nearest 32-bit float, as Java's ``(float)`` cast does; finite
    values beyond the float range are refused rather than turned into infinity.
    """

    def serialize(
        self, topic: str, value: float | None, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        return _pack_real(self, _FLOAT, topic, value)


@dataclass(frozen=True, slots=True)
class DoubleSerializer:
    """Java's ``DoubleSerializer``: IEEE 754 double precision, 8 bytes big-endian."""

    def serialize(
        self, topic: str, value: float | None, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        return _pack_real(self, _DOUBLE, topic, value)


@dataclass(frozen=True, slots=True)
class UUIDSerializer:
    """Java's ``UUIDSerializer``: the canonical string form (36 lowercase chars) in UTF-8.

    Java writes ``UUID.toString()``, not the 16 raw bytes; use `ByteArraySerializer` with
    ``value.bytes`` if the raw form is wanted.
    """

    def serialize(
        self, topic: str, value: uuid.UUID | None, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, uuid.UUID):
            raise _fail(self, topic, value, "expected uuid.UUID; convert text with uuid.UUID(text)")
        return str(value).encode("ascii")


@dataclass(frozen=True, slots=True)
class VoidSerializer:
    """Java's ``VoidSerializer``: only ``None`` is accepted, always serialized as null."""

    def serialize(self, topic: str, value: None, headers: Headers | None = None) -> bytes | None:
        if value is not None:
            raise _fail(
                self, topic, value, "VoidSerializer only accepts None; choose another serializer"
            )
        return None


@dataclass(frozen=True, slots=True)
class JsonSerializer:
    """Compact JSON (no spaces) in UTF-8, non-ASCII characters written as themselves.

    NaN and infinities are refused, since they are not JSON and other readers reject them.
    ``None`` becomes a null record, not the text ``null``, like Java's ``JsonSerializer``.
    Pass ``default`` (as for `json.dumps`) to encode extra types, ``sort_keys=True`` for stable
    output, or a whole ``dumps`` function (``orjson.dumps``, ...) returning str or bytes.
    """

    dumps: Callable[[Any], str | bytes] | None = None
    default: Callable[[Any], Any] | None = None
    sort_keys: bool = False

    def __post_init__(self) -> None:
        if self.dumps is not None and (self.default is not None or self.sort_keys):
            raise ValueError(
                "JsonSerializer: give either dumps or default/sort_keys, not both; "
                "configure them on your own dumps function"
            )

    def serialize(self, topic: str, value: Any, headers: Headers | None = None) -> bytes | None:
        if value is None:
            return None
        try:
            if self.dumps is None:
                return json.dumps(
                    value,
                    separators=(",", ":"),
                    ensure_ascii=False,
                    allow_nan=False,
                    default=self.default,
                    sort_keys=self.sort_keys,
                ).encode("utf-8")
            encoded = self.dumps(value)
        except (TypeError, ValueError, RecursionError) as exc:
            raise _fail(
                self,
                topic,
                value,
                f"{exc}; pass default= to JsonSerializer to encode such objects",
            ) from exc
        if isinstance(encoded, str):
            return encoded.encode("utf-8")
        if isinstance(encoded, bytes):
            return encoded
        raise _fail(self, topic, value, f"dumps returned {type(encoded).__name__}, not str/bytes")


_BUILTINS: tuple[type, ...] = (
    StringSerializer,
    ByteArraySerializer,
    ShortSerializer,
    IntegerSerializer,
    LongSerializer,
    FloatSerializer,
    DoubleSerializer,
    UUIDSerializer,
    VoidSerializer,
    JsonSerializer,
)


def _check_result(where: str, topic: str, value: object, result: object) -> bytes | None:
    if result is None or type(result) is bytes:
        return result
    if isinstance(result, bytes | bytearray | memoryview):
        return bytes(result)
    raise SerializationError(
        f"{where} returned {type(result).__name__} for a {type(value).__name__} value on topic "
        f"{topic!r}; a serializer must return bytes or None",
        topic=topic,
        serializer=where,
        value_type=type(value),
    )


def _wrap_failure(where: str, topic: str, value: object, exc: Exception) -> SerializationError:
    error = SerializationError(
        f"{where} failed on a {type(value).__name__} value for topic {topic!r}: "
        f"{type(exc).__name__}: {exc}",
        topic=topic,
        serializer=where,
        value_type=type(value),
    )
    error.__cause__ = exc
    return error


class _CallableSerializer:
    """Adapts a plain ``(value) -> bytes`` callable; errors and bad results become
    `SerializationError`."""

    __slots__ = ("_fn", "_name")

    def __init__(self, fn: Callable[[Any], bytes | None]) -> None:
        self._fn = fn
        self._name = getattr(fn, "__qualname__", None) or repr(fn)

    def serialize(self, topic: str, value: Any, headers: Headers | None = None) -> bytes | None:
        if value is None:
            return None
        try:
            result = self._fn(value)
        except SerializationError:
            raise
        except Exception as exc:
            raise _wrap_failure(self._name, topic, value, exc) from exc
        return _check_result(self._name, topic, value, result)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CallableSerializer) and other._fn == self._fn

    def __hash__(self) -> int:
        return hash(self._fn)

    def __repr__(self) -> str:
        return f"as_serializer({self._name})"


class _CheckedSerializer:
    """Wraps a user `Serializer` so that whatever it raises or returns reaches the producer as
    bytes, None or `SerializationError`."""

    __slots__ = ("_inner", "_name")

    def __init__(self, inner: Serializer[Any]) -> None:
        self._inner = inner
        self._name = f"{type(inner).__name__}.serialize"

    def serialize(self, topic: str, value: Any, headers: Headers | None = None) -> bytes | None:
        try:
            result = self._inner.serialize(topic, value, headers)
        except SerializationError:
            raise
        except Exception as exc:
            raise _wrap_failure(self._name, topic, value, exc) from exc
        return _check_result(self._name, topic, value, result)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CheckedSerializer) and other._inner == self._inner

    def __hash__(self) -> int:
        return hash(self._inner)

    def __repr__(self) -> str:
        return f"as_serializer({self._inner!r})"


@overload
def as_serializer(obj: None) -> None: ...
@overload
def as_serializer(obj: SerializerLike[T]) -> Serializer[T]: ...
def as_serializer(obj: SerializerLike[T] | None) -> Serializer[T] | None:
    """Normalises a serializer object or a ``(value) -> bytes`` callable into a `Serializer`.

    Built-ins are returned as they are. Anything else is wrapped so that an exception it raises,
    or a result that is not bytes or None, reaches the caller as `SerializationError`. Plain
    callables are not called for ``None``, which stays a null key or value. ``None`` stays
    ``None`` (no serializer: keys and values must already be bytes).
    """
    if obj is None:
        return None
    if type(obj) in _BUILTINS or isinstance(obj, _CallableSerializer | _CheckedSerializer):
        return obj  # type: ignore[return-value]
    serialize = getattr(obj, "serialize", None)
    if callable(serialize):
        return _CheckedSerializer(obj)  # type: ignore[arg-type]
    if callable(obj):
        return _CallableSerializer(obj)
    raise TypeError(
        f"expected a serializer (an object with serialize(topic, value, headers)) or a "
        f"callable (value) -> bytes, got {type(obj).__name__}"
    )
