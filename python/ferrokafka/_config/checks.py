"""One `Check` per kind of option value: the type and range it takes, how it is normalised
(``"all"`` -> -1, a comma-separated string -> a tuple) and how it is read from a
``.properties``-style string. A field names its check in its declaration, so there is no
dispatch on kind names."""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypeVar

from ferrokafka._address import parse_bootstrap_servers
from ferrokafka._config.constants import INT32_MAX, INT64_MAX, JKS_CONVERSION, TLS_PROTOCOLS
from ferrokafka._config.spec import Check, Option
from ferrokafka._sasl.mechanisms import check_extension
from ferrokafka.errors import ConfigError
from ferrokafka.serializers import (
    ByteArraySerializer,
    DoubleSerializer,
    FloatSerializer,
    IntegerSerializer,
    LongSerializer,
    Serializer,
    ShortSerializer,
    StringSerializer,
    UUIDSerializer,
    VoidSerializer,
    as_serializer,
)

T = TypeVar("T")


def build(make: Callable[[], T], name: str) -> T:
    """``make()``, its TypeError or ValueError raised as a `ConfigError` about ``name``."""
    try:
        return make()
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: {exc}", option=name) from exc


@dataclass(frozen=True, slots=True)
class IntRange(Check):
    """An int from ``low`` to ``high``, or the one extra value ``also`` (e.g. -1 = default)."""

    low: int = 0
    high: int = INT32_MAX
    also: int | None = None

    def normalize(self, option: Option, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise option.bad(value, "an int")
        if not self.low <= value <= self.high and value != self.also:
            raise option.bad(value, self.allowed())
        return value

    def allowed(self) -> str:
        text = f"between {self.low} and {self.high}" if self.high < INT64_MAX else f">= {self.low}"
        return text if self.also is None else f"{text}, or {self.also}"

    def parse(self, option: Option, key: str, text: str) -> object:
        try:
            return int(text.strip())
        except ValueError:
            raise ConfigError(
                f"invalid value {text!r} for {key}: expected an integer", option=option.name
            ) from None


def Long(low: int = 0) -> IntRange:
    """Java's ``long`` options: no upper bound worth naming."""
    return IntRange(low=low, high=INT64_MAX)


@dataclass(frozen=True, slots=True)
class Flag(Check):
    def normalize(self, option: Option, value: object) -> object:
        if not isinstance(value, bool):
            raise option.bad(value, "True or False")
        return value

    def parse(self, option: Option, key: str, text: str) -> object:
        folded = text.strip().lower()
        if folded in ("true", "false"):
            return folded == "true"
        raise ConfigError(
            f"invalid value {text!r} for {key}: expected true or false", option=option.name
        )


# Values users bring from Java that name something unsupported rather than a typo.
_CHOICE_HINTS: Final = MappingProxyType(
    {
        "GSSAPI": " (Kerberos is not supported)",
        "JKS": f" (JKS is not read; convert it: {JKS_CONVERSION})",
    }
)


@dataclass(frozen=True, slots=True)
class Choice(Check):
    """One of ``choices``, matched after stripping and folding the case (Java's names are
    case-insensitive)."""

    choices: tuple[str, ...]
    upper: bool = False

    def normalize(self, option: Option, value: object) -> object:
        folded: object = value
        if isinstance(value, str):
            folded = value.strip().upper() if self.upper else value.strip().lower()
        if folded not in self.choices:
            hint = _CHOICE_HINTS.get(folded, "") if isinstance(folded, str) else ""
            raise option.bad(value, "one of " + ", ".join(map(repr, self.choices)) + hint)
        return folded


@dataclass(frozen=True, slots=True)
class Acks(Check):
    def normalize(self, option: Option, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, -1):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text == "all":
                return -1
            if text in ("0", "1", "-1"):
                return int(text)
        raise option.bad(value, "0, 1 or 'all' (-1)")


@dataclass(frozen=True, slots=True)
class BootstrapServers(Check):
    def normalize(self, option: Option, value: object) -> object:
        if isinstance(value, str):
            entries = value.split(",")
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            entries = list(value)
        else:
            raise option.bad(value, 'a "host:port,host:port" string or a list of "host:port"')
        servers = tuple(entry.strip() for entry in entries if entry.strip())
        if not servers:
            raise ConfigError(
                "bootstrap_servers is required: give at least one broker as host:port, e.g. "
                "bootstrap_servers='localhost:9092'",
                option="bootstrap_servers",
            )
        parse_bootstrap_servers(servers)
        return servers


@dataclass(frozen=True, slots=True)
class Text(Check):
    """A str; with ``optional``, None too."""

    optional: bool = False

    def normalize(self, option: Option, value: object) -> object:
        if value is None and self.optional:
            return None
        if not isinstance(value, str):
            raise option.bad(value, "a str or None" if self.optional else "a str")
        return value

    def parse(self, option: Option, key: str, text: str) -> object:
        # Passwords may legitimately start or end with spaces.
        return text if option.secret else text.strip()


@dataclass(frozen=True, slots=True)
class TransactionalId(Check):
    """None (no transactions) or a non-empty str: "" would name no transaction at all."""

    def normalize(self, option: Option, value: object) -> object:
        if value is not None and (not isinstance(value, str) or not value):
            raise option.bad(value, "a non-empty str, or None for no transactions")
        return value


@dataclass(frozen=True, slots=True)
class ExistingPath(Check):
    """A path to a file (or, with ``directory``, a directory) that exists, or None."""

    directory: bool = False

    def normalize(self, option: Option, value: object) -> object:
        if value is None:
            return None
        what = "directory" if self.directory else "file"
        if not isinstance(value, str | os.PathLike):
            raise option.bad(value, f"a {what} path or None")
        path = os.fspath(value)
        exists = os.path.isdir if self.directory else os.path.isfile
        if not isinstance(path, str) or not exists(path):
            raise ConfigError(f"{option.name}: no such {what} {path!r}", option=option.name)
        return path


@dataclass(frozen=True, slots=True)
class TlsVersions(Check):
    def normalize(self, option: Option, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in re.split(r"[,\s]+", value) if part]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise option.bad(value, "TLS versions as a comma-separated str or a sequence of str")
        known = {name.lower(): name for name in TLS_PROTOCOLS}
        protocols = []
        for name in value:
            canonical = known.get(name.strip().lower())
            if canonical is None:
                raise ConfigError(
                    f"{option.describe()}: {name!r} is not allowed; use TLSv1.2 and/or TLSv1.3 "
                    "(older versions are insecure and refused)",
                    option=option.name,
                )
            protocols.append(canonical)
        if not protocols:
            raise option.bad(value, "at least one of TLSv1.2, TLSv1.3")
        return tuple(sorted(set(protocols)))


JAVA_SERIALIZERS: Final[Mapping[str, Callable[[], Serializer[Any]]]] = MappingProxyType(
    {
        "StringSerializer": StringSerializer,
        "ByteArraySerializer": ByteArraySerializer,
        "ByteBufferSerializer": ByteArraySerializer,
        "BytesSerializer": ByteArraySerializer,
        "ShortSerializer": ShortSerializer,
        "IntegerSerializer": IntegerSerializer,
        "LongSerializer": LongSerializer,
        "FloatSerializer": FloatSerializer,
        "DoubleSerializer": DoubleSerializer,
        "UUIDSerializer": UUIDSerializer,
        "VoidSerializer": VoidSerializer,
    }
)


@dataclass(frozen=True, slots=True)
class SerializerCheck(Check):
    """A `Serializer` or a ``(value) -> bytes`` callable; from text, a Java built-in's name."""

    def normalize(self, option: Option, value: object) -> object:
        return build(lambda: as_serializer(value), option.name)  # type: ignore[call-overload]

    def parse(self, option: Option, key: str, text: str) -> object:
        name = text.strip().removeprefix("org.apache.kafka.common.serialization.")
        make = JAVA_SERIALIZERS.get(name)
        if make is None:
            raise ConfigError(
                f"{key}={text!r}: Java classes cannot be loaded; use a Java built-in "
                f"({', '.join(JAVA_SERIALIZERS)}) or pass a Python serializer object",
                option=option.name,
            )
        return make()


@dataclass(frozen=True, slots=True)
class PythonObject(Check):
    """A callable (``ssl_context=False``) or an `ssl.SSLContext`, or None: objects that no
    string can name."""

    ssl_context: bool = False

    def normalize(self, option: Option, value: object) -> object:
        if value is None:
            return None
        if self.ssl_context and not isinstance(value, ssl.SSLContext):
            raise option.bad(value, "an ssl.SSLContext or None")
        if not self.ssl_context and not callable(value):
            raise option.bad(value, "a callable or None")
        return value

    def parse(self, option: Option, key: str, text: str) -> object:
        what = "ssl.SSLContext" if self.ssl_context else "callable"
        raise ConfigError(
            f"{key}={text!r}: Java classes cannot be loaded; pass a Python {what} as {option.name}",
            option=option.name,
        )


_INTERCEPTOR_METHODS: Final = ("on_send", "on_acknowledgement", "close")


@dataclass(frozen=True, slots=True)
class Interceptors(Check):
    """A sequence of objects with ``on_send``, ``on_acknowledgement`` and ``close`` (a
    `ProducerInterceptor` or anything shaped like one); stored as a tuple."""

    def normalize(self, option: Option, value: object) -> object:
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise option.bad(value, "a list of ProducerInterceptor objects")
        for interceptor in value:
            missing = [
                m for m in _INTERCEPTOR_METHODS if not callable(getattr(interceptor, m, None))
            ]
            if missing:
                raise ConfigError(
                    f"{option.describe()}: {interceptor!r} has no {', '.join(missing)}; an "
                    "interceptor has on_send, on_acknowledgement and close (subclass "
                    "ferrokafka.ProducerInterceptor, whose methods do nothing by default)",
                    option=option.name,
                )
        return tuple(value)

    def parse(self, option: Option, key: str, text: str) -> object:
        raise ConfigError(
            f"{key}={text!r}: Java classes cannot be loaded; pass Python objects as "
            f"interceptors=[...]",
            option=option.name,
        )


@dataclass(frozen=True, slots=True)
class SaslExtensions(Check):
    def normalize(self, option: Option, value: object) -> object:
        if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
            value = dict(value)
        if isinstance(value, str):
            pairs = [item.partition("=") for item in value.split(",") if item.strip()]
            if any(not sep for _, sep, _ in pairs):
                raise option.bad(value, 'a mapping or "name=value,name=value"')
            value = {key.strip(): text.strip() for key, _, text in pairs}
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise option.bad(value, 'a mapping of str to str, or "name=value,name=value"')
        for key, text in value.items():
            try:
                check_extension(key, text)
            except ValueError as exc:
                raise ConfigError(f"{option.name}: {exc}", option=option.name) from None
        return tuple(sorted(value.items()))
