"""Each option's help, written from the `Option` table: ``help(ProducerConfig)``, the per-option
part of ``help(Producer)``, and ``docs/CONFIGURATION.md``, whose sections are declared here.

``python -m ferrokafka._config`` rewrites docs/CONFIGURATION.md; ``--check`` only says whether
it is up to date (tests/test_config_docs.py checks the same).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from ferrokafka._config.checks import Choice, IntRange
from ferrokafka._config.spec import Option

# The sections of docs/CONFIGURATION.md (each option's ``group``), in the order of the fields.
WHO: Final = "Where and who"
DURABILITY: Final = "Durability and retries"
BATCHING: Final = "Batching, memory and compression"
PARTITIONING: Final = "Partitioning"
SERIALIZATION: Final = "Serialization"
CONNECTIONS: Final = "Metadata and connections"
TRANSACTIONS: Final = "Transactions"
OBSERVABILITY: Final = "Observability"
SASL: Final = "Security: SASL"
TLS: Final = "Security: TLS"

_UNITS = {"ms": "milliseconds", "bytes": "bytes"}


def type_text(option: Option) -> str:
    """The option's values as a reader wants them named: the choices of a choice, the range of
    an int, else the stored type."""
    check = option.spec.check
    if isinstance(check, Choice):
        return "one of " + ", ".join(repr(choice) for choice in check.choices)
    if isinstance(check, IntRange):
        return f"int {check.allowed()}"
    return option.type.replace("c.", "")


def default_text(option: Option) -> str:
    return option.spec.default_doc or repr(option.default)


def java_text(option: Option) -> str:
    return f"Java {option.java}" if option.java else "no Java name"


def summary(option: Option) -> str:
    """``int >= 0, in milliseconds; default 5``."""
    unit = f", in {_UNITS[option.unit]}" if option.unit else ""
    return f"{type_text(option)}{unit}; default {default_text(option)}"


def options_help(options: Mapping[str, Option], indent: str = "") -> str:
    """The options as a docstring section: name, Java name, type, unit, default, then what the
    option does."""
    lines = ["Options (keyword arguments; also in docs/CONFIGURATION.md):", ""]
    for option in options.values():
        lines.append(f"{option.name} ({java_text(option)}): {summary(option)}")
        lines.extend(
            textwrap.wrap(option.spec.doc, 92, initial_indent="    ", subsequent_indent="    ")
        )
    return "\n".join(indent + line if line else line for line in lines)


def config_docstring(options: Mapping[str, Option]) -> str:
    """``ProducerConfig``'s docstring: how a config is built and checked, then every option."""
    return f"""Every option of the producer, checked once when built.

    Options are named like the Java producer's configs with ``.`` replaced by ``_`` and have the
    Java 4.x defaults. An unknown option, a value of the wrong type or out of range, or a
    contradictory combination raises `ConfigError` naming the option and the fix. As in Java, a
    few defaults depend on what was set explicitly: idempotence turns off when acks is not "all"
    or retries is 0 (unless enable_idempotence=True was given, which makes that an error);
    delivery_timeout_ms that was not given grows to linger_ms + request_timeout_ms; client_id
    that was not given becomes ``ferrokafka-producer-<n>``.

    Three ways to build one: ``ProducerConfig(bootstrap_servers=..., linger_ms=10)`` (typed),
    ``ProducerConfig.from_kwargs(**kw)`` (the same, with "did you mean" for misspelt names) and
    ``ProducerConfig.from_config(props)`` for Java/librdkafka-style dotted names with string
    values, as in a ``.properties`` file. ``Producer(config=config)`` uses one.

{options_help(options, indent="    ")}
    """


_MARKDOWN_INTRO = """\
# Configuration

<!-- Generated from python/ferrokafka/_config/producer_config.py by
     `python -m ferrokafka._config`; tests/test_config_docs.py fails when it is stale. -->

Every option of the producer, with its Java (or librdkafka) name, its default (Java 4.x's,
unless said otherwise) and its unit. Options are the Java producer's configs with `.` replaced
by `_`. The same text is shown by `help(ferrokafka.ProducerConfig)` and `help(ferrokafka.Producer)`.

Three ways to give them, each checked at once (an unknown name, a wrong type or value, or a
contradictory combination raises `ConfigError` naming the option and the fix):

```python
from ferrokafka import Producer, ProducerConfig

producer = Producer("broker:9092", acks="all", linger_ms=10)   # keyword options, typed

config = ProducerConfig(bootstrap_servers="broker:9092", linger_ms=10)
producer = Producer(config=config)                              # a config built beforehand

producer = Producer.from_config({"bootstrap.servers": "broker:9092", "linger.ms": "10"})
```

Keyword options are typed (`ProducerOptions`, a `TypedDict`), so mypy, pyright and IDEs catch
`Producer(lingr_ms=5)` and `Producer(linger_ms="5")`. `config=` is used as it is: it cannot be
combined with `bootstrap_servers` or options (that raises `ConfigError`), so no value is silently
dropped or overridden; to change a config, pass `config=config.copy_with(linger_ms=20)`.
`from_config` takes the dotted names of a Java `.properties` file or a librdkafka dict, with
string values, plus `sasl.jaas.config` and the Java serializer class names.

As in Java, a few defaults depend on what was set explicitly: idempotence turns off when
`acks` is not `"all"` or `retries` is 0 (unless `enable_idempotence=True` was given, which
makes that an error), and `delivery_timeout_ms` grows to `linger_ms + request_timeout_ms` when
not given."""


def configuration_markdown(options: Mapping[str, Option]) -> str:
    """docs/CONFIGURATION.md: the introduction, then a table per group of options."""
    out = [_MARKDOWN_INTRO]
    group = None
    for option in options.values():
        if option.spec.group != group:
            group = option.spec.group
            out.append(f"\n## {group}\n\n| Option | Java | Values | Default | Meaning |")
            out.append("|---|---|---|---|---|")
        unit = f" ({_UNITS[option.unit]})" if option.unit else ""
        cells = (
            f"`{option.name}`",
            f"`{option.java}`" if option.java else "-",
            f"`{_cell(type_text(option))}`{unit}",
            f"`{_cell(default_text(option))}`",
            _cell(option.spec.doc.replace("``", "`")),
        )
        out.append(f"| {' | '.join(cells)} |")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_path() -> Path:
    """docs/CONFIGURATION.md of the source tree this module is in."""
    return Path(__file__).resolve().parents[3] / "docs" / "CONFIGURATION.md"
