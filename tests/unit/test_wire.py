"""AsyncioWire's frame assembly: a frame that arrives in many small chunks is copied into place
once, however slowly a peer drips it (a fake peer: a real broker never sends such frames)."""

from __future__ import annotations

import asyncio
import struct
import time

from ferrokafka._wire import AsyncioWire
from ferrokafka.errors import KafkaConnectionError

FRAME_SIZE = 12 * 1024 * 1024
CHUNK = 4096


class _Sink:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.ended: KafkaConnectionError | None = None
        self.done = asyncio.Event()

    def frame_size(self, size_bytes: bytes) -> int:
        size: int = struct.unpack(">i", size_bytes)[0]
        return size

    def frame_received(self, frame: bytes) -> None:
        self.frames.append(frame)
        self.done.set()

    def wire_closed(self, error: KafkaConnectionError) -> None:
        self.ended = error
        self.done.set()


async def test_a_dripped_frame_is_assembled_with_one_copy_per_byte() -> None:
    payload = bytes(range(256)) * (FRAME_SIZE // 256)

    async def drip(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = struct.pack(">i", len(payload)) + payload
        for start in range(0, len(data), CHUNK):
            writer.write(data[start : start + CHUNK])
            # Each chunk its own segment, as a slow peer would send them.
            await writer.drain()
            await asyncio.sleep(0)
        await writer.drain()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    cpu_before = time.process_time()
    _transport, wire = await loop.create_connection(AsyncioWire, "127.0.0.1", port)
    sink = _Sink()
    wire.attach(sink, "fake peer")
    try:
        await asyncio.wait_for(sink.done.wait(), 60)
    finally:
        wire.close()
        server.close()
        await server.wait_closed()
    cpu = time.process_time() - cpu_before
    assert sink.ended is None
    assert sink.frames == [payload]
    # Every byte of the frame copied into place once (re-concatenating per chunk would copy
    # about FRAME_SIZE**2 / (2 * chunk) bytes).
    assert wire.assembled_bytes <= FRAME_SIZE
    print(f"{FRAME_SIZE >> 20} MiB frame assembled; process CPU {cpu:.2f} s")


def test_frames_split_anywhere_are_cut_the_same() -> None:
    frames = [b"a" * 10, b"", b"b" * 3, b"c" * 100]
    stream = b"".join(struct.pack(">i", len(f)) + f for f in frames)
    for step in (1, 2, 3, 5, 7, 64, len(stream)):

        async def feed(step: int = step) -> list[bytes]:
            wire = AsyncioWire()
            sink = _Sink()
            wire.attach(sink, "fake")
            for start in range(0, len(stream), step):
                wire.data_received(stream[start : start + step])
            return sink.frames

        assert asyncio.run(feed()) == frames, step


def _feed(*chunks: bytes, sink: _Sink | None = None, attach_after: int = 0) -> _Sink:
    """Feeds ``chunks`` to an `AsyncioWire` with no transport; the sink is attached after the
    first ``attach_after`` of them."""

    async def run() -> _Sink:
        wire = AsyncioWire()
        target = sink or _Sink()
        for index, chunk in enumerate(chunks):
            if index == attach_after:
                wire.attach(target, "fake")
            wire.data_received(chunk)
        if attach_after >= len(chunks):
            wire.attach(target, "fake")
        return target

    return asyncio.run(run())


def _framed(*frames: bytes) -> bytes:
    return b"".join(struct.pack(">i", len(f)) + f for f in frames)


def test_bytes_that_arrive_before_the_sink_are_cut_once_it_is_attached() -> None:
    sink = _feed(_framed(b"one"), _framed(b"two")[:5], _framed(b"two")[5:], attach_after=2)
    assert sink.frames == [b"one", b"two"]


class _RefusingSink(_Sink):
    """Refuses frame sizes above 8 bytes and frames that start with b"bad", as a connection
    refuses a size no Kafka response has or an unexpected correlation id."""

    def frame_size(self, size_bytes: bytes) -> int:
        size = super().frame_size(size_bytes)
        if size > 8:
            raise KafkaConnectionError(f"a frame of {size} bytes")
        return size

    def frame_received(self, frame: bytes) -> None:
        if frame.startswith(b"bad"):
            raise KafkaConnectionError("a bad frame")
        super().frame_received(frame)


def test_a_refused_size_ends_the_wire_and_drops_what_follows() -> None:
    sink = _feed(_framed(b"ok", b"x" * 9, b"after"), sink=_RefusingSink())
    assert sink.frames == [b"ok"]
    assert isinstance(sink.ended, KafkaConnectionError)
    assert "9 bytes" in str(sink.ended)


def test_a_refused_frame_ends_the_wire_once_and_drops_the_frames_after_it() -> None:
    sink = _RefusingSink()

    async def run() -> None:
        wire = AsyncioWire()
        wire.attach(sink, "fake")
        wire.data_received(_framed(b"ok", b"bad", b"after"))
        wire.data_received(_framed(b"later"))
        # The transport's own end, after the wire ended itself, is not reported again.
        wire.connection_lost(None)

    asyncio.run(run())
    assert sink.frames == [b"ok"]
    assert str(sink.ended) == "a bad frame"


def test_the_peer_closing_is_reported_once() -> None:
    ends: list[KafkaConnectionError] = []

    class _Counting(_Sink):
        def wire_closed(self, error: KafkaConnectionError) -> None:
            ends.append(error)

    async def run() -> None:
        wire = AsyncioWire()
        wire.attach(_Counting(), "broker 1")
        wire.eof_received()
        wire.connection_lost(None)

    asyncio.run(run())
    assert [str(e) for e in ends] == ["broker 1 closed the connection"]
