"""What a test may do to one broker process of a cluster it started, whatever the broker is."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class BrokerNode(Protocol):
    """One broker process started by this Python process: a Kafka JVM or a tansu broker.

    Tests stop, kill, pause and restart it to see what the producer does while it is gone.
    """

    @property
    def node_id(self) -> int: ...

    @property
    def address(self) -> str:
        """`127.0.0.1:<port>`; the port stays the same across restarts."""
        ...

    @property
    def is_running(self) -> bool: ...

    @property
    def is_paused(self) -> bool: ...

    @property
    def log_path(self) -> Path: ...

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> None: ...

    def stop(self, timeout: float = 30.0) -> None: ...

    def restart(self, *, timeout: float = 60.0) -> None: ...

    def kill(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def log_tail(self, lines: int = 60) -> str: ...
