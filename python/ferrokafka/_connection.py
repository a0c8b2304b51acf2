"""One connection to one broker: framing, correlation ids, pipelining, timeouts.

`submit` encodes a request at once, in the caller's turn, and hands its bytes to the wire
(`_wire`: an asyncio protocol, or anyio streams under trio). Correlation ids are therefore
assigned in call order and requests reach the socket in that order (the sender relies on it:
Produce requests carry sequence numbers). Kafka answers in the same order on a connection, so
the in-flight requests form a queue: each response frame goes to the oldest entry's callback,
after checking that the correlation ids agree. Anything else (a wrong id, an impossible frame
size, bytes the codec rejects) means the byte stream can no longer be trusted, so the
connection is closed and every request in flight on it fails.

Nothing here starts a task, a lock or a cancel scope per request: that is what lets one Python
thread keep up with many small requests (linger 0). `request` is the awaitable form, for the
occasional request.

A request that gets no response within its timeout closes the connection as well (as the Java
client does): a later response could not be told apart from the ones queued behind it. `request`
watches its own timeout; submitters call `expire_requests` from their loop instead.

With SASL, the connection is authenticated right after the version negotiation, and renews its
session (KIP-368) without failing or reordering a request: `_session_renewal`. What it keeps of
each submitted request is `_submitted`'s.

Exceptions of this layer, in the public tree of `ferrokafka.errors`::

    KafkaConnectionError            could not connect, or the connection broke; retriable
     ├── ProtocolError              bytes that are no valid Kafka response
     └── NoResponseError            (a KafkaTimeoutError) no response within the timeout
    NoCommonVersionError            (an UnsupportedVersionError) no API version in common
"""

from __future__ import annotations

import collections
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.abc

from ferrokafka._address import BrokerAddress as BrokerAddress
from ferrokafka._address import parse_bootstrap_servers as parse_bootstrap_servers
from ferrokafka._logging import CONNECTION, client_log
from ferrokafka._requests import (
    SUPPORTED_VERSIONS,
    Request,
    api_name,
)
from ferrokafka._session_renewal import SessionRenewal
from ferrokafka._submitted import OnDone as OnDone
from ferrokafka._submitted import ResponseWaiter, SubmittedRequest
from ferrokafka._wire import Wire
from ferrokafka.errors import (
    KafkaConnectionError as KafkaConnectionError,
)
from ferrokafka.errors import (
    KafkaTimeoutError,
    ProtocolError,
    UnsupportedVersionError,
)

if TYPE_CHECKING:
    from ferrokafka._metrics.network import ConnectionObserver
    from ferrokafka._native import VersionRange
    from ferrokafka._sasl.authenticator import SaslAuthenticator

T = TypeVar("T")

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_IN_FLIGHT = 5
DEFAULT_DRAIN_TIMEOUT = 1.0
#: Larger frames are taken for garbage (an HTTP server answers b"HTTP", i.e. 1.2 GB). A
#: producer's largest response is Metadata: about 45 bytes per partition at replication factor
#: 3 (ids, epochs, replica and ISR lists) plus ~100 per broker, so 3,000 partitions take
#: ~135 KB and 16 MiB holds ~350,000; Produce responses are a few bytes per partition. The cap
#: bounds what a peer can make us allocate and assemble for one frame.
DEFAULT_MAX_RESPONSE_SIZE = 16 * 1024 * 1024


class NoResponseError(KafkaConnectionError, KafkaTimeoutError):
    """A request got no response within its timeout; the connection was closed. The request
    may still have been written by the broker ("maybe written")."""


class NoCommonVersionError(UnsupportedVersionError):
    """The broker and this client share no version of an API the client needs: upgrade the
    broker or ferrokafka."""


