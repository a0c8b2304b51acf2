"""Every `name=` the docs pages write (in prose or in code) is an option of ProducerConfig or a
parameter of a public call the pages show, so that a misspelt or renamed option in the docs
fails here instead of in a reader's program."""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

from docs_pages import DOCS, pages

import ferrokafka
import ferrokafka.aiokafka
import ferrokafka.opentelemetry
import ferrokafka.sync
from ferrokafka import Producer, ProducerConfig
from ferrokafka.config import OAuthToken
from ferrokafka.testing import BaseCluster, SecuredKafkaCluster
from ferrokafka.testing.pytest_plugin import TopicFactory

# `name=` as a keyword argument or a setting: not `name ==`, not a dotted Java name's tail.
ASSIGNMENT = re.compile(r"(?<![\w.\-])([a-z][a-z0-9]*(?:_[a-z0-9]+)*)=(?!=)")

OPTIONS = {field.name for field in dataclasses.fields(ProducerConfig)}

# Keyword arguments and settings of other libraries that the pages' code uses.
OTHER_LIBRARIES = {
    "backend",  # anyio.run
    "cafile",  # ssl.create_default_context
    "exc_info",  # logging
    "level",
    "status_code",  # FastAPI
    "transport",  # httpx
    "base_url",
    "timestamp",  # confluent-kafka's produce()
    "username",  # sasl.jaas.config's login module options
    "password",
    "grant_type",  # the OAuth token request's form
    "k",  # placeholders in `k=v` syntax
    "k1",
    "k2",
}
# Misspelt on purpose, to show what is caught.
DELIBERATE = {("CONFIGURATION.md", "lingr_ms")}


def _parameters(call: Callable[..., Any]) -> set[str]:
    return set(inspect.signature(call).parameters) - {"self", "args", "kwargs", "options"}


def public_parameters() -> set[str]:
    """The parameter names of the public calls the pages show."""
    names: set[str] = set()
    for cls in (Producer, ferrokafka.sync.Producer, ferrokafka.aiokafka.AIOKafkaProducer):
        for _, member in inspect.getmembers(cls, callable):
            if not getattr(member, "__name__", "_").startswith("_") or member.__name__ in (
                "__init__",
            ):
                try:
                    names |= _parameters(member)
                except (TypeError, ValueError):
                    continue
    for cls in (
        BaseCluster,
        SecuredKafkaCluster,
        OAuthToken,
        ferrokafka.opentelemetry.TracingInterceptor,
        ferrokafka.opentelemetry.ProducerMetricsObserver,
    ):
        names |= _parameters(cls.__init__)
        for _, member in inspect.getmembers(cls, inspect.isfunction):
            names |= _parameters(member)
    names |= _parameters(TopicFactory.__call__)
    names |= _parameters(ferrokafka.describe_cluster)
    names |= _parameters(ProducerConfig.copy_with)
    names |= _parameters(ferrokafka.DeliveryFuture.add_done_callback)
    return names


def assignments() -> Iterator[tuple[str, int, str]]:
    for page in pages():
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for match in ASSIGNMENT.finditer(line):
                yield str(page.relative_to(DOCS)), number, match.group(1)


def test_every_name_assigned_in_the_docs_exists() -> None:
    known = OPTIONS | public_parameters() | OTHER_LIBRARIES
    unknown = [
        f"{page}:{line}: {name}="
        for page, line, name in assignments()
        if name not in known and (page, name) not in DELIBERATE
    ]
    assert not unknown, "names that are no option nor parameter:\n" + "\n".join(unknown)


def test_the_scan_finds_options() -> None:
    found = {name for _, _, name in assignments()}
    # The tuning page's profiles, at least.
    assert {"acks", "linger_ms", "batch_size", "compression_type", "delivery_timeout_ms",
            "enable_idempotence", "max_block_ms", "buffer_memory"} <= found  # fmt: skip
    assert ASSIGNMENT.findall("Producer(lingr_ms=5, acks == 1, linger.ms=5)") == ["lingr_ms"]
