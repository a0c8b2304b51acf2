"""A request submitted on a `BrokerConnection`: what the connection keeps of it until its
response arrives (or, one-way, until it is written), and how whoever submitted it is told."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio

from ferrokafka._logging import ClientLog
from ferrokafka._requests import Request
from ferrokafka.errors import KafkaConnectionError

#: ``on_done(frame, error)``: exactly one of them is None. Called once, from the reader or the
#: writer task, or from whoever ends the connection; it must not raise or block.
OnDone = Callable[[bytes | None, "KafkaConnectionError | None"], None]


class SubmittedRequest:
    """A submitted request waiting for its response (or, one-way, for its write)."""

    __slots__ = ("correlation_id", "deadline", "on_done", "request")

    def __init__(
        self, correlation_id: int, request: Request[Any], deadline: float, on_done: OnDone
    ) -> None:
        self.correlation_id = correlation_id
        self.request = request
        # time.monotonic() by which the response is due.
        self.deadline = deadline
        # None once called: a request ends once, whichever of its response, its write and the
        # end of the connection comes first.
        self.on_done: OnDone | None = on_done

    @property
    def name(self) -> str:
        return self.request.name

    def finish(
        self, frame: bytes | None, error: KafkaConnectionError | None, log: ClientLog
    ) -> None:
        on_done, self.on_done = self.on_done, None
        if on_done is None:
            return
        try:
            on_done(frame, error)
        except Exception:
            # A bug in a callback must not take the connection's tasks down with it.
            log.exception("completing %s failed", self.name)


class ResponseWaiter:
    """An `OnDone` to wait on: where `BrokerConnection.request` waits for its response."""

    __slots__ = ("error", "event", "frame")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.frame: bytes | None = None
        self.error: KafkaConnectionError | None = None

    def __call__(self, frame: bytes | None, error: KafkaConnectionError | None) -> None:
        self.frame = frame
        self.error = error
        self.event.set()
