"""ferrokafka: an asyncio-native Apache Kafka producer whose hot path is Rust."""

from ferrokafka._native import __version__

__all__ = ["__version__"]
