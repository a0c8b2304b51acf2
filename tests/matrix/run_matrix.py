"""Runs the producer's acceptance subset (this directory) once per broker and prints a table.

    python tests/matrix/run_matrix.py [--kafka 3.9.2 default 4.4.0] [--no-tansu]
                                      [--timeout 900] [--out DIR]

Each target runs in its own pytest process, with `FERROKAFKA_KAFKA_VERSION` or
`FERROKAFKA_BROKER=tansu` set, bounded by `--timeout` seconds (the fetch of the broker comes
first, with its own bound). A failed or timed-out target does not stop the others; the exit
status is 1 if any failed. JUnit reports and the table (`summary.md`) go to `--out`.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from ferrokafka.testing import KAFKA_VERSION, TANSU_VERSION, distribution, fetch_tansu

HERE = Path(__file__).resolve().parent
DEFAULT_KAFKA = ["3.9.2", "default", "4.4.0"]


@dataclass(frozen=True)
class Target:
    name: str
    env: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    target: Target
    passed: int
    failed: int
    seconds: float
    note: str

    @property
    def result(self) -> str:
        if self.note.startswith(("timed out", "could not")):
            return "error"
        return "pass" if self.failed == 0 and self.passed > 0 else "FAIL"


def targets(kafka_versions: list[str], tansu: bool) -> list[Target]:
    chosen = []
    for version in kafka_versions:
        resolved = KAFKA_VERSION if version == "default" else version
        label = f"Apache Kafka {resolved}" + (" (default)" if resolved == KAFKA_VERSION else "")
        chosen.append(Target(label, {"FERROKAFKA_KAFKA_VERSION": resolved}))
    if tansu:
        chosen.append(Target(f"tansu {TANSU_VERSION}", {"FERROKAFKA_BROKER": "tansu"}))
    return chosen


def fetch(target: Target) -> None:
    if "FERROKAFKA_BROKER" in target.env:
        fetch_tansu()
    else:
        distribution(target.env["FERROKAFKA_KAFKA_VERSION"]).fetch()


def run(target: Target, timeout: float, out: Path) -> Outcome:
    started = time.monotonic()
    try:
        fetch(target)
    except Exception as exc:
        return Outcome(target, 0, 0, time.monotonic() - started, f"could not fetch: {exc}")
    report = out / (target.name.split(" (")[0].replace(" ", "-") + ".xml")
    report.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(HERE),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
    ]
    env = {**os.environ, **target.env}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    print(f"== {target.name}", flush=True)
    # Its own process group, so a timeout ends pytest and whatever it started.
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return Outcome(target, 0, 0, time.monotonic() - started, f"timed out after {timeout:g} s")
    passed, failed, failures = read_report(report)
    note = "; ".join(failures)
    if not report.exists():
        note = f"could not run (pytest exit {process.returncode})"
    return Outcome(target, passed, failed, time.monotonic() - started, note)


def read_report(report: Path) -> tuple[int, int, list[str]]:
    if not report.exists():
        return 0, 0, []
    passed = failed = 0
    # The tests that failed, by first line of their message: one cause is named once.
    causes: dict[str, list[str]] = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None and case.find("skipped") is None:
            passed += 1
        elif problem is not None:
            failed += 1
            lines = (problem.get("message") or "failed").splitlines() or ["failed"]
            cause = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", lines[0])[:200]
            causes.setdefault(cause, []).append(str(case.get("name")))
    failures = [
        f"{names[0]}{f' and {len(names) - 1} more' if len(names) > 1 else ''}: {cause}"
        for cause, names in causes.items()
    ]
    return passed, failed, failures


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| target | result | tests passed | time | failures |",
        "| --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        total = o.passed + o.failed
        note = o.note.replace("|", "\\|") or "-"
        lines.append(
            f"| {o.target.name} | {o.result} | {o.passed}/{total} | {o.seconds:.0f} s | {note} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kafka", nargs="*", default=DEFAULT_KAFKA, help="Kafka versions")
    parser.add_argument("--no-tansu", action="store_true", help="leave tansu out")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per target")
    parser.add_argument("--out", type=Path, default=Path("matrix-results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    outcomes = [
        run(target, args.timeout, args.out) for target in targets(args.kafka, not args.no_tansu)
    ]
    summary = table(outcomes)
    (args.out / "summary.md").write_text(summary)
    print("\n" + summary, flush=True)
    return 0 if all(o.result == "pass" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
