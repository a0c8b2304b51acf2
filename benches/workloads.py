"""What each benchmark sends, with which producer settings: SPEC §4, and its quick variants.

Every client gets the same settings (acks, linger, batch size, compression, idempotence) and the
same payloads: a pool of distinct values built once from a fixed seed and cycled through, so that
building payloads costs nothing during a run and memory holds the client's buffers, not the data
set. Java's ProducerPerformance reads the same pool from a file.
"""

from __future__ import annotations

import enum
import json
import random
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

POOL_SIZE = 1024
TOPIC_PARTITIONS = 6
# Java's default: every client is told the same, although librdkafka's own default is 1 MB.
BATCH_SIZE = 16384

PayloadKind = Literal["text-100", "json-1k"]
Acks = Literal["1", "all"]
Codec = Literal["none", "lz4", "zstd", "gzip"]


class Mode(enum.StrEnum):
    """How records are sent, which decides what a client adapter runs."""

    # As fast as possible, no per-record callback, one flush at the end.
    THROUGHPUT = "throughput"
    # `concurrency` tasks (or a window of that many outstanding records for threaded clients),
    # each waiting for its record's acknowledgement before sending the next.
    AWAITED = "awaited"
    # Sends paced to a fixed offered rate, each record's send → acknowledgement time recorded.
    LATENCY = "latency"


@dataclass(frozen=True, slots=True)
class Settings:
    acks: Acks
    linger_ms: int
    enable_idempotence: bool
    compression: Codec = "none"
    batch_size: int = BATCH_SIZE

    def describe(self) -> str:
        idempotence = "idempotent" if self.enable_idempotence else "not idempotent"
        codec = "" if self.compression == "none" else f", {self.compression}"
        return (
            f"acks={self.acks}, linger {self.linger_ms} ms, batch {self.batch_size} B, "
            f"{idempotence}{codec}"
        )


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    mode: Mode
    records: int
    payload: PayloadKind
    settings: Settings
    concurrency: int = 0
    # Offered records/s of a latency run; its first `warmup_records` are not counted.
    rate: int = 0
    warmup_records: int = 0
    # Where records go: `topics` topics of `partitions` partitions each, records taking the
    # topics in turn; keyed records carry keys from a pool of `KEY_POOL_SIZE`, so that the
    # default partitioner spreads them over every partition.
    partitions: int = TOPIC_PARTITIONS
    topics: int = 1
    keyed: bool = False
    # The clients that take this workload (by key); empty: every client of its mode.
    clients: tuple[str, ...] = ()
    # The topics are created once per benchmark run and shared by every client and repetition
    # (creating thousands of partitions takes long); each run's records are counted as the
    # growth of the end offsets.
    shared_topics: bool = False
    # The broker logs every request during the run (its share of each request's latency).
    request_log: bool = False

    @property
    def value_size(self) -> int:
        return PAYLOAD_SIZES[self.payload]

    def describe(self) -> str:
        size = f"{self.value_size} B" if self.value_size < 1024 else "1 KiB JSON"
        if self.mode is Mode.AWAITED:
            what = f"{self.records:,} records of {size}, {self.concurrency:,} concurrent senders"
        elif self.mode is Mode.LATENCY:
            seconds = self.records / self.rate
            what = (
                f"{self.rate:,} records/s offered for {seconds:g} s ({size}), "
                f"first {self.warmup_records:,} not counted"
            )
        else:
            key = f"keyed ({KEY_POOL_SIZE:,} keys)" if self.keyed else "no key"
            what = f"{self.records:,} records of {size}, {key}"
        return f"{what}; {self.settings.describe()}; {self.describe_topics()}"

    def describe_topics(self) -> str:
        if self.topics == 1:
            return f"{self.partitions:,} partitions"
        return (
            f"{self.topics:,} topics of {self.partitions:,} partitions "
            f"({self.topics * self.partitions:,} partitions), records taking the topics in turn"
        )


PAYLOAD_SIZES: dict[PayloadKind, int] = {"text-100": 100, "json-1k": 1024}

FIRE_AND_FORGET = "fire-and-forget"
AWAITED = "awaited"
LATENCY_LINGER0 = "latency-linger0"
LATENCY_LINGER5 = "latency-linger5"
COMPRESSION_LZ4 = "compression-lz4"
COMPRESSION_ZSTD = "compression-zstd"
COMPRESSION_GZIP = "compression-gzip"
KEYED_6 = "keyed-6"
KEYED_600 = "keyed-600"
KEYED_3000 = "keyed-3000"
TOPICS_100 = "topics-100"
# Cost at scale: the same keyed records over more and more partitions, and over 100 topics of
# 6 partitions (as many partitions as keyed-600, so the two isolate the cost of a topic).
SCALE_WORKLOADS = (KEYED_6, KEYED_600, KEYED_3000, TOPICS_100)
# ferrokafka and the peers the scale and request-log workloads compare it with.
MAIN_CLIENTS = ("ferrokafka", "confluent", "aiokafka")
LATENCY_REQUEST_LOG = "latency-linger0-request-log"
# Left out of quick runs unless named: they take minutes (thousands of partitions) or run a
# Kafka tool around every run.
SLOW_WORKLOADS = (*SCALE_WORKLOADS, LATENCY_REQUEST_LOG)

WORKLOAD_NAMES = (
    FIRE_AND_FORGET,
    AWAITED,
    LATENCY_LINGER0,
    LATENCY_LINGER5,
    COMPRESSION_LZ4,
    COMPRESSION_ZSTD,
    COMPRESSION_GZIP,
    LATENCY_REQUEST_LOG,
    *SCALE_WORKLOADS,
)
KEY_POOL_SIZE = 10_007

