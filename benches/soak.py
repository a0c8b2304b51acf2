"""`python -m benches.soak [--minutes 10]`: ferrokafka for a long run at half its maximum rate,
checking that its memory stays flat.

The producer runs in its own subprocess (its RSS is the producer's alone). It first sends flat
out for `--max-seconds` to find its maximum rate on this machine now, then sends at half that
rate (or `--rate`) for `--minutes`, reading its RSS every `--sample-seconds` and taking
tracemalloc snapshots at the end of the warm-up and at the end. RSS is flat when every sample
after the warm-up stays within ±5% of the first one; an allocation site "grew" when it holds more
than `GREW_BYTES` more at the end than after the warm-up. The section written (`soak.md`, and
RESULTS.md's "Soak" section with `--publish`) names the commit, the command and the load.

The broker keeps little: the topic's retention is a few segments, so that hours of records do
not fill the disk; the delivery check reads end offsets, which retention does not lower.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import shlex
import subprocess
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benches import environment
from benches.broker import Broker
from benches.runner import REPO
from benches.workloads import BATCH_SIZE, TOPIC_PARTITIONS, payloads

HERE = Path(__file__).resolve().parent
RSS_TOLERANCE = 0.05
# An allocation site holding this much more at the end than after the warm-up has grown.
GREW_BYTES = 64 * 1024
TOP_SITES = 10
# Small segments, deleted soon after they leave the retention window: the broker's disk holds
# minutes of records, not the whole soak.
TOPIC_CONFIG = {
    "retention.bytes": str(64 * 1024 * 1024),
    "segment.bytes": str(16 * 1024 * 1024),
    "file.delete.delay.ms": "1000",
}
BROKER_PROPERTIES = {"log.retention.check.interval.ms": "5000"}
# How often the paced loop wakes up to send what has come due.
TICK_S = 0.001


@dataclass(slots=True)
class Spec:
    bootstrap_servers: str
    topic: str
    minutes: float
    warmup_s: float
    sample_s: float
    max_seconds: float
    rate: int | None


@dataclass(slots=True)
class SoakResult:
    max_rate: float
    target_rate: float
    sent: int
    achieved_rate: float
    buffer_full_waits: int
    # (seconds since the paced run began, RSS in KiB)
    rss: list[tuple[float, int]] = field(default_factory=list)
    traced_warm_bytes: int = 0
    traced_end_bytes: int = 0
    # (site, bytes at the end, growth since the warm-up, count growth)
    sites: list[tuple[str, int, int, int]] = field(default_factory=list)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benches.soak",
        description="ferrokafka at half its maximum rate for minutes: is its memory flat?",
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="paced run (default 10)")
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        help="start of the paced run not judged (default: 60 s, at most a fifth of the run)",
    )
    parser.add_argument("--sample-seconds", type=float, default=5.0, help="RSS sampling period")
    parser.add_argument(
        "--max-seconds", type=float, default=10.0, help="flat-out run measuring the maximum rate"
    )
    parser.add_argument("--rate", type=int, help="records/s (default: half the measured maximum)")
    parser.add_argument("--bootstrap-servers", help="use this cluster (default: start one)")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="soak.md and soak.json")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="also write benches/soak.md and RESULTS.md's Soak section",
    )
    parser.add_argument("--child", nargs=2, metavar=("SPEC", "RESULT"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    args = _arguments(arguments)
    if args.child:
        spec = Spec(**json.loads(Path(args.child[0]).read_text()))
        result = asyncio.run(_soak(spec))
        Path(args.child[1]).write_text(json.dumps(asdict(result)))
        return 0
    minutes: float = args.minutes
    warmup = args.warmup_seconds
    if warmup is None:
        warmup = min(60.0, minutes * 60 / 5)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started_at = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    with Broker(args.bootstrap_servers, broker_properties=BROKER_PROPERTIES) as broker:
        print(f"broker {broker.bootstrap_servers} (Kafka {broker.version})", flush=True)
        topic = broker.fresh_topic("soak", TOPIC_PARTITIONS, TOPIC_CONFIG)
        spec = Spec(
            broker.bootstrap_servers,
            topic,
            minutes,
            warmup,
            args.sample_seconds,
            args.max_seconds,
            args.rate,
        )
        result = _launch(spec, out)
        stored = broker.record_count(topic, TOPIC_PARTITIONS)
        machine = environment.describe(
            broker, environment.native_build(), load_before, os.getloadavg(), started_at
        )
    command = "python -m benches.soak " + shlex.join(arguments)
    text = section(result, spec, stored=stored, command=command, machine=machine)
    (out / "soak.json").write_text(json.dumps(asdict(result), indent=1))
    (out / "soak.md").write_text(text)
    print(text)
    if args.publish:
        (HERE / "soak.md").write_text(text)
        results = HERE / "RESULTS.md"
        if results.exists():
            results.write_text(with_soak_section(results.read_text(), text))
    ok = stored == result.sent and rss_flat(result, spec.warmup_s)[0]
    return 0 if ok else 1


def _launch(spec: Spec, out: Path) -> SoakResult:
    spec_path, result_path = out / "soak-spec.json", out / "soak-result.json"
    spec_path.write_text(json.dumps(asdict(spec)))
    result_path.unlink(missing_ok=True)
    limit = spec.max_seconds + spec.minutes * 60 + 180
    with (out / "soak-child.log").open("wb") as log:
        subprocess.run(
            [sys.executable, "-m", "benches.soak", "--child", str(spec_path), str(result_path)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=limit,
            check=True,
        )
    data = json.loads(result_path.read_text())
    data["rss"] = [tuple(sample) for sample in data["rss"]]
    data["sites"] = [tuple(site) for site in data["sites"]]
    return SoakResult(**data)


# --- the producer's side (child process) --------------------------------------------------------


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _soak(spec: Spec) -> SoakResult:
    from ferrokafka import Producer

    values = payloads("text-100")
    async with Producer(
        bootstrap_servers=spec.bootstrap_servers,
        acks=1,
        linger_ms=5,
        batch_size=BATCH_SIZE,
        enable_idempotence=False,
    ) as producer:
        await producer.wait_for_topic(spec.topic)
        flat_out = await _send_paced(producer, spec.topic, values, None, spec.max_seconds)
        max_rate = flat_out.sent / spec.max_seconds
        target = float(spec.rate) if spec.rate else max_rate / 2
        print(f"maximum {max_rate:,.0f} records/s; soaking at {target:,.0f}", flush=True)
        tracemalloc.start(1)
        paced = await _send_paced(
            producer, spec.topic, values, target, spec.minutes * 60, spec=spec
        )
        await producer.flush()
        end = tracemalloc.take_snapshot()
        traced_end = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    warm = paced.warm_snapshot
    assert warm is not None
    changes = end.filter_traces(_noise()).compare_to(warm.filter_traces(_noise()), "lineno")
    changes.sort(key=lambda stat: stat.size_diff, reverse=True)
    sites = [
        (_site(stat.traceback[0]), stat.size, stat.size_diff, stat.count_diff)
        for stat in changes[:TOP_SITES]
    ]
    return SoakResult(
        max_rate=max_rate,
        target_rate=target,
        sent=flat_out.sent + paced.sent,
        achieved_rate=paced.sent / (spec.minutes * 60),
        buffer_full_waits=flat_out.full_waits + paced.full_waits,
        rss=paced.rss,
        traced_warm_bytes=paced.traced_warm,
        traced_end_bytes=traced_end,
        sites=sites,
    )


def _site(frame: tracemalloc.Frame) -> str:
    return f"{frame.filename}:{frame.lineno}"


def _noise() -> list[tracemalloc.Filter]:
    return [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
    ]


@dataclass(slots=True)
class _Paced:
    sent: int = 0
    full_waits: int = 0
    rss: list[tuple[float, int]] = field(default_factory=list)
    warm_snapshot: tracemalloc.Snapshot | None = None
    traced_warm: int = 0


async def _send_paced(
    producer: Any,
    topic: str,
    values: list[bytes],
    rate: float | None,
    seconds: float,
    *,
    spec: Spec | None = None,
) -> _Paced:
    """Sends what has come due at `rate` records/s (flat out when None) for `seconds`; with
    `spec`, samples RSS and snapshots tracemalloc at the warm-up's end."""
    from ferrokafka import BufferFullError

    send = producer.send_nowait
    pool = len(values)
    state = _Paced()
    started = time.perf_counter()
    next_sample = started
    while (elapsed := time.perf_counter() - started) < seconds:
        due = state.sent + 1000 if rate is None else int(elapsed * rate)
        try:
            while state.sent < due:
                send(topic, values[state.sent % pool])
                state.sent += 1
        except BufferFullError:
            state.full_waits += 1
        if spec is not None:
            now = time.perf_counter()
            if now >= next_sample:
                state.rss.append((now - started, _rss_kb()))
                next_sample += spec.sample_s
            if state.warm_snapshot is None and elapsed >= spec.warmup_s:
                state.warm_snapshot = tracemalloc.take_snapshot()
                state.traced_warm = tracemalloc.get_traced_memory()[0]
        await asyncio.sleep(0 if rate is None else TICK_S)
    return state


