"""Renewing a connection's SASL session (KIP-368) without failing or reordering a request.

The broker ends an authenticated session after the lifetime it announced; the authenticator
chose a renewal time before that. When a request is submitted past it, the connection holds
that request and every later one (encoded, in order) while a background task waits until the
requests in flight are answered, authenticates again, then writes the held requests. Kafka
answers in order, so with nothing in flight no other response can come between the SASL
messages. Nothing in flight fails and nothing is reordered: the submitters see only a longer
response time, which does not count against their timeout.

Renewal is lazy, as in the Java client: an idle connection is renewed when it is next used (the
broker accepts a SaslHandshake even after the session ended). A renewal that fails ends the
connection as any lost connection does: the held requests fail with it, are retried on a new
connection, and that connection's own authentication reports the error if it persists.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from ferrokafka._runtime import BackgroundTask
from ferrokafka._submitted import SubmittedRequest
from ferrokafka.errors import KafkaConnectionError

if TYPE_CHECKING:
    from ferrokafka._connection import BrokerConnection
    from ferrokafka._sasl.authenticator import SaslAuthenticator

#: Writes a request's bytes now (``BrokerConnection``'s own write, which the renewal is lent).
Write = Callable[[SubmittedRequest, bytes, bool], None]
#: Ends the connection with an error, failing every request on it.
End = Callable[[KafkaConnectionError], None]


class SessionRenewal:
    """The SASL session of one authenticated connection, renewed before the broker ends it."""

    __slots__ = (
        "_authenticator",
        "_conn",
        "_end",
        "_held",
        "_held_since",
        "_idle",
        "_renew_at",
        "_task",
        "_write",
    )

    def __init__(
        self,
        conn: BrokerConnection,
        authenticator: SaslAuthenticator,
        renew_at: float | None,
        *,
        write: Write,
        end: End,
    ) -> None:
        self._conn = conn
        self._authenticator = authenticator
        # time.monotonic() at which the session is renewed; None: the broker set no expiry.
        self._renew_at = renew_at
        self._write = write
        self._end = end
        # Requests submitted while the session is renewed, with their bytes: written in order
        # once it is. None when no renewal is under way.
        self._held: collections.deque[tuple[SubmittedRequest, bytes, bool]] | None = None
        # time.monotonic() when the first request was held: the wait is added to deadlines.
        self._held_since = 0.0
        self._task: BackgroundTask | None = None
        # Set when the last in-flight response arrives, for a renewal waiting for that.
        self._idle: anyio.Event | None = None

    def hold(self, entry: SubmittedRequest, data: bytes, expect_response: bool) -> bool:
        """Holds a request submitted now if the session is being renewed or is due (starting
        the renewal then); False: the connection writes it now."""
        if self._held is None:
            if self._renew_at is None or time.monotonic() < self._renew_at:
                return False
            self._held = collections.deque()
            self._held_since = time.monotonic()
            self._task = BackgroundTask(
                self._renew, f"ferrokafka-reauth {self._conn}", log=self._conn.log
            )
        self._held.append((entry, data, expect_response))
        return True

    def nothing_in_flight(self) -> None:
        """The connection has no request in flight any more (answered, or failed)."""
        if self._idle is not None:
            self._idle.set()

    def take_held(self) -> list[SubmittedRequest]:
        """The connection ended: the requests held, which fail with it."""
        held, self._held = self._held or (), None
        return [entry for entry, _, _ in held]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await self._task.join()

    async def _renew(self) -> None:
        conn = self._conn
        try:
            while conn.in_flight_count:
                self._idle = anyio.Event()
                await self._idle.wait()
            self._idle = None
            if conn.closed:
                return
            self._renew_at = await self._authenticator.authenticate(
                conn, conn.request_timeout, reauthenticating=True
            )
        except Exception as exc:
            lost = KafkaConnectionError(f"re-authentication with {conn} failed: {exc}")
            lost.__cause__ = exc
            self._end(lost)
            return
        held, self._held = self._held or collections.deque(), None
        waited = time.monotonic() - self._held_since
        for entry, data, expect_response in held:
            entry.deadline += waited
            self._write(entry, data, expect_response)
