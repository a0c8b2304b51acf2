"""Metric names as the Java client gives them: a name, a group, and tags.

Read them with `Producer.metrics_by_name()`; docs/OBSERVABILITY.md lists every metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PRODUCER_GROUP = "producer-metrics"
TOPIC_GROUP = "producer-topic-metrics"
NODE_GROUP = "producer-node-metrics"


@dataclass(frozen=True, slots=True)
class MetricName:
    """One metric's identity, as Java's ``MetricName``: ``record-send-rate`` in group
    ``producer-topic-metrics`` with tags ``{"client-id": "app", "topic": "orders"}``.

    Groups: ``producer-metrics`` (tag ``client-id``), ``producer-topic-metrics`` (``client-id``,
    ``topic``), ``producer-node-metrics`` (``client-id``, ``node-id``, spelt ``node-1`` as in
    Java). Equal names hash alike, so they can key a dict."""

    name: str
    group: str
    tags: Mapping[str, str]
    description: str = field(default="", compare=False)

    def __hash__(self) -> int:
        return hash((self.name, self.group, tuple(sorted(self.tags.items()))))

    @classmethod
    def of(cls, name: str, group: str, tags: dict[str, str], description: str) -> MetricName:
        return cls(name, group, MappingProxyType(tags), description)


__all__ = ["NODE_GROUP", "PRODUCER_GROUP", "TOPIC_GROUP", "MetricName"]
