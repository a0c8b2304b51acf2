"""The producer's metrics: Java's names, windows and tags (see docs/OBSERVABILITY.md)."""

from ferrokafka._metrics.producer import ProducerMetrics
from ferrokafka._metrics.stats import WindowConfig

__all__ = ["ProducerMetrics", "WindowConfig"]
