"""Captures the fuzzing corpus from a real Kafka broker (started from the cached jars).

- Responses: every request the codec implements is sent at every version it implements, over a
  plain socket, with ferrokafka's encoders; the broker's answers (successes and errors) are
  saved as ``corpus/<decoder>/v<version>-<what>.bin``, frames without their size prefix, as the
  decoders take them.
- Record batches: the batches librdkafka (confluent-kafka) writes, one run per compression codec,
  captured from its Produce requests through the tests' fault proxy; plus batches from
  ferrokafka's own encoder. Saved as ``corpus/record_batches/<what>.bin``.

Run from the repository root: ``.venv/bin/python fuzz/capture_corpus.py`` (about a minute).

Other Kafka-compatible brokers answer in ways Kafka does not (bytes Kafka's schema does not
define, tagged fields Kafka does not send); their answers join the corpus without replacing
it: start the broker, create a topic with two partitions, then
``.venv/bin/python fuzz/capture_corpus.py --from-broker 127.0.0.1:9092 --topic t --label tansu``
(responses only, saved as ``v<version>-<label>-<what>.bin``, at the versions both sides speak).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import struct
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "faults"))

import kafka_wire as wire  # noqa: E402
from fault_proxy import Direction, FaultProxy  # noqa: E402

from ferrokafka import _native  # noqa: E402
from ferrokafka.testing import KafkaCluster  # noqa: E402

CLIENT = "corpus"
DECODERS = {
    wire.PRODUCE: "produce",
    wire.METADATA: "metadata",
    wire.API_VERSIONS: "api_versions",
    wire.INIT_PRODUCER_ID: "init_producer_id",
    wire.FIND_COORDINATOR: "find_coordinator",
    wire.SASL_HANDSHAKE: "sasl_handshake",
    wire.SASL_AUTHENTICATE: "sasl_authenticate",
}


class Exchange:
    """One connection to the broker; `ask` sends a request frame and returns the response
    frame (without its size prefix), or None if the broker hung up."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.address = (host, int(port))
        self.sock: socket.socket | None = None
        self.correlation_id = 0

    def ask(self, encode: Callable[[int], bytes]) -> bytes | None:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=10)
        self.correlation_id += 1
        self.sock.sendall(encode(self.correlation_id))
        try:
            prefix = _exactly(self.sock, 4)
            return _exactly(self.sock, struct.unpack(">i", prefix)[0])
        except (ConnectionError, EOFError):
            self.sock.close()
            self.sock = None
            return None


def until_ok(
    ex: Exchange, encode: Callable[[int], bytes], error_code: Callable[[bytes], int]
) -> bytes | None:
    """Asks again while the broker answers with an error (coordinators still loading)."""
    frame = None
    for _ in range(100):
        frame = ex.ask(encode)
        if frame is not None and error_code(frame) == 0:
            break
        time.sleep(0.2)
    return frame


def _exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def common_versions(address: str) -> dict[int, tuple[int, int]]:
    """The versions of each API that both this codec and the broker at `address` speak."""
    ours = _native.supported_versions()
    frame = Exchange(address).ask(lambda c: _native.encode_api_versions_request(c, CLIENT, 0))
    assert frame is not None, "the broker hung up on ApiVersions v0"
    _, keys, _, _ = _native.decode_api_versions_response(frame, 0)
    theirs = {key: (low, high) for key, low, high in keys}
    common = {}
    for key, (low, high) in ours.items():
        their_low, their_high = theirs.get(key, (0, -1))
        common[key] = (max(low, their_low), min(high, their_high))
    return common


