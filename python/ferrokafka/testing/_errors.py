"""Errors of the real-Kafka test harness.

```
KafkaHarnessError
├── KafkaFetchError        Java, Maven or the Kafka jars are missing or could not be fetched
├── KafkaStartError        a node did not start in time; names its log and shows the log's tail
├── KafkaToolError         a Kafka command-line tool failed or timed out
├── ConsumeTimeoutError    fewer records than asked for arrived in time (also a TimeoutError)
├── UnexpectedRecordsError more records than asked for were in the topic, up to its end offsets
└── NodeControlError       a node that is not running, or not started by this process
```
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferrokafka.testing._read_back import ConsumedRecord


class KafkaHarnessError(Exception):
    """Base class of every error raised by `ferrokafka.testing`."""


class KafkaFetchError(KafkaHarnessError):
    """Java, Maven or the Kafka jars are missing or could not be fetched."""


class KafkaStartError(KafkaHarnessError):
    """A Kafka node exited or did not become ready in time.

    The message names the node's log file and quotes its last lines, so a failing test report
    shows why without a second run.
    """

    def __init__(self, reason: str, *, log_path: Path | None = None, log_tail: str = "") -> None:
        self.reason = reason
        self.log_path = log_path
        self.log_tail = log_tail
        message = reason
        if log_path is not None:
            message += f"\nbroker log: {log_path}"
        if log_tail:
            message += f"\n--- last lines of {log_path.name if log_path else 'the log'} ---\n"
            message += log_tail
        super().__init__(message)


class KafkaToolError(KafkaHarnessError):
    """A Kafka command-line tool (console producer or consumer, storage tool) failed."""


class ConsumeTimeoutError(KafkaHarnessError, TimeoutError):
    """Fewer records than requested arrived before the deadline; `records` holds those that did."""

    def __init__(self, message: str, records: Sequence[ConsumedRecord]) -> None:
        super().__init__(message)
        self.records = list(records)


class UnexpectedRecordsError(KafkaHarnessError):
    """The topic held more records, up to its partitions' end offsets, than the count asked for
    (a duplicate, or a record that should not be there); `records` holds every record read."""

    def __init__(self, message: str, records: Sequence[ConsumedRecord]) -> None:
        super().__init__(message)
        self.records = list(records)


class NodeControlError(KafkaHarnessError):
    """A node cannot be controlled: it is not running, or the cluster was not started here."""
