"""The ``ferrokafka`` command: ``produce``, ``perf-test`` and ``describe``.

    ferrokafka produce orders --bootstrap-server localhost:9092 < orders.txt
    ferrokafka produce orders --json --key-field id --header-field trace < orders.jsonl
    ferrokafka perf-test --topic bench --num-records 1000000 --record-size 100 \\
        --throughput -1 --producer-props bootstrap.servers=localhost:9092
    ferrokafka describe --bootstrap-server localhost:9092

Standard library only (argparse, a progress line drawn by hand). Exit status: 0 when every
record was acknowledged, 1 when any failed (or the cluster could not be reached), 2 for bad
arguments or options.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ferrokafka.cli import describe, perf_test, produce

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ferrokafka",
        description="Send records to Apache Kafka, measure the producer, describe a cluster.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log the producer's work (-vv: debug)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    produce.add_parser(commands)
    perf_test.add_parser(commands)
    describe.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return status
