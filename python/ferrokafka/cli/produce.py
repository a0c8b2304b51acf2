"""``ferrokafka produce``: records from stdin or files, one per line (text or JSON)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ferrokafka.cli._options import key_value, producer_props
from ferrokafka.cli._progress import Progress
from ferrokafka.errors import ConfigError, KafkaError
from ferrokafka.records import RecordMetadata
from ferrokafka.sync import Producer

# How many distinct failures the final report quotes.
_QUOTED_ERRORS = 5


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "produce",
        help="send records read from stdin or files, one per line",
        description=(
            "Send one record per input line to TOPIC. Lines are the record values as they are, "
            "or with --key-separator 'key<SEP>value'; with --json each line is a JSON object "
            "whose fields can become the key (--key-field), the value (--value-field; default "
            "the whole line) and headers (--header-field)."
        ),
    )
    parser.add_argument("topic", metavar="TOPIC")
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="files to read in order (default, or '-': stdin)"
    )
    parser.add_argument("-b", "--bootstrap-server", metavar="HOST:PORT[,...]")
    parser.add_argument(
        "-X",
        dest="props",
        action="append",
        type=key_value,
        default=[],
        metavar="KEY=VALUE",
        help="a producer option with its Java name (linger.ms=20, compression.type=zstd, ...)",
    )
    parser.add_argument(
        "--producer.config",
        dest="config_files",
        action="append",
        default=[],
        metavar="FILE",
        help="a .properties file of producer options (-X wins over it)",
    )
    parser.add_argument(
        "--json", action="store_true", help="each line is a JSON object (JSON lines)"
    )
    parser.add_argument(
        "--key-separator", metavar="SEP", help="text lines are 'key<SEP>value' (e.g. a tab)"
    )
    parser.add_argument("--key-field", metavar="FIELD", help="with --json: the record key")
    parser.add_argument(
        "--value-field", metavar="FIELD", help="with --json: the record value (default: the line)"
    )
    parser.add_argument(
        "--header-field",
        action="append",
        default=[],
        metavar="FIELD",
        help="with --json: a header named FIELD with the field's value (repeatable)",
    )
    parser.add_argument("--partition", type=int, metavar="N", help="send every record to N")
    parser.add_argument("--rate", type=float, metavar="N", help="send at most N records per second")
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "lines", "none"),
        default="auto",
        help="progress on stderr: a bar on a terminal, a line every --progress-interval "
        "seconds otherwise (default: auto)",
    )
    parser.add_argument(
        "--progress-interval", type=float, default=5.0, metavar="SECONDS", help="default: 5"
    )
    parser.set_defaults(run=run)


class InvalidLine(ValueError):
    """An input line that cannot become a record."""


@dataclass
class Tally:
    """What happened to the records; written by the producer's thread, read by the main one."""

    sent: int = 0
    acked: int = 0
    failed: int = 0
    invalid: int = 0
    value_bytes: int = 0
    partitions: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_delivery(self, metadata: RecordMetadata | None, error: KafkaError | None) -> None:
        with self.lock:
            if error is None:
                assert metadata is not None
                self.acked += 1
                self.partitions[metadata.partition] += 1
            else:
                self.failed += 1
                self.errors[f"{type(error).__name__}: {error}"] += 1


@dataclass(frozen=True)
class RecordMaker:
    """Turns one input line into (value, key, headers)."""

    json_lines: bool
    key_separator: bytes | None
    key_field: str | None
    value_field: str | None
    header_fields: tuple[str, ...]

    def make(
        self, line: bytes
    ) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]:
        if not self.json_lines:
            if self.key_separator is None:
                return line, None, []
            key_text, sep, value_text = line.partition(self.key_separator)
            if not sep:
                raise InvalidLine(f"no key separator {self.key_separator!r} in the line")
            return value_text, key_text, []
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise InvalidLine(f"not JSON: {exc}") from None
        needs_fields = self.key_field or self.value_field or self.header_fields
        if needs_fields and not isinstance(record, dict):
            raise InvalidLine(f"a JSON {type(record).__name__}, not an object")
        value: bytes | None = line
        if self.value_field is not None:
            if self.value_field not in record:
                raise InvalidLine(f"no field {self.value_field!r}")
            value = _encode(record[self.value_field])
        key = _encode(record.get(self.key_field)) if self.key_field else None
        headers = [(name, _encode(record[name])) for name in self.header_fields if name in record]
        return value, key, headers


