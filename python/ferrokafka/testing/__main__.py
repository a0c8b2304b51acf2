"""`python -m ferrokafka.testing fetch | up`: fetch the Kafka jars, or run a local cluster.

    python -m ferrokafka.testing fetch [--version V] [--force]
    python -m ferrokafka.testing up [--nodes 1|3] [--version V] [--workdir DIR] [--set KEY=VALUE]

`up` prints the bootstrap servers as the first line of stdout (details go to stderr), runs until
Ctrl-C or SIGTERM, then stops every node.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from ferrokafka.testing._cluster import KafkaCluster
from ferrokafka.testing._distribution import VERSION_ENV, distribution
from ferrokafka.testing._errors import KafkaHarnessError


class _Terminated(Exception):
    pass


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise _Terminated


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ferrokafka.testing",
        description="A real Apache Kafka for tests, from Maven Central jars.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    version_help = f"Kafka release (default: ${VERSION_ENV} or the pinned one)"

    fetch = commands.add_parser("fetch", help="download the Kafka jars into the cache")
    fetch.add_argument("--version", help=version_help)
    fetch.add_argument("--force", action="store_true", help="download again even if cached")

    up = commands.add_parser("up", help="run a local KRaft cluster until Ctrl-C")
    up.add_argument("--version", help=version_help)
    up.add_argument("--nodes", type=int, default=1, help="number of nodes (default 1)")
    up.add_argument("--workdir", help="keep data and logs here instead of a temporary directory")
    up.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="broker property, repeatable (e.g. --set auto.create.topics.enable=false)",
    )
    return parser


def _fetch(args: argparse.Namespace) -> int:
    dist = distribution(args.version)
    cached = dist.is_fetched() and not args.force
    started = time.monotonic()
    libs = dist.fetch(force=args.force, quiet=False)
    if cached:
        print(f"Kafka {dist.version}: already cached in {libs}", file=sys.stderr)
    else:
        elapsed = time.monotonic() - started
        print(f"Kafka {dist.version}: fetched into {libs} in {elapsed:.1f} s", file=sys.stderr)
    return 0


def _up(args: argparse.Namespace) -> int:
    properties: dict[str, str] = {}
    for setting in args.set:
        key, separator, value = setting.partition("=")
        if not separator or not key:
            print(f"--set expects KEY=VALUE, got {setting!r}", file=sys.stderr)
            return 2
        properties[key] = value
    cluster = KafkaCluster(
        args.nodes, version=args.version, broker_properties=properties, workdir=args.workdir
    )
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        started = time.monotonic()
        cluster.start()
        print(cluster.bootstrap_servers, flush=True)
        print(
            f"Kafka {cluster.version}, {args.nodes} node(s), ready in "
            f"{time.monotonic() - started:.1f} s; logs:",
            file=sys.stderr,
        )
        for path in cluster.log_paths:
            print(f"  {path}", file=sys.stderr)
        print("Ctrl-C stops the cluster.", file=sys.stderr, flush=True)
        while True:
            signal.pause()
    except (KeyboardInterrupt, _Terminated):
        print("stopping...", file=sys.stderr, flush=True)
        return 0
    finally:
        # Ignore further Ctrl-C while stopping: atexit would only SIGKILL what is left.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "fetch":
            return _fetch(args)
        return _up(args)
    except KafkaHarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