# --- the report ---------------------------------------------------------------------------------


def rss_flat(result: SoakResult, warmup_s: float) -> tuple[bool, int, float]:
    """(flat, the first RSS after the warm-up in KiB, the largest deviation from it)."""
    after = [kb for seconds, kb in result.rss if seconds >= warmup_s]
    if not after:
        return False, 0, float("nan")
    reference = after[0]
    worst = max((kb - reference for kb in after), key=abs) / reference
    return abs(worst) <= RSS_TOLERANCE, reference, worst


def section(
    result: SoakResult, spec: Spec, *, stored: int, command: str, machine: list[str]
) -> str:
    flat, reference, worst = rss_flat(result, spec.warmup_s)
    after = [kb for seconds, kb in result.rss if seconds >= spec.warmup_s]
    grew = [site for site in result.sites if site[2] > GREW_BYTES]
    delivered = (
        f"all {result.sent:,} records stored"
        if stored == result.sent
        else f"**the topic holds {stored:,} records, {result.sent:,} were sent**"
    )
    per_minute = [kb for seconds, kb in result.rss if seconds % 60 < spec.sample_s]
    lines = [
        "## Soak",
        "",
        f"ferrokafka `send_nowait`, 100 B records, acks=1, linger 5 ms, {TOPIC_PARTITIONS} "
        f"partitions, for {spec.minutes:g} minutes at {result.target_rate:,.0f} records/s "
        f"(half the {result.max_rate:,.0f} records/s it reached flat out over "
        f"{spec.max_seconds:g} s just before, on this machine); achieved "
        f"{result.achieved_rate:,.0f} records/s; {delivered}. The first {spec.warmup_s:g} s "
        "are warm-up, not judged. tracemalloc (1 frame) ran during the paced part.",
        "",
        f"- **RSS {'flat' if flat else 'NOT flat'}** (±{RSS_TOLERANCE:.0%} after warm-up): "
        f"{reference / 1024:.1f} MB at the warm-up's end, then {min(after, default=0) / 1024:.1f}"
        f"–{max(after, default=0) / 1024:.1f} MB, {_fmt_mb(after[-1] if after else 0)} at the "
        f"end; largest deviation {worst:+.1%}",
        "- RSS once a minute (MB): " + ", ".join(f"{kb / 1024:.1f}" for kb in per_minute),
        f"- Python heap traced by tracemalloc: {result.traced_warm_bytes / 1024:,.0f} KiB "
        f"after warm-up, {result.traced_end_bytes / 1024:,.0f} KiB at the end (after flush); "
        + (
            f"**{len(grew)} allocation site(s) grew by more than {GREW_BYTES // 1024} KiB**"
            if grew
            else f"no allocation site grew by more than {GREW_BYTES // 1024} KiB"
        ),
        "",
        "| allocation site (largest growth first) | KiB at the end | KiB grown | blocks grown |",
        "|---|---|---|---|",
    ]
    for site, size, diff, count in result.sites:
        lines.append(
            f"| `{_short(site)}` | {size / 1024:,.1f} | {diff / 1024:+,.1f} | {count:+,} |"
        )
    lines += [
        "",
        f"Measured with `{command}` on:",
        "",
        *[f"- {item}" for item in machine],
        "",
    ]
    return "\n".join(lines)


def _fmt_mb(kb: int) -> str:
    return f"{kb / 1024:.1f} MB"


def _short(site: str) -> str:
    for root in (str(REPO) + "/", str(Path(sys.prefix)) + "/"):
        if site.startswith(root):
            return site[len(root) :]
    return site


def with_soak_section(results_md: str, soak_md: str) -> str:
    """RESULTS.md with its "## Soak" section replaced by ``soak_md`` (appended when absent)."""
    return with_section(results_md, soak_md)


def with_section(results_md: str, section_md: str) -> str:
    """RESULTS.md with the section that ``section_md``'s first line (its "## " heading) names
    replaced by ``section_md``, or appended when absent: sections measured by commands of
    their own, kept when the main run writes RESULTS.md again."""
    heading = section_md.splitlines()[0]
    lines = results_md.splitlines()
    start = next((i for i, line in enumerate(lines) if line == heading), None)
    if start is None:
        return results_md.rstrip("\n") + "\n\n" + section_md.rstrip("\n") + "\n"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join([*lines[:start], *section_md.rstrip("\n").splitlines(), "", *lines[end:]]) + (
        "\n"
    )


if __name__ == "__main__":
    sys.exit(main())
