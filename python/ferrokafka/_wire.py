"""The byte transport under a `BrokerConnection`: request bytes out, response frames in.

Two implementations of one small interface (`Wire`):

- `AsyncioWire`, an `asyncio.Protocol`: `write` hands the bytes to the transport at once (it
  sends what the socket takes and keeps the rest, in order), and `data_received` cuts response
  frames and hands each to the connection right there. No task is involved, so a request and
  its response cost no trips through the event loop's ready queue: at linger 0 that is most of
  a request's cost in Python.
- `StreamWire`, over an anyio byte stream, for the other event loops (trio): a writer task that
  sends whatever has queued up in one write, and a reader task.

Both report to a `FrameSink` (the connection): each frame, and once, why the byte stream ended.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Protocol, cast

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from ferrokafka._logging import ClientLog
from ferrokafka._runtime import BackgroundTask, Signal, running_loop
from ferrokafka.errors import KafkaConnectionError

# How often `drain` looks whether the bytes are out (only when closing).
DRAIN_POLL_S = 0.001


class FrameSink(Protocol):
    #: Where the wire's own tasks report a failure (the connection's client id is on it).
    log: ClientLog

    def frame_size(self, size_bytes: bytes) -> int:
        """The size announced by a frame's 4-byte prefix; raises `KafkaConnectionError` for a
        size no Kafka response has."""

    def frame_received(self, frame: bytes) -> None:
        """One response frame (without its size prefix); raises `KafkaConnectionError` when it
        shows that the byte stream cannot be trusted any more."""

    def wire_closed(self, error: KafkaConnectionError) -> None:
        """The byte stream ended (called once)."""


class Wire(Protocol):
    def attach(self, sink: FrameSink, name: str) -> None:
        """Starts delivering frames to ``sink``; ``name`` is used in messages."""

    def write(self, data: bytes) -> None:
        """Hands ``data`` over to be sent after everything written before it."""

    def close(self) -> None:
        """Drops the connection now, discarding unsent bytes."""

    async def drain(self) -> None:
        """Returns once every byte written so far is handed to the socket."""

    async def join(self) -> None:
        """Returns once the connection is closed."""

    def raw_socket(self) -> socket.socket | None: ...


class _Reporter:
    """What both wires share: the sink they report to, and reporting the end once."""

    _sink: FrameSink | None = None
    _name = "broker"
    _ended = False

    def attach(self, sink: FrameSink, name: str) -> None:
        self._sink = sink
        self._name = name

    def _end(self, error: KafkaConnectionError) -> None:
        if self._ended:
            return
        self._ended = True
        if self._sink is not None:
            self._sink.wire_closed(error)


async def open_wire(host: str, address: str, port: int, ssl_context: ssl.SSLContext | None) -> Wire:
    """Connects to ``address:port`` (TLS checks ``host``). Raises `OSError` on failure."""
    loop = running_loop()
    if loop is not None:
        transport, protocol = await loop.create_connection(AsyncioWire, address, port)
        if ssl_context is not None:
            # TLS as a second step, so that a handshake cut short by the connect timeout
            # leaves a transport to abort: asyncio would close a half-done TLS connection
            # gracefully, holding the socket open until its own shutdown timeout.
            try:
                tls = await loop.start_tls(transport, protocol, ssl_context, server_hostname=host)
                if tls is None:
                    raise OSError("the TLS handshake did not complete")
            except BaseException:
                # abort() closes the socket in a callback it schedules; one turn of the loop
                # runs it, so a failed connect leaves nothing open behind it. (Our protocol
                # hears nothing of it: the half-done TLS layer sits in between.)
                transport.abort()
                with anyio.CancelScope(shield=True):
                    await asyncio.sleep(0)
                raise
            protocol.connection_made(tls)
        return protocol
    stream: anyio.abc.ByteStream
    if ssl_context is not None:
        stream = await anyio.connect_tcp(address, port, ssl_context=ssl_context, tls_hostname=host)
    else:
        stream = await anyio.connect_tcp(address, port)
    return StreamWire(stream)


class AsyncioWire(_Reporter, asyncio.Protocol):
    """See the module's docstring."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        # Chunks received before a sink was attached.
        self._early: list[bytes] = []
        # The size prefix of the next frame, while fewer than 4 of its bytes have arrived.
        self._prefix = bytearray()
        # A frame that arrives over several chunks is assembled in place: allocated once at
        # its announced size, each chunk copied in once. (Concatenating the chunks instead
        # copies the whole frame again per chunk: quadratic, seconds of CPU for a frame of
        # tens of MiB dripped by a slow or hostile peer.)
        self._partial: bytearray | None = None
        self._filled = 0
        # Bytes copied into partial frames, for tests that the assembly stays linear.
        self.assembled_bytes = 0
        self._lost = asyncio.get_running_loop().create_future()
        self._closing = False

    # --- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio.Transport, but have its methods.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._sink is None:
            self._early.append(data)
            return
        try:
            self._cut_frames(data)
        except KafkaConnectionError as exc:
            self._end(exc)
            self.close()

    def eof_received(self) -> bool:
        self._end(KafkaConnectionError(f"{self._name} closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is None:
            self._end(KafkaConnectionError(f"{self._name} closed the connection"))
        else:
            error = KafkaConnectionError(f"connection to {self._name} broke: {exc}")
            # A TLS alert (the broker refused our certificate) is read from the cause.
            error.__cause__ = exc
            self._end(error)
        if not self._lost.done():
            self._lost.set_result(None)

    # --- Wire ----------------------------------------------------------------------------

    def attach(self, sink: FrameSink, name: str) -> None:
        super().attach(sink, name)
        if self._early:
            early, self._early = b"".join(self._early), []
            self.data_received(early)

    def write(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    def close(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.abort()

    async def join(self) -> None:
        await asyncio.shield(self._lost)

    async def drain(self) -> None:
        # Polled: asyncio says when a buffer crosses its water marks, not when it is empty,
        # and this runs once per connection, at close, under the caller's timeout.
        while (  # noqa: ASYNC110
            self._transport is not None
            and not self._transport.is_closing()
            and self._transport.get_write_buffer_size()
        ):
            await asyncio.sleep(DRAIN_POLL_S)

    def raw_socket(self) -> socket.socket | None:
        if self._transport is None:
            return None
        sock: socket.socket | None = self._transport.get_extra_info("socket")
        return sock

    # --- frames --------------------------------------------------------------------------

    def _cut_frames(self, data: bytes) -> None:
        sink = self._sink
        assert sink is not None
        offset = 0
        end = len(data)
        # A frame's handler may close the connection: the frames after it are dropped.
        while offset < end and not self._closing:
            if self._partial is not None:
                offset = self._fill_partial(data, offset)
                continue
            if self._prefix or end - offset < 4:
                taken = min(4 - len(self._prefix), end - offset)
                self._prefix += data[offset : offset + taken]
                offset += taken
                if len(self._prefix) < 4:
                    return
                size = sink.frame_size(bytes(self._prefix))
                self._prefix.clear()
            else:
                size = sink.frame_size(data[offset : offset + 4])
                offset += 4
            if end - offset >= size:
                # The common case: the whole frame is in this chunk.
                frame = data[offset : offset + size]
                offset += size
                sink.frame_received(frame)
            else:
                self._partial = bytearray(size)
                self._filled = 0

    def _fill_partial(self, data: bytes, offset: int) -> int:
        """Copies what `data` holds of the partial frame; hands the frame on once complete."""
        partial = self._partial
        assert partial is not None
        assert self._sink is not None
        taken = min(len(partial) - self._filled, len(data) - offset)
        partial[self._filled : self._filled + taken] = memoryview(data)[offset : offset + taken]
        self._filled += taken
        self.assembled_bytes += taken
        if self._filled == len(partial):
            self._partial = None
            self._sink.frame_received(bytes(partial))
        return offset + taken


class StreamWire(_Reporter):
    """See the module's docstring."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream
        self._receiver = BufferedByteReceiveStream(stream)
        # Bytes not yet handed to the stream.
        self._outbox: list[bytes] = []
        self._outbox_filled = Signal()
        # The writer is sending bytes it took from the outbox.
        self._writing = False
        self._reader: BackgroundTask | None = None
        self._writer: BackgroundTask | None = None

    def attach(self, sink: FrameSink, name: str) -> None:
        super().attach(sink, name)
        self._reader = BackgroundTask(
            self._read_loop, name=f"ferrokafka-reader-{name}", log=sink.log
        )
        self._writer = BackgroundTask(
            self._write_loop, name=f"ferrokafka-writer-{name}", log=sink.log
        )

    def write(self, data: bytes) -> None:
        if not self._outbox:
            self._outbox_filled.set()
        self._outbox.append(data)

    def close(self) -> None:
        self._outbox.clear()
        if self._reader is not None:
            # The reader closes the stream on its way out.
            self._reader.cancel()
        if self._writer is not None:
            self._writer.cancel()

    async def join(self) -> None:
        if self._reader is not None:
            await self._reader.join()
        if self._writer is not None:
            await self._writer.join()
        if self._reader is None:
            await anyio.aclose_forcefully(self._stream)

    async def drain(self) -> None:
        # Polled like AsyncioWire.drain: once per connection, at close, under a timeout.
        while (self._outbox or self._writing) and not self._ended:  # noqa: ASYNC110
            await anyio.sleep(DRAIN_POLL_S)

    def raw_socket(self) -> socket.socket | None:
        sock: socket.socket | None = self._stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        return sock

    async def _write_loop(self) -> None:
        while True:
            await self._outbox_filled.wait()
            if not self._outbox:
                continue
            data = self._outbox[0] if len(self._outbox) == 1 else b"".join(self._outbox)
            self._outbox.clear()
            self._writing = True
            try:
                await self._stream.send(data)
                self._writing = False
            except BaseException as exc:
                # Possibly half-written: nothing more can be sent on this stream.
                reason = "cancelled while writing" if not isinstance(exc, Exception) else str(exc)
                reason = reason or type(exc).__name__
                self._end(KafkaConnectionError(f"writing to {self._name} failed: {reason}"))
                raise

    async def _read_loop(self) -> None:
        sink = self._sink
        assert sink is not None
        error: KafkaConnectionError | None = None
        try:
            while True:
                size = sink.frame_size(await self._receiver.receive_exactly(4))
                sink.frame_received(await self._receiver.receive_exactly(size))
        except (anyio.EndOfStream, anyio.IncompleteRead):
            error = KafkaConnectionError(f"{self._name} closed the connection")
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            reason = exc or type(exc).__name__
            error = KafkaConnectionError(f"connection to {self._name} broke: {reason}")
            error.__cause__ = exc.__cause__ if isinstance(exc.__cause__, ssl.SSLError) else exc
        except KafkaConnectionError as exc:
            error = exc
        finally:
            self._end(error or KafkaConnectionError(f"connection to {self._name} was closed"))
            if self._writer is not None:
                self._writer.cancel()
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(self._stream)