class BrokerConnection:
    """A connected, version-negotiated connection. Open it with `_connect.connect`
    or `_connect.connect_any`."""

    def __init__(
        self,
        wire: Wire,
        *,
        host: str,
        port: int,
        address: str,
        node_id: int | None,
        client_id: str | None,
        request_timeout: float,
        max_in_flight: int,
        max_response_size: int,
    ) -> None:
        self.host = host
        self.port = port
        self.address = address
        self.node_id = node_id
        self.client_id = client_id
        self.log = client_log(CONNECTION, client_id)
        self.request_timeout = request_timeout
        self._api_versions: dict[int, VersionRange] = {}
        #: Cluster-wide finalized feature levels, e.g. ``transaction.version`` (KIP-890).
        self.finalized_features: dict[str, VersionRange] = {}
        # `api_version`'s answers, until ``api_versions`` changes.
        self._versions: dict[tuple[int, int | None, int | None], int] = {}
        self._max_response_size = max_response_size
        # Bounds the awaitable `request`s; submitters keep their own window.
        self._slots = anyio.Semaphore(max_in_flight)
        self._in_flight: collections.deque[SubmittedRequest] = collections.deque()
        self._next_correlation_id = 0
        # Why the connection ended; set once.
        self._error: KafkaConnectionError | None = None
        #: `time.monotonic()` of the last request written, or of the response that emptied the
        #: in-flight queue: ``connections_max_idle_ms`` counts from it.
        self.last_active = time.monotonic()
        #: `time.monotonic()` until which the broker throttles this client (KIP-219): it has
        #: muted its end of the connection, so nothing more is sent before then.
        self.throttled_until = 0.0
        # Told of every request written and response read, and of the close (metrics).
        self.observer: ConnectionObserver | None = None
        self._wire = wire
        wire.attach(self, str(self))
        # The SASL session, once authenticated: it may hold submitted requests while renewed.
        self._session: SessionRenewal | None = None

    # --- life cycle ----------------------------------------------------------------------

    async def close(self, drain_timeout: float = DEFAULT_DRAIN_TIMEOUT) -> None:
        """Closes the connection; requests still in flight fail with `KafkaConnectionError`.
        Bytes already submitted are sent first, for up to ``drain_timeout`` seconds: one-way
        requests (acks=0) count as sent once submitted."""
        if self._error is None:
            with anyio.move_on_after(drain_timeout):
                await self._wire.drain()
        self._fail(KafkaConnectionError(f"connection to {self} was closed"))
        if self._session is not None:
            await self._session.close()
        await self._wire.join()

    @property
    def closed(self) -> bool:
        return self._error is not None

    @property
    def error(self) -> KafkaConnectionError | None:
        """Why the connection ended; None while it is open."""
        return self._error

    @property
    def in_flight_count(self) -> int:
        return len(self._in_flight)

    def idle_seconds(self, now: float) -> float:
        """How long the connection has carried nothing (0 while a request is in flight)."""
        return 0.0 if self._in_flight else now - self.last_active

    def throttle(self, throttle_time_ms: int) -> None:
        """Notes a response's ``throttle_time_ms`` (KIP-219): the broker answered at once and
        muted the connection for that long; requests sent meanwhile would only queue there."""
        if throttle_time_ms > 0:
            until = time.monotonic() + throttle_time_ms / 1000
            self.throttled_until = max(self.throttled_until, until)

    def __str__(self) -> str:
        node = f" (node {self.node_id})" if self.node_id is not None else ""
        return f"{BrokerAddress(self.host, self.port)}{node}"

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._in_flight)} in flight"
        return f"<BrokerConnection {self} {state}>"

    # --- versions ------------------------------------------------------------------------

    @property
    def api_versions(self) -> dict[int, VersionRange]:
        """``{api_key: VersionRange}`` from the broker's ApiVersions answer."""
        return self._api_versions

    @api_versions.setter
    def api_versions(self, versions: dict[int, VersionRange]) -> None:
        self._api_versions = versions
        self._versions.clear()

    def api_version(
        self, api_key: int, ours_min: int | None = None, ours_max: int | None = None
    ) -> int:
        """The highest version of ``api_key`` that both the broker and this client (the codec's
        range, or ``ours_min..ours_max``) support.

        The one place versions are negotiated: the codec (Rust) only says which versions it
        implements (`SUPPORTED_VERSIONS`). The choice needs the broker's ApiVersions answer,
        which this connection holds and renews on reconnect, and callers narrow the range per
        request (an epoch bump needs InitProducerId v3+), both of which live here. Worked out
        once per question: the sender asks it for every Produce request."""
        asked = (api_key, ours_min, ours_max)
        version = self._versions.get(asked)
        if version is None:
            version = self._versions[asked] = self._negotiate(api_key, ours_min, ours_max)
        return version

    def _negotiate(self, api_key: int, ours_min: int | None, ours_max: int | None) -> int:
        ours = SUPPORTED_VERSIONS.get(api_key)
        lo = ours_min if ours_min is not None else 0 if ours is None else ours.min_version
        hi = ours_max if ours_max is not None else -1 if ours is None else ours.max_version
        theirs = self._api_versions.get(api_key)
        if theirs is None:
            raise NoCommonVersionError(f"broker {self} does not support {api_name(api_key)}")
        common_lo, common_hi = max(lo, theirs.min_version), min(hi, theirs.max_version)
        if common_lo > common_hi:
            raise NoCommonVersionError(
                f"no common {api_name(api_key)} version with broker {self}: it supports "
                f"v{theirs.min_version}..v{theirs.max_version}, this client v{lo}..v{hi}"
            )
        return common_hi

    # --- requests ------------------------------------------------------------------------

    def submit(
        self,
        request: Request[Any],
        on_done: OnDone,
        *,
        expect_response: bool = True,
        request_timeout: float | None = None,
        authenticating: bool = False,
    ) -> None:
        """Encodes ``request`` now and queues it for the writer; ``on_done(frame, error)`` runs
        once its response frame arrives (the frame starts at the correlation id), or, with
        ``expect_response=False``, once it is written (frame ``b""``), or with the error that
        ended the connection. Requests reach the wire in the order they are submitted
        (``authenticating`` ones, the SASL exchange's own, pass those held for it).

        Raises `KafkaConnectionError` if the connection is closed, and whatever the encoder
        raises; in both cases nothing was queued and ``on_done`` is never called."""
        if self._error is not None:
            raise KafkaConnectionError(
                f"cannot send {request.name} to {self}: the connection is closed ({self._error})"
            )
        correlation_id = self._next_correlation_id
        data = request.encode(correlation_id, self.client_id)
        self._next_correlation_id = (correlation_id + 1) & 0x7FFFFFFF
        limit = self.request_timeout if request_timeout is None else request_timeout
        entry = SubmittedRequest(correlation_id, request, time.monotonic() + limit, on_done)
        session = self._session
        if (
            not authenticating
            and session is not None
            and session.hold(entry, data, expect_response)
        ):
            return
        self._write(entry, data, expect_response)

    def _write(self, entry: SubmittedRequest, data: bytes, expect_response: bool) -> None:
        self._wire.write(data)
        if self.observer is not None:
            self.observer.request_sent(len(data))
        self.last_active = time.monotonic()
        if expect_response:
            self._in_flight.append(entry)
        else:
            # Handed to the transport, in order: as far as this client can tell, sent.
            entry.finish(b"", None, self.log)

    def expire_requests(self, now: float | None = None) -> float | None:
        """Closes the connection if a request is past its timeout (failing every request on
        it); returns the earliest deadline still pending (`time.monotonic()` clock)."""
        if not self._in_flight:
            return None
        if now is None:
            now = time.monotonic()
        earliest = min(entry.deadline for entry in self._in_flight)
        if earliest > now:
            return earliest
        late = next(entry for entry in self._in_flight if entry.deadline <= now)
        limit = self.request_timeout
        self._fail(
            NoResponseError(
                f"{late.name} to {self} got no response within {limit:g} s; closing the connection"
            )
        )
        return None

    async def request(
        self,
        request: Request[T],
        *,
        request_timeout: float | None = None,
        authenticating: bool = False,
    ) -> T:
        """Sends ``request`` and returns its decoded response. Waits for a free in-flight slot
        first (unless ``authenticating``: see `submit`); ``request_timeout`` (default: the
        connection's) counts from the submission."""
        limit = self.request_timeout if request_timeout is None else request_timeout
        reply = ResponseWaiter()
        slot = contextlib.nullcontext() if authenticating else self._slots
        async with slot:
            self.submit(request, reply, request_timeout=limit, authenticating=authenticating)
            with anyio.move_on_after(limit):
                await reply.event.wait()
        if not reply.event.is_set():
            timed_out = NoResponseError(
                f"{request.name} to {self} got no response within {limit:g} s; "
                "closing the connection"
            )
            self._fail(timed_out)
            raise timed_out
        if reply.error is not None:
            raise reply.error
        assert reply.frame is not None
        try:
            return request.decode(reply.frame)
        except ProtocolError as exc:
            error = ProtocolError(f"{self} sent an invalid response: {exc}")
            self._fail(error)
            raise error from exc

    def fail_invalid_response(self, detail: str) -> ProtocolError:
        """For submitters whose decoder rejected a response: the byte stream cannot be trusted
        any more, so the connection ends. Returns the error it ended with."""
        error = ProtocolError(f"{self} sent an invalid response: {detail}")
        self._fail(error)
        return error

    async def send_oneway(self, request: Request[Any]) -> None:
        """Sends a request the broker does not answer (Produce with ``acks=0``); returns once
        it is written."""
        reply = ResponseWaiter()
        self.submit(request, reply, expect_response=False)
        await reply.event.wait()
        if reply.error is not None:
            raise reply.error

    # --- the reader and the end of the connection ----------------------------------------

    def frame_size(self, size_bytes: bytes) -> int:
        size = int.from_bytes(size_bytes, "big", signed=True)
        if not 4 <= size <= self._max_response_size:
            raise ProtocolError(self._bad_frame_message(size_bytes, size))
        return size

    def frame_received(self, frame: bytes) -> None:
        correlation_id = int.from_bytes(frame[:4], "big", signed=True)
        if not self._in_flight:
            raise ProtocolError(
                f"{self} sent a response (correlation id {correlation_id}) "
                "while no request was waiting"
            )
        entry = self._in_flight[0]
        if entry.correlation_id != correlation_id:
            raise ProtocolError(
                f"{self} answered with correlation id {correlation_id} where "
                f"{entry.correlation_id} ({entry.name}) was expected"
            )
        self._in_flight.popleft()
        if not self._in_flight:
            self.last_active = time.monotonic()
        entry.finish(frame, None, self.log)
        # After the request's callback: its records are settled before the bookkeeping.
        if self.observer is not None:
            self.observer.response_received(len(frame) + 4)
        if not self._in_flight and self._session is not None:
            self._session.nothing_in_flight()

    def wire_closed(self, error: KafkaConnectionError) -> None:
        self._fail(error)

    def _bad_frame_message(self, size_bytes: bytes, size: int) -> str:
        message = f"{self} sent a frame of {size} bytes, which no Kafka response has"
        if size_bytes == b"HTTP":
            return f"{message}: it answered in HTTP, so it is an HTTP server, not a Kafka broker"
        if size_bytes[:1] == b"\x15":
            return f"{message}: it looks like a TLS alert; does this listener expect TLS?"
        return f"{message} (first bytes {size_bytes!r}): is it a Kafka broker?"

    def _fail(self, error: KafkaConnectionError) -> None:
        """Ends the connection: records why, fails every request in flight, closes the
        socket."""
        if self._error is None:
            self._error = error
            level = logging.INFO if self._in_flight else logging.DEBUG
            self.log.log(level, "%s", error)
            if self.observer is not None:
                self.observer.connection_closed()
        root = self._error
        # The others did not time out themselves: they fail because the connection ended.
        kind = KafkaConnectionError if isinstance(root, NoResponseError) else type(root)
        session = self._session
        held = session.take_held() if session is not None else []
        for entry in [*self._in_flight, *held]:
            failure = kind(f"{entry.name} to {self} failed: {root}")
            failure.__cause__ = root
            entry.finish(None, failure, self.log)
        self._in_flight.clear()
        if session is not None:
            session.nothing_in_flight()
        self._wire.close()

    # --- SASL session (KIP-368) ----------------------------------------------------------

    async def authenticate(self, authenticator: SaslAuthenticator, timeout_s: float) -> None:
        """Authenticates this connection (nothing else may be in flight) and arranges for its
        session to be renewed before the broker ends it."""
        renew_at = await authenticator.authenticate(self, timeout_s)
        self._session = SessionRenewal(
            self, authenticator, renew_at, write=self._write, end=self._fail
        )