def capture_responses(address: str, topic: str, out: Path, label: str = "") -> int:
    versions = common_versions(address)
    ex = Exchange(address)
    saved = 0
    prefix = f"{label}-" if label else ""

    def save(api_key: int, version: int, what: str, frame: bytes | None) -> None:
        nonlocal saved
        if frame is None:
            print(f"  {DECODERS[api_key]} v{version} {what}: the broker hung up")
            return
        folder = out / DECODERS[api_key]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"v{version}-{prefix}{what}.bin").write_bytes(frame)
        saved += 1

    def each(api_key: int) -> range:
        low, high = versions[api_key]
        return range(low, high + 1)

    for v in each(wire.API_VERSIONS):
        save(
            wire.API_VERSIONS,
            v,
            "ok",
            ex.ask(lambda c, v=v: _native.encode_api_versions_request(c, CLIENT, v)),
        )
    # What a broker answers to too new an ApiVersions: v0, UNSUPPORTED_VERSION, its range. (A
    # real broker closes the connection instead when it cannot even parse the header.)
    if not label:
        save(
            wire.API_VERSIONS,
            0,
            "unsupported",
            wire.response_frame(
                wire.API_VERSIONS,
                0,
                1,
                wire.api_versions_v0_body(wire.UNSUPPORTED_VERSION, [(wire.API_VERSIONS, 0, 4)]),
            )[4:],
        )
    for v in each(wire.METADATA):
        for what, topics in (("all", None), ("topic", [topic]), ("unknown", ["no-such-topic"])):
            save(
                wire.METADATA,
                v,
                what,
                ex.ask(
                    lambda c, v=v, t=topics: _native.encode_metadata_request(c, CLIENT, v, t, False)
                ),
            )
    for v in each(wire.INIT_PRODUCER_ID):
        save(
            wire.INIT_PRODUCER_ID,
            v,
            "ok",
            until_ok(
                ex,
                lambda c, v=v: _native.encode_init_producer_id_request(c, CLIENT, v, None, 60000),
                lambda f, v=v: _native.decode_init_producer_id_response(f, v)[0],
            ),
        )
    for v in each(wire.FIND_COORDINATOR):
        keys = ["group-a", "group-b"] if v >= 4 else ["group-a"]
        save(
            wire.FIND_COORDINATOR,
            v,
            "group",
            until_ok(
                ex,
                lambda c, v=v, k=keys: _native.encode_find_coordinator_request(c, CLIENT, v, 0, k),
                lambda f, v=v: max(e[4] for e in _native.decode_find_coordinator_response(f, v)[1]),
            ),
        )
    batch = _native.encode_batch(
        [_native.BatchRecord(1_700_000_000_000, b"key", b"value", [("h", b"v")])],
        producer_id=-1,
    )
    for v in each(wire.PRODUCE):
        produce = _native.ProduceBatch
        cases = (
            ("ok", [produce(topic, 0, batch), produce(topic, 1, batch)]),
            ("unknown-partition", [produce(topic, 99, batch)]),
            ("unknown-topic", [produce("no-such-topic", 0, batch)]),
            ("corrupt-batch", [produce(topic, 0, batch[:-1] + bytes([batch[-1] ^ 1]))]),
        )
        for what, batches in cases:
            save(
                wire.PRODUCE,
                v,
                what,
                ex.ask(
                    lambda c, v=v, b=batches: _native.encode_produce_request(
                        c, CLIENT, v, -1, 10000, None, b
                    )
                ),
            )
    for v in each(wire.SASL_HANDSHAKE):
        save(
            wire.SASL_HANDSHAKE,
            v,
            "plain",
            ex.ask(lambda c, v=v: _native.encode_sasl_handshake_request(c, CLIENT, v, "PLAIN")),
        )
    for v in each(wire.SASL_AUTHENTICATE):
        save(
            wire.SASL_AUTHENTICATE,
            v,
            "unexpected",
            ex.ask(
                lambda c, v=v: _native.encode_sasl_authenticate_request(c, CLIENT, v, b"\0u\0p")
            ),
        )
    return saved


def capture_batches(cluster: KafkaCluster, proxy: FaultProxy, topic: str, out: Path) -> int:
    from confluent_kafka import Producer as ConfluentProducer

    folder = out / "record_batches"
    folder.mkdir(parents=True, exist_ok=True)
    captured: list[bytes] = []

    def tap(direction: Direction, frame: bytes) -> None:
        if direction is not Direction.REQUESTS:
            return
        header = wire.request_header(frame[4:])
        if header.api_key != wire.PRODUCE:
            return
        _, request = wire.parse_produce_request(frame[4:])
        for _, partitions in request.topics:
            captured.extend(records for _, records in partitions if records)

    proxy.tap = tap
    saved = 0
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        captured.clear()
        producer = ConfluentProducer(
            {
                "bootstrap.servers": cluster.external_bootstrap_servers,
                "compression.type": codec,
                "enable.idempotence": True,
                "linger.ms": 20,
            }
        )
        for i in range(60):
            headers: list[tuple[str, str | bytes | None]] | None = (
                [("trace", b"%d" % i)] if i % 3 == 0 else None
            )
            key = None if i % 5 == 0 else b"key-%d" % (i % 7)
            producer.produce(topic, b"value %d " % i * (1 + i % 4), key=key, headers=headers)
        if producer.flush(30) != 0:
            raise RuntimeError(f"librdkafka did not deliver everything ({codec})")
        for index, records in enumerate(captured[:4]):
            (folder / f"librdkafka-{codec}-{index}.bin").write_bytes(records)
            saved += 1
        if len(captured) >= 2:
            (folder / f"librdkafka-{codec}-two-batches.bin").write_bytes(captured[0] + captured[1])
            saved += 1
    proxy.tap = None
    sample = [
        _native.BatchRecord(
            1_700_000_000_000 + i, None if i % 4 == 0 else b"k%d" % i, b"v" * i, [("h", None)]
        )
        for i in range(20)
    ]
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        data = _native.encode_batch(
            sample, compression=codec, producer_id=7, producer_epoch=1, base_sequence=0
        )
        (folder / f"ferrokafka-{codec}.bin").write_bytes(data)
        saved += 1
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "corpus")
    parser.add_argument(
        "--from-broker",
        metavar="HOST:PORT",
        help="capture responses from this running broker instead, adding to the corpus",
    )
    parser.add_argument("--topic", help="with --from-broker: a topic with two partitions")
    parser.add_argument("--label", default="other", help="with --from-broker: names the files")
    args = parser.parse_args()
    out: Path = args.out
    if args.from_broker:
        if not args.topic:
            parser.error("--from-broker needs --topic")
        saved = capture_responses(args.from_broker, args.topic, out, label=args.label)
        print(f"saved {saved} responses from {args.from_broker} under {out}")
        return
    for name in [*DECODERS.values(), "record_batches"]:
        shutil.rmtree(out / name, ignore_errors=True)
    with (
        FaultProxy(name="capture") as proxy,
        KafkaCluster(1, external_advertised_ports=[proxy.port]) as cluster,
    ):
        node = cluster.nodes[0]
        assert node.external_port is not None
        proxy.upstream = ("127.0.0.1", node.external_port)
        topic = cluster.create_topic(f"corpus-{uuid.uuid4().hex[:6]}", partitions=2)
        responses = capture_responses(cluster.bootstrap_servers, topic, out)
        batches = capture_batches(cluster, proxy, topic, out)
    print(f"saved {responses} responses and {batches} record batch files under {out}")


if __name__ == "__main__":
    main()
