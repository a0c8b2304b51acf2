"""Producer options from the command line: ``-X key=value``, properties files, bootstrap."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

from ferrokafka.errors import ConfigError

#: Read when no ``--bootstrap-server`` is given (the variable the test harness uses too).
BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
DEFAULT_BOOTSTRAP = "localhost:9092"


def key_value(text: str) -> tuple[str, str]:
    """``key=value`` (the value may contain ``=``), for argparse's ``type=``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not key=value")
    return key.strip(), value.strip()


def load_properties(path: str) -> dict[str, str]:
    """A Java ``.properties`` file: ``key=value``, ``key: value`` or ``key value`` per line;
    ``#`` and ``!`` start comments; a trailing backslash continues the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the properties file {path}: {exc.strerror}") from None
    props: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line[0] in "#!":
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        cut = min(
            (i for i in (line.find("="), line.find(":"), line.find(" ")) if i > 0), default=-1
        )
        if cut < 0:
            props[line] = ""
        else:
            props[line[:cut].strip()] = line[cut + 1 :].strip()
    return props


def producer_props(
    files: Iterable[str], pairs: Iterable[tuple[str, str]], bootstrap: str | None
) -> dict[str, str]:
    """Files first, then ``key=value`` pairs (later wins), then ``--bootstrap-server``; the
    bootstrap falls back to $KAFKA_BOOTSTRAP_SERVERS, then localhost:9092."""
    props: dict[str, str] = {}
    for path in files:
        props.update(load_properties(path))
    props.update(dict(pairs))
    if bootstrap:
        props["bootstrap.servers"] = bootstrap
    props.setdefault("bootstrap.servers", os.environ.get(BOOTSTRAP_ENV) or DEFAULT_BOOTSTRAP)
    return props


def bootstrap_servers(given: str | None) -> str:
    return given or os.environ.get(BOOTSTRAP_ENV) or DEFAULT_BOOTSTRAP
