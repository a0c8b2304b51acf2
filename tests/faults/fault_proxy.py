"""A fault-injecting TCP proxy for Kafka connections, on 127.0.0.1.

One `FaultProxy` sits in front of one broker. It runs its own event loop in a thread, so it
keeps its timing whatever the code under test does with its loop, and the test drives it with
plain method calls from any thread.

Byte-level faults, for every connection at once:

- `latency`: every chunk is delivered that much later (order kept);
- `stall`: bytes in one direction are held back (the connection stays open) until `resume`;
- `blackhole`: nothing passes any more either way, and new connections are accepted but never
  reach the broker: a host that vanished without a reset;
- `fragment`: bytes are written in small pieces (1..n bytes), each its own TCP segment, so the
  peer reads requests and responses in partial reads;
- `reset_connections`: every live connection is reset (RST, as a crashed peer's kernel sends);
- `refuse`: the port is closed (connection refused) until `accept`.

Frame-level faults (`add_rule`) pick Kafka requests by API key and act once per matching request
(``times``): answer in the broker's place with an error code (the broker never sees the
request), reset the connection after half a request, lose the response (reset once the broker
answered), stop delivering anything after the request (a silent stall the client can only
time out), or deliver a truncated or undecodable response. Responses leave in request order,
whether the broker or the proxy answered, as Kafka guarantees per connection.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import itertools
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import kafka_wire as wire

T = TypeVar("T")

MAX_FRAME = 64 * 1024 * 1024


class Direction(enum.Enum):
    #: Client to broker.
    REQUESTS = "requests"
    #: Broker to client.
    RESPONSES = "responses"


class Action(enum.Enum):
    #: Answer the request with ``error_code`` for every partition; the broker never sees it.
    ANSWER_ERROR = "answer_error"
    #: Forward half of the request, then reset both sides.
    RESET_MID_REQUEST = "reset_mid_request"
    #: Forward the request; when the broker answers, reset instead of delivering the answer.
    RESET_AFTER_REQUEST = "reset_after_request"
    #: Forward the request, then pass nothing more on this connection, either way.
    STALL_AFTER_REQUEST = "stall_after_request"
    #: Deliver half of the answer, then close the connection.
    TRUNCATE_RESPONSE = "truncate_response"
    #: Deliver a well-framed answer whose body is cut short (no decoder can accept it).
    CORRUPT_RESPONSE = "corrupt_response"


@dataclass
class Rule:
    action: Action
    api_key: int = wire.PRODUCE
    #: How many matching requests it acts on (-1: all).
    times: int = 1
    error_code: int = 0
    #: Matching requests let through before it starts acting.
    skip: int = 0
    #: How many requests it acted on so far.
    fired: int = 0

    def take(self, api_key: int) -> bool:
        if api_key != self.api_key or self.times == 0:
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times > 0:
            self.times -= 1
        self.fired += 1
        return True


@dataclass
class Stats:
    connections: int = 0
    #: Requests seen, by API key.
    requests: collections.Counter[int] = field(default_factory=collections.Counter)
    bytes_up: int = 0
    bytes_down: int = 0
    resets: int = 0
    #: Broker responses never delivered (stalled or blackholed connections).
    responses_dropped: int = 0


class FaultProxy:
    """Proxy from ``127.0.0.1:<port>`` to an upstream broker. Use as a context manager, or
    call `close`."""

    def __init__(self, upstream: tuple[str, int] | None = None, *, name: str = "proxy") -> None:
        self.name = name
        self.upstream = upstream
        self.stats = Stats()
        self._latency = {Direction.REQUESTS: 0.0, Direction.RESPONSES: 0.0}
        self._stalled: set[Direction] = set()
        self._blackholed = False
        self._fragment: int | None = None
        self._rules: list[Rule] = []
        #: Called (in the proxy's thread) with every whole frame passed on, size prefix
        #: included, e.g. to capture real traffic.
        self.tap: Callable[[Direction, bytes], None] | None = None
        #: As `tap`, with the connection's id first (unique across proxies), for checks that
        #: pair requests with responses (correlation ids are per connection).
        self.connection_tap: Callable[[int, Direction, bytes], None] | None = None
        self._links: set[_Link] = set()
        self._random = random.Random(0)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fault-{name}", daemon=True)
        self._listener: socket.socket | None = self._bind(0)
        self.port: int = self._listener.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._thread.start()
        self._ready.wait()
        self._call(self._serve)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<FaultProxy {self.name} {self.address} -> {self.upstream}>"

    # --- faults ----------------------------------------------------------------------------

    def latency(self, seconds: float, direction: Direction | None = None) -> None:
        """Delays every chunk by ``seconds`` (in one direction, or both)."""
        for d in [direction] if direction is not None else list(Direction):
            self._latency[d] = seconds

    def stall(self, direction: Direction | None = None) -> None:
        """Holds back bytes (in one direction, or both) until `resume`."""
        self._stalled |= {direction} if direction is not None else set(Direction)

    def resume(self) -> None:
        self._stalled.clear()

    def blackhole(self, on: bool = True) -> None:
        """From now on, nothing passes; new connections are accepted and ignored."""
        self._blackholed = on

    def fragment(self, max_piece: int | None) -> None:
        """Writes in pieces of 1..``max_piece`` bytes (None: whole chunks)."""
        self._fragment = max_piece

    def add_rule(self, rule: Rule) -> Rule:
        self._call_soon(self._rules.append, rule)
        return rule

    def clear_faults(self) -> None:
        """Back to a faithful proxy (the port stays as it is: see `accept`)."""
        self._latency = dict.fromkeys(Direction, 0.0)
        self._stalled.clear()
        self._blackholed = False
        self._fragment = None
        self._call_soon(self._rules.clear)

    def reset_connections(self) -> int:
        """Resets every live connection; returns how many."""
        return self._call(self._reset_all)

    def refuse(self, *, reset: bool = True) -> None:
        """Closes the port: connection attempts are refused, live connections are reset (kept
        with ``reset=False``: a broker that can no longer be reached once they end)."""
        self._call(self._stop_serving)
        if reset:
            self.reset_connections()

    def accept(self) -> None:
        """Opens the port again after `refuse`."""
        self._call(self._serve)

    @property
    def live_connections(self) -> int:
        return len(self._links)

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no connection is open; False if some still are after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self._links:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(RuntimeError):
            self._call(self._shutdown)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if self._listener is not None:
            self._listener.close()

    # --- the loop thread -----------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def _call(self, fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
        return asyncio.run_coroutine_threadsafe(fn(), self._loop).result(10)

    def _call_soon(self, fn: Callable[..., object], *args: object) -> None:
        self._loop.call_soon_threadsafe(fn, *args)

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
        sock.setblocking(False)
        return sock

    async def _serve(self) -> None:
        if self._server is not None:
            return
        if self._listener is None:
            self._listener = self._bind(self.port)
        self._server = await asyncio.start_server(self._accept, sock=self._listener)

    async def _stop_serving(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
            # The server owned the listening socket and closed it.
            self._listener = None

    async def _reset_all(self) -> int:
        links = list(self._links)
        for link in links:
            link.reset()
        return len(links)

    async def _shutdown(self) -> None:
        await self._stop_serving()
        await self._reset_all()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        link = _Link(self, reader, writer)
        self._links.add(link)
        try:
            await link.run()
        finally:
            self._links.discard(link)

    def _take_rule(self, api_key: int) -> Rule | None:
        for rule in self._rules:
            if rule.take(api_key):
                return rule
        return None


@dataclass
class _Slot:
    """A response owed to the client, in request order."""

    api_key: int
    rule: Rule | None
    #: False when the proxy answers itself.
    from_broker: bool
    frame: bytes | None = None


_link_ids = itertools.count(1)


class _Link:
    """One client connection and its upstream connection."""

    def __init__(
        self, proxy: FaultProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.id = next(_link_ids)
        self.proxy = proxy
        self.client_reader = reader
        self.client_writer = writer
        self.upstream_writer: asyncio.StreamWriter | None = None
        self.slots: collections.deque[_Slot] = collections.deque()
        # Set by STALL_AFTER_REQUEST: this connection passes nothing any more.
        self.dead = False
        self.done = asyncio.Event()
        self.to_client = _Pipe(self, Direction.RESPONSES, writer)
        self.to_broker: _Pipe | None = None

    async def run(self) -> None:
        _no_delay(self.client_writer)
        proxy = self.proxy
        try:
            if proxy._blackholed or proxy.upstream is None:
                await self._swallow()
                return
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(*proxy.upstream), timeout=5
                )
            except (OSError, TimeoutError):
                # The broker is down: the client sees its connection reset, as it would
                # see a refused connection without the proxy.
                self.reset()
                return
            _no_delay(writer)
            self.upstream_writer = writer
            self.to_broker = _Pipe(self, Direction.REQUESTS, writer)
            pumps = [
                asyncio.create_task(self._requests()),
                asyncio.create_task(self._responses(reader)),
                asyncio.create_task(self.to_client.run()),
                asyncio.create_task(self.to_broker.run()),
            ]
            await self.done.wait()
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            self.close()

    async def _swallow(self) -> None:
        while await self.client_reader.read(65536):
            pass

    def close(self) -> None:
        self.done.set()
        for writer in (self.client_writer, self.upstream_writer):
            if writer is not None and not writer.is_closing():
                writer.close()

    def reset(self) -> None:
        self.proxy.stats.resets += 1
        for writer in (self.client_writer, self.upstream_writer):
            if writer is None:
                continue
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        self.done.set()

    async def _requests(self) -> None:
        try:
            async for frame in _frames(self.client_reader):
                self.proxy.stats.bytes_up += len(frame)
                if not await self._on_request(frame):
                    return
        except (OSError, ValueError):
            pass
        # The client closed (or reset) its side.
        self.done.set()

    async def _on_request(self, frame: bytes) -> bool:
        """Routes one request frame (size prefix included); False ends the connection."""
        assert self.to_broker is not None
        proxy = self.proxy
        if self.dead or proxy._blackholed:
            return True
        header = wire.request_header(frame[4:])
        proxy.stats.requests[header.api_key] += 1
        if proxy.tap is not None:
            proxy.tap(Direction.REQUESTS, frame)
        if proxy.connection_tap is not None:
            proxy.connection_tap(self.id, Direction.REQUESTS, frame)
        answered = True
        if header.api_key == wire.PRODUCE:
            _, produce = wire.parse_produce_request(frame[4:])
            answered = produce.acks != 0
        rule = proxy._take_rule(header.api_key)
        action = rule.action if rule is not None else None
        if action is Action.ANSWER_ERROR:
            assert rule is not None
            if answered:
                answer = wire.produce_error_response(frame[4:], rule.error_code)
                self.slots.append(_Slot(header.api_key, rule, from_broker=False, frame=answer))
                self._flush()
            return True
        if action is Action.RESET_MID_REQUEST:
            self.to_broker.put(frame[: len(frame) // 2])
            await self.to_broker.drained()
            self.reset()
            return False
        if answered:
            self.slots.append(_Slot(header.api_key, rule, from_broker=True))
        self.to_broker.put(frame)
        if action is Action.STALL_AFTER_REQUEST:
            await self.to_broker.drained()
            self.dead = True
        return True

    async def _responses(self, reader: asyncio.StreamReader) -> None:
        try:
            async for frame in _frames(reader):
                self.proxy.stats.bytes_down += len(frame)
                if self.proxy.tap is not None:
                    self.proxy.tap(Direction.RESPONSES, frame)
                if self.proxy.connection_tap is not None:
                    self.proxy.connection_tap(self.id, Direction.RESPONSES, frame)
                slot = next((s for s in self.slots if s.from_broker and s.frame is None), None)
                if slot is None:
                    # Nothing owed (an unparsed acks=0 request?): pass it on as it came.
                    self.slots.append(_Slot(-1, None, from_broker=True, frame=frame))
                else:
                    slot.frame = frame
                self._flush()
        except (OSError, ValueError):
            pass
        # The broker closed its side: so does the client's connection, after what is queued.
        await self.to_client.drained()
        self.done.set()

    def _flush(self) -> None:
        """Hands the answered responses at the head of the queue to the client."""
        while self.slots and self.slots[0].frame is not None:
            slot = self.slots.popleft()
            frame = slot.frame
            assert frame is not None
            if self.dead or self.proxy._blackholed:
                self.proxy.stats.responses_dropped += 1
                continue
            action = slot.rule.action if slot.rule is not None else None
            if action is Action.RESET_AFTER_REQUEST:
                self.reset()
                return
            if action is Action.TRUNCATE_RESPONSE:
                self.to_client.put(frame[: max(len(frame) // 2, 1)])
                self.to_client.put_close()
                self.dead = True
                return
            if action is Action.CORRUPT_RESPONSE:
                # Correlation id kept, body cut to three bytes: framed right, undecodable.
                payload = frame[4:8] + b"\x00\x01\x02"
                frame = struct.pack(">i", len(payload)) + payload
            self.to_client.put(frame)


class _Pipe:
    """Writes one direction of a link, applying latency, stalls and fragmentation."""

    def __init__(self, link: _Link, direction: Direction, writer: asyncio.StreamWriter) -> None:
        self.link = link
        self.direction = direction
        self.writer = writer
        self.queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()
        self.idle = asyncio.Event()
        self.idle.set()

    def put(self, data: bytes) -> None:
        delay = self.link.proxy._latency[self.direction]
        self.idle.clear()
        self.queue.put_nowait((time.monotonic() + delay, data))

    def put_close(self) -> None:
        """Closes the write side once everything before is written."""
        self.idle.clear()
        self.queue.put_nowait((0.0, None))

    async def drained(self) -> None:
        await self.idle.wait()

    async def run(self) -> None:
        proxy = self.link.proxy
        try:
            while True:
                due, data = await self.queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                # Polled: the stall is switched from the test's thread, not this loop's.
                while self.direction in proxy._stalled:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                if data is None:
                    self.writer.close()
                    self.link.done.set()
                    return
                if not proxy._blackholed:
                    await self._write(data)
                if self.queue.empty():
                    self.idle.set()
        except (OSError, ConnectionError):
            self.link.done.set()
        finally:
            self.idle.set()

    async def _write(self, data: bytes) -> None:
        max_piece = self.link.proxy._fragment
        if max_piece is None:
            self.writer.write(data)
            await self.writer.drain()
            return
        rng = self.link.proxy._random
        view = memoryview(data)
        while view:
            n = rng.randint(1, max_piece)
            self.writer.write(bytes(view[:n]))
            await self.writer.drain()
            view = view[n:]
            # One segment per piece: give the kernel (and the reader) a moment to take it on
            # its own, so that the pieces are not merged again on the way.
            await asyncio.sleep(0.001)


async def _frames(reader: asyncio.StreamReader) -> Any:
    """Size-prefixed Kafka frames (prefix included) until the stream ends."""
    while True:
        try:
            prefix = await reader.readexactly(4)
        except asyncio.IncompleteReadError:
            return
        size = struct.unpack(">i", prefix)[0]
        if not 0 <= size <= MAX_FRAME:
            raise ValueError(f"frame size {size}")
        try:
            body = await reader.readexactly(size)
        except asyncio.IncompleteReadError:
            return
        yield prefix + body


def _no_delay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