def run(args: argparse.Namespace) -> int:
    if not args.json and (args.key_field or args.value_field or args.header_field):
        print("produce: --key-field, --value-field and --header-field need --json", file=sys.stderr)
        return 2
    maker = RecordMaker(
        json_lines=args.json,
        key_separator=args.key_separator.encode() if args.key_separator else None,
        key_field=args.key_field,
        value_field=args.value_field,
        header_fields=tuple(args.header_field),
    )
    sources = args.files or ["-"]
    tally = Tally()
    try:
        producer = Producer.from_config(
            producer_props(args.config_files, args.props, args.bootstrap_server)
        )
    except ConfigError as exc:
        print(f"produce: {exc}", file=sys.stderr)
        return 2
    progress = _progress(args, sources)
    started = time.monotonic()
    input_errors: list[str] = []
    try:
        producer.start()
        read_bytes = 0
        for name, stream in _open(sources):
            for number, raw in enumerate(stream, 1):
                read_bytes += len(raw)
                line = raw.rstrip(b"\r\n")
                try:
                    value, key, headers = maker.make(line)
                except InvalidLine as exc:
                    tally.invalid += 1
                    if len(input_errors) < _QUOTED_ERRORS:
                        input_errors.append(f"{name}:{number}: {exc}")
                    continue
                if args.rate:
                    _throttle(started, tally.sent, args.rate)
                _send(producer, tally, args, value, key, headers)
                if progress is not None:
                    progress.update(tally.sent, tally.acked, tally.failed, read_bytes)
        if progress is not None:
            progress.update(tally.sent, tally.acked, tally.failed, read_bytes, force=True)
    except (KafkaError, OSError) as exc:
        if progress is not None:
            progress.close()
        print(f"produce: {exc}", file=sys.stderr)
        return 1
    finally:
        # Waits for every record (bounded by delivery.timeout.ms); all futures end here.
        producer.close()
    if progress is not None:
        progress.close()
    _report(args.topic, tally, input_errors, time.monotonic() - started)
    return 0 if tally.failed == 0 and tally.invalid == 0 else 1


def _send(
    producer: Producer,
    tally: Tally,
    args: argparse.Namespace,
    value: bytes | None,
    key: bytes | None,
    headers: list[tuple[str, bytes | None]],
) -> None:
    try:
        producer.send(
            args.topic,
            value,
            key,
            headers=headers or None,
            partition=args.partition,
            on_delivery=tally.on_delivery,
        )
    except KafkaError as exc:  # refused before queueing (e.g. no buffer space in time)
        tally.on_delivery(None, exc)
    tally.sent += 1
    tally.value_bytes += len(value) if value else 0


def _encode(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":")).encode()


def _open(sources: list[str]) -> Iterator[tuple[str, BinaryIO]]:
    for source in sources:
        if source == "-":
            yield "<stdin>", sys.stdin.buffer
        else:
            with open(source, "rb") as stream:
                yield source, stream


def _progress(args: argparse.Namespace, sources: list[str]) -> Progress | None:
    mode = args.progress
    if mode == "none":
        return None
    tty = sys.stderr.isatty() if mode == "auto" else mode == "bar"
    total: int | None = None
    if "-" not in sources:
        try:
            total = sum(Path(source).stat().st_size for source in sources)
        except OSError:
            total = None  # reported when the file is opened
    return Progress(sys.stderr, tty=tty, total_bytes=total, interval=args.progress_interval)


def _throttle(started: float, sent: int, rate: float) -> None:
    due = started + sent / rate
    delay = due - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _report(topic: str, tally: Tally, input_errors: list[str], elapsed: float) -> None:
    elapsed = max(elapsed, 1e-9)
    per_partition = ", ".join(f"{p}: {n}" for p, n in sorted(tally.partitions.items()))
    lines = [
        f"{tally.acked} of {tally.sent} records acknowledged by {topic!r}, {tally.failed} failed"
        + (f", {tally.invalid} input lines invalid" if tally.invalid else ""),
        f"{elapsed:.2f} s, {tally.acked / elapsed:.1f} records/sec "
        f"({tally.value_bytes / elapsed / 1048576:.2f} MB/sec of values)",
    ]
    if per_partition:
        lines.append(f"records per partition: {per_partition}")
    lines += [
        f"failed: {message} (x{count})"
        for message, count in tally.errors.most_common(_QUOTED_ERRORS)
    ]
    lines += [f"invalid: {message}" for message in input_errors]
    print("\n".join(lines), file=sys.stderr)
