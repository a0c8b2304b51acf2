"""Every option `ProducerConfig` accepts is read by the producer: an option that is accepted and
never acted on would fail silently, which the Java client never does. The check is textual (some
module other than ``config.py`` and the ``_config`` package reads ``config.<name>``), with an
explicit allow-list for the few options that reach the code another way."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import ferrokafka
from ferrokafka.config import ProducerConfig

PACKAGE = Path(ferrokafka.__file__).resolve().parent

# Options read other than as `config.<name>`, each with where and why.
READ_INDIRECTLY = {
    # Parsed by ProducerConfig into `bootstrap_addresses`, which the broker pool reads.
    "bootstrap_servers": "config.bootstrap_addresses",
}


def _sources() -> str:
    return "\n".join(
        path.read_text()
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "config.py"
        and not {"testing", "_config"} & set(path.relative_to(PACKAGE).parts)
    )


def test_every_option_is_read() -> None:
    sources = _sources()
    unread = [
        f.name
        for f in fields(ProducerConfig)
        if f.init
        and f.name not in READ_INDIRECTLY
        and not re.search(rf"config\.{f.name}\b", sources)
    ]
    assert unread == [], f"options accepted and never read: {unread}"


def test_the_allow_list_is_current() -> None:
    names = {f.name for f in fields(ProducerConfig) if f.init}
    assert set(READ_INDIRECTLY) <= names
    assert re.search(r"config\.bootstrap_addresses\b", _sources())