LATENCY_RATE = 20_000
_CODECS: tuple[tuple[str, Codec], ...] = (
    (COMPRESSION_LZ4, "lz4"),
    (COMPRESSION_ZSTD, "zstd"),
    (COMPRESSION_GZIP, "gzip"),
)


def workloads(*, quick: bool) -> dict[str, Workload]:
    """The SPEC §4 workloads; `quick` shrinks them about tenfold for a smoke test."""
    fire_and_forget = Settings(acks="1", linger_ms=5, enable_idempotence=False)
    awaited = Settings(acks="all", linger_ms=5, enable_idempotence=True)
    latency_seconds, warmup_seconds = (4, 1) if quick else (20, 2)
    compressed = 20_000 if quick else 200_000
    chosen = [
        Workload(
            FIRE_AND_FORGET,
            Mode.THROUGHPUT,
            200_000 if quick else 2_000_000,
            "text-100",
            fire_and_forget,
        ),
        Workload(
            AWAITED,
            Mode.AWAITED,
            50_000 if quick else 500_000,
            "text-100",
            awaited,
            concurrency=1000,
        ),
        *(
            Workload(
                name,
                Mode.LATENCY,
                LATENCY_RATE * latency_seconds,
                "text-100",
                Settings(acks="all", linger_ms=linger, enable_idempotence=True),
                rate=LATENCY_RATE,
                warmup_records=LATENCY_RATE * warmup_seconds,
            )
            for name, linger in ((LATENCY_LINGER0, 0), (LATENCY_LINGER5, 5))
        ),
        Workload(
            LATENCY_REQUEST_LOG,
            Mode.LATENCY,
            LATENCY_RATE * latency_seconds,
            "text-100",
            Settings(acks="all", linger_ms=0, enable_idempotence=True),
            rate=LATENCY_RATE,
            warmup_records=LATENCY_RATE * warmup_seconds,
            clients=MAIN_CLIENTS,
            request_log=True,
        ),
        *(
            Workload(
                name,
                Mode.THROUGHPUT,
                compressed,
                "json-1k",
                Settings(acks="1", linger_ms=5, enable_idempotence=False, compression=codec),
            )
            for name, codec in _CODECS
        ),
        *(
            Workload(
                name,
                Mode.THROUGHPUT,
                100_000 if quick else 1_000_000,
                "text-100",
                fire_and_forget,
                partitions=partitions,
                topics=topics,
                keyed=True,
                clients=MAIN_CLIENTS,
                shared_topics=True,
            )
            for name, partitions, topics in (
                (KEYED_6, 6, 1),
                (KEYED_600, 600, 1),
                (KEYED_3000, 3000, 1),
                (TOPICS_100, 6, 100),
            )
        ),
    ]
    return {workload.name: workload for workload in chosen}


# --- payloads -----------------------------------------------------------------------------------

_SEED = 20_240_917
_EVENTS = ("page_view", "add_to_cart", "checkout", "search", "login", "logout", "refund")
_COUNTRIES = ("DE", "FR", "US", "BR", "JP", "IN", "NG", "GB", "ES", "CA")
# One string split, rather than a literal of one word per line.
_WORDS = (  # noqa: SIM905
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu amber "
    "basil cedar dune ember fjord grove harbor island jasper kelp lagoon meadow nectar "
    "orchid pebble quartz river summit timber umber valley willow yarrow zephyr"
).split()


def payloads(kind: PayloadKind) -> list[bytes]:
    """`POOL_SIZE` distinct values of the kind; the same on every call and in every process."""
    rng = random.Random(f"{_SEED}-{kind}")
    if kind == "text-100":
        alphabet = string.ascii_letters + string.digits
        return [
            "".join(rng.choices(alphabet, k=PAYLOAD_SIZES[kind])).encode() for _ in range(POOL_SIZE)
        ]
    return [_json_record(rng, index) for index in range(POOL_SIZE)]


def _json_record(rng: random.Random, index: int) -> bytes:
    # Shaped like an application event: repeated keys, a few enums, numbers and free text, so
    # that codecs find what they find in real topics (random bytes would not compress at all).
    size = PAYLOAD_SIZES["json-1k"]
    document: dict[str, object] = {
        "id": index,
        "ts": 1_700_000_000_000 + 37 * index,
        "user": f"user-{rng.randrange(100_000):05d}",
        "session": f"{rng.getrandbits(64):016x}",
        "event": rng.choice(_EVENTS),
        "country": rng.choice(_COUNTRIES),
        "amount": round(rng.uniform(1, 500), 2),
        "items": [
            {
                "sku": f"SKU-{rng.randrange(10_000):04d}",
                "qty": rng.randrange(1, 5),
                "price": round(rng.uniform(1, 100), 2),
            }
            for _ in range(rng.randrange(1, 4))
        ],
        "tags": rng.sample(_WORDS, 4),
        "note": "",
    }
    skeleton = json.dumps(document, separators=(",", ":"))
    filler = " ".join(rng.choice(_WORDS) for _ in range(size // 3))
    document["note"] = filler[: size - len(skeleton)]
    encoded = json.dumps(document, separators=(",", ":")).encode()
    if len(encoded) != size:
        raise AssertionError(f"JSON payload is {len(encoded)} bytes, not {size}")
    return encoded


def keys() -> list[bytes]:
    """`KEY_POOL_SIZE` distinct keys, as a service's entity ids (a prime count, so that key and
    value pairs do not repeat with the value pool's period)."""
    return [f"customer-{index:06d}".encode() for index in range(KEY_POOL_SIZE)]


def write_payload_file(kind: PayloadKind, path: Path) -> Path:
    """The pool as ProducerPerformance's `--payload-file`: one value per line (none has one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(payloads(kind)) + b"\n")
    return path
