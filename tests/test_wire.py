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
