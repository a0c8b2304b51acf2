"""What is known about one option, declared once on its `ProducerConfig` field.

A field is declared with `option(...)`, which puts an `OptionSpec` into the field's metadata:
the Java (or librdkafka) name, the `Check` that validates and parses its values, its doc, its
unit and whether it is secret. `options_of` pairs each spec with the field's name, default and
type as an `Option`, the one record that validation, ``from_config``, ``help()`` and
``docs/CONFIGURATION.md`` all read.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ferrokafka.errors import ConfigError


class Check(ABC):
    """How the values of one kind of option are checked, normalised and read from text."""

    @abstractmethod
    def normalize(self, option: Option, value: object) -> object:
        """The value to store for ``value``, or a `ConfigError` naming the option and the fix."""

    def parse(self, option: Option, key: str, text: str) -> object:
        """The value of a ``.properties``-style string given under ``key``; `normalize` then
        checks it as it checks any other value."""
        return text.strip()


@dataclass(frozen=True, slots=True)
class OptionSpec:
    java: str | None
    """The dotted name in Java (or, where Java has none, librdkafka); None when neither has
    one."""
    check: Check
    doc: str
    """What the option does, in a sentence or a few."""
    group: str
    """The section of the docs it is listed in."""
    unit: str | None = None
    """"bytes", or None; options named ``*_ms`` are in milliseconds without saying so."""
    secret: bool = False
    """Never echoed: not in repr, not in an error message."""
    accepts: object = None
    """The type the constructor accepts when it is wider than the stored one (e.g. acks="all"
    stored as -1); None when they are the same."""
    default_doc: str | None = None
    """The default as the docs show it, when it is computed rather than fixed."""


def option(default: Any, java: str | None, check: Check, doc: str, **spec: Any) -> Any:
    """A dataclass field whose metadata holds the option's `OptionSpec` (and, for readers of
    `dataclasses.fields`, its Java name under ``"java"``)."""
    declared = OptionSpec(java, check, " ".join(doc.split()), **spec)
    return dataclasses.field(default=default, metadata={"java": java, "spec": declared})


@dataclass(frozen=True, slots=True)
class Option:
    """One option: its `OptionSpec` with the field's name, default and declared type."""

    name: str
    default: object
    type: str
    """The stored value's type as written on the field."""
    spec: OptionSpec

    @property
    def java(self) -> str | None:
        return self.spec.java

    @property
    def secret(self) -> bool:
        return self.spec.secret

    @property
    def unit(self) -> str | None:
        return "ms" if self.name.endswith("_ms") else self.spec.unit

    def describe(self) -> str:
        """The name with its Java one, for messages: ``linger_ms (Java linger.ms)``."""
        java = self.spec.java
        return f"{self.name} (Java {java})" if java and java != self.name else self.name

    def bad(self, value: object, expected: str) -> ConfigError:
        """The error for a value that is not what the option takes."""
        shown = type(value).__name__ if self.spec.secret else f"{value!r}"
        return ConfigError(f"{self.describe()} must be {expected}, got {shown}", option=self.name)


def options_of(cls: type) -> Mapping[str, Option]:
    """The options of a dataclass whose init fields were declared with `option`, in order."""
    return MappingProxyType(
        {
            f.name: Option(f.name, f.default, str(f.type), f.metadata["spec"])
            for f in dataclasses.fields(cls)
            if f.init
        }
    )
