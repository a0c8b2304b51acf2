"""`python -m benches [--quick] [--reps N] [--workloads ...] [--clients ...]`: see `benches`."""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from benches import broker_view, environment, report, stages
from benches.broker import BROKER_GC_OPTIONS, DEFAULT_BROKER_GC, Broker
from benches.runner import CLIENTS, CLIENTS_BY_KEY, GC_FREEZE_ENV, UVLOOP_ENV, Client, launch
from benches.soak import with_section, with_soak_section
from benches.workloads import (
    SLOW_WORKLOADS,
    TOPIC_PARTITIONS,
    WORKLOAD_NAMES,
    Mode,
    Settings,
    Workload,
    workloads,
    write_payload_file,
)

HERE = Path(__file__).resolve().parent
# Hand-written sections kept when a run writes RESULTS.md again: changes measured one by one.
CHANGES_MD = "changes.md"
# A run gets a minute to start and stop, plus its records at this slow rate.
_SLOWEST_RATE = 5_000
# Thousands of partitions on one broker sharing two cores: far fewer records/s.
_SLOWEST_SCALE_RATE = 1_000
# Load on a broker started here before anything is measured (its JIT warms up).
WARM_UP_SECONDS = 20.0
WARM_UP_SECONDS_QUICK = 8.0
# Creating (and deleting) a topic of 3,000 partitions on one broker sharing two cores.
TOPIC_ADMIN_TIMEOUT_S = 300.0


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benches",
        description="ferrokafka against confluent-kafka, aiokafka, kafka-python and Java.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small workloads, one repetition (CI smoke test)"
    )
    parser.add_argument("--reps", type=int, help="repetitions (default 3, quick 1)")
    parser.add_argument(
        "--warm-up-runs",
        type=int,
        help="uncounted runs of every client before each workload's repetitions (default 1, "
        "quick 0): the broker's JIT compiles the paths a workload's requests take (lz4 or zstd "
        "validation, idempotent appends) during the first runs that send them, which made "
        "whichever client ran first pay for it",
    )
    parser.add_argument(
        "--workloads",
        help=f"comma-separated, from {', '.join(WORKLOAD_NAMES)} (default: all; with --quick, "
        f"all but {', '.join(SLOW_WORKLOADS)}, which take minutes or run a Kafka tool around "
        "every run)",
    )
    parser.add_argument(
        "--clients",
        default=",".join(client.key for client in CLIENTS),
        help=f"comma-separated, from {', '.join(client.key for client in CLIENTS)}",
    )
    parser.add_argument(
        "--timeout", type=float, help="seconds per run before it is killed (default: by size)"
    )
    parser.add_argument(
        "--bootstrap-servers",
        help="use this cluster (default: $KAFKA_BOOTSTRAP_SERVERS, else start a local one)",
    )
    parser.add_argument(
        "--broker-gc",
        choices=sorted(BROKER_GC_OPTIONS),
        default=DEFAULT_BROKER_GC,
        help="the garbage collector of a broker started here: g1 (default, as Kafka's start "
        "script sets it) or zgc (pauses under a millisecond: the clients' latency without the "
        "broker's young-generation pauses)",
    )
    parser.add_argument(
        "--stages",
        type=Path,
        metavar="DIR",
        help="latency workloads: time each ferrokafka record stage by stage (due, send call, "
        "sender round, socket write, response read, callback; see benches/stages.py) and, "
        "with the broker's request log, each request's time on the wire against the broker's; "
        "per-request files go to DIR, the breakdown into results.json. Wraps sender methods of "
        "the benchmarked producer: off by default, as it costs the client a little",
    )
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="the asyncio clients (ferrokafka, aiokafka, confluent-kafka AIOProducer) run on "
        "uvloop's event loop instead of asyncio's default one",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="each run calls gc.freeze() once its client is imported, before the producer is "
        "created (as a latency-minded application may after starting): full collections no "
        "longer scan the imported modules' objects. Every client's Python GC passes are "
        "reported either way (python_gc in results.json)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out", help="raw results and logs")
    parser.add_argument(
        "--publish",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write benches/RESULTS.md and benches/results.png (default: only without --quick)",
    )
    parser.add_argument(
        "--from-results",
        type=Path,
        metavar="RESULTS_JSON",
        help="measure nothing: render the report of an earlier run's results.json again",
    )
    parser.add_argument(
        "--must-pass",
        default="",
        metavar="CLIENTS",
        help="comma-separated client keys whose failed runs make the exit status non-zero "
        "(default: every client's); other failures are reported only. CI's smoke run uses "
        "the ferrokafka ones: a peer's hiccup is not this project's regression",
    )
    parser.add_argument(
        "--allow-debug-build",
        action="store_true",
        help="measure even if ferrokafka's native module is an unoptimised build",
    )
    args = parser.parse_args(argv)
    known = set(WORKLOAD_NAMES)
    if args.workloads is None:
        skipped = SLOW_WORKLOADS if args.quick else ()
        args.workloads = ",".join(name for name in WORKLOAD_NAMES if name not in skipped)
    args.workload_names = [w for w in args.workloads.split(",") if w]
    if unknown := set(args.workload_names) - known:
        parser.error(f"unknown workloads {sorted(unknown)}; known: {', '.join(WORKLOAD_NAMES)}")
    keys = {client.key for client in CLIENTS}
    args.client_keys = [c for c in args.clients.split(",") if c]
    if unknown := set(args.client_keys) - keys:
        parser.error(f"unknown clients {sorted(unknown)}; known: {', '.join(sorted(keys))}")
    args.must_pass_keys = [c for c in args.must_pass.split(",") if c] or sorted(keys)
    if unknown := set(args.must_pass_keys) - keys:
        parser.error(f"unknown clients {sorted(unknown)}; known: {', '.join(sorted(keys))}")
    if args.reps is None:
        args.reps = 1 if args.quick else 3
    if args.warm_up_runs is None:
        args.warm_up_runs = 0 if args.quick else 1
    if args.publish is None:
        args.publish = not args.quick
    return args


def _timeout(workload: Workload, override: float | None) -> float:
    if override is not None:
        return override
    if workload.mode is Mode.LATENCY:
        return 60 + 3 * workload.records / workload.rate
    if workload.shared_topics:
        return 60 + workload.records / _SLOWEST_SCALE_RATE
    return 60 + workload.records / _SLOWEST_RATE


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    args = _arguments(arguments)
    if args.from_results is not None:
        saved = json.loads(args.from_results.read_text())
        return _publish(saved["meta"], saved["runs"], out=args.out, publish=args.publish)
    native = environment.native_build()
    if native.startswith("debug") and not args.allow_debug_build:
        print(
            f"ferrokafka's native module is {native}: build it optimised first "
            "(`make native`, or `maturin develop --release`), or pass --allow-debug-build",
            file=sys.stderr,
        )
        return 2
    chosen = [workloads(quick=args.quick)[name] for name in args.workload_names]
    clients = [client for client in CLIENTS if client.key in args.client_keys]
    java_missing = shutil.which("java") is None and os.environ.get("JAVA_HOME") is None
    if java_missing and any(client.key == "java" for client in clients):
        print("no `java` on PATH and JAVA_HOME unset: Java ProducerPerformance is skipped")
        clients = [client for client in clients if client.key != "java"]
    out: Path = args.out
    if args.gc_freeze:
        os.environ[GC_FREEZE_ENV] = "1"
    if args.uvloop:
        os.environ[UVLOOP_ENV] = "1"
    if args.stages is not None:
        # Read by the ferrokafka adapter in each run's subprocess.
        os.environ[stages.STAGES_ENV] = str(args.stages.resolve())
    (out / "logs").mkdir(parents=True, exist_ok=True)
    started_at = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    runs: list[dict[str, Any]] = []
    warm_up_runs: list[dict[str, Any]] = []
    java_startup: dict[str, Any] | None = None
    meta: dict[str, Any] = {
        # Read before measuring: the code the figures describe.
        "commit": environment.git_revision(),
        "quick": args.quick,
        "reps": args.reps,
        "warm_up_runs": args.warm_up_runs,
        "broker_gc": args.broker_gc,
        "workloads": args.workload_names,
        "event_loop": f"uvloop {importlib.metadata.version('uvloop')}" if args.uvloop else "",
        "commands": [
            "make native   # or: maturin develop --release (fat LTO)",
            "python -m benches " + shlex.join(arguments),
        ],
    }
    with Broker(args.bootstrap_servers, gc=args.broker_gc) as broker:
        payload_files = {
            kind: write_payload_file(kind, out / f"payloads-{kind}.txt")
            for kind in {workload.payload for workload in chosen}
        }
        print(f"broker {broker.bootstrap_servers} (Kafka {broker.version})", flush=True)
        if not broker.external:
            warm = broker.warm_up(
                WARM_UP_SECONDS_QUICK if args.quick else WARM_UP_SECONDS, TOPIC_PARTITIONS
            )
            print(f"broker warmed up with {warm:,} records", flush=True)
        if any(client.key == "java" for client in clients):
            java_startup = _java_startup(broker, out)
        for workload in chosen:
            takers = [client for client in clients if _takes(client, workload)]
            shared = _shared_topics(broker, workload, meta) if takers else ()
            # Negative repetitions are the warm-up: run and logged as the others, not counted.
            for rep in range(-args.warm_up_runs, args.reps):
                for client in _turns(takers, workload, rep):
                    run = _one_run(
                        broker,
                        client,
                        workload,
                        rep,
                        payload_file=payload_files[workload.payload],
                        timeout_s=_timeout(workload, args.timeout),
                        out=out,
                        shared_topics=shared,
                    )
                    if rep < 0:
                        warm_up_runs.append(run)
                        meta["warm_up"] = _warm_up_summary(warm_up_runs)
                    else:
                        runs.append(run)
                    _save(out / "results.json", meta, runs)
            broker.delete_topics(shared, timeout=TOPIC_ADMIN_TIMEOUT_S)
    machine = environment.describe(broker, native, load_before, os.getloadavg(), started_at)
    if java_startup is not None and java_startup["status"] == "ok":
        machine.append(
            f"JVM fixed cost, measured with a 1,000-record ProducerPerformance run: "
            f"{java_startup['cpu_s']:.2f} CPU s, {java_startup['process_wall_s']:.1f} s "
            "(included in Java's CPU figures)"
        )
    if created := meta.get("topic_creation_s"):
        machine.append(
            "topics created once per run and shared by every client: "
            + ", ".join(f"{name} in {seconds:.1f} s" for name, seconds in created.items())
        )
    meta["environment"] = machine
    _save(out / "results.json", meta, runs)
    return _publish(meta, runs, out=out, publish=args.publish, must_pass=args.must_pass_keys)


def _publish(
    meta: dict[str, Any],
    runs: list[dict[str, Any]],
    *,
    out: Path,
    publish: bool,
    must_pass: list[str] | None = None,
) -> int:
    """RESULTS.md and the chart in `out` (and in benches/ when publishing), the tables on
    stdout; non-zero when a run of a ``must_pass`` client (default: any) failed."""
    chosen = [workloads(quick=meta["quick"])[name] for name in meta["workloads"]]
    table = report.summarise(runs, chosen)
    mode = "quick" if meta["quick"] else "full"
    title = f"ferrokafka benchmarks ({mode} run, {meta['reps']} repetition(s))"
    for directory, wanted in ((out, True), (HERE, publish)):
        if not wanted:
            continue
        directory.mkdir(parents=True, exist_ok=True)
        chart_path = directory / "results.png"
        report.chart(table, chart_path, title)
        text = report.markdown(
            table,
            title=title,
            environment=meta["environment"],
            commands=meta["commands"],
            notes=_method_notes(
                meta.get("event_loop") or "",
                meta.get("warm_up_runs", 0),
                meta.get("broker_gc", DEFAULT_BROKER_GC),
            ),
            chart=chart_path.name if chart_path.exists() else None,
            commit=meta.get("commit"),
        )
        soak = HERE / "soak.md"
        if soak.exists():
            # The soak is its own command (`python -m benches.soak --publish`): its last
            # section, with its own commit and load, stays in RESULTS.md.
            text = with_soak_section(text, soak.read_text())
        breakdown = HERE / stages.STAGES_MD
        if breakdown.exists():
            # Written by hand from `--stages` runs (their commands and load are in it).
            text = with_section(text, breakdown.read_text())
        changes = HERE / CHANGES_MD
        if changes.exists():
            # Written by hand: one change against the build before it, with its own command.
            text = with_section(text, changes.read_text())
        (directory / "RESULTS.md").write_text(text)
    print()
    for rows in table.values():
        print(f"{rows[0].workload.name}: {rows[0].workload.describe()}")
        print("\n".join(report.workload_table(rows)))
        print()
    for target in report.targets(table):
        met = {True: "met", False: "NOT met", None: "not measured"}[target.met]
        print(f"target {target.goal}: {target.measured} ({met})")
    failed = [run for run in runs if run["status"] != "ok"]
    for run in failed:
        print(
            f"FAILED {run['workload']} {run['client']} rep {run['rep'] + 1}: {run['status']}\n"
            f"{run.get('detail', '')}",
            file=sys.stderr,
        )
    print(f"\nresults: {out / 'RESULTS.md'}" + (f", {HERE / 'RESULTS.md'}" if publish else ""))
    return 1 if any(must_pass is None or run["client"] in must_pass for run in failed) else 0


def _takes(client: Client, workload: Workload) -> bool:
    return workload.mode in client.modes and (
        not workload.clients or client.key in workload.clients
    )


def _turns(takers: list[Client], workload: Workload, rep: int) -> list[Client]:
    """The clients in the order they run in repetition ``rep``. On shared topics the order
    rotates, so that each client runs first once in as many repetitions as there are clients:
    the first run after thousands of partitions were created meets a broker still busy with
    them (the medians then leave that run out)."""
    if not workload.shared_topics or not takers:
        return takers
    shift = rep % len(takers)
    return takers[shift:] + takers[:shift]


def _shared_topics(broker: Broker, workload: Workload, meta: dict[str, Any]) -> tuple[str, ...]:
    """A scale workload's topics, created once for every client and repetition; the time it
    took goes into the results."""
    if not workload.shared_topics:
        return ()
    started = time.monotonic()
    topics = tuple(
        broker.fresh_topic(workload.name, workload.partitions, timeout=TOPIC_ADMIN_TIMEOUT_S)
        for _ in range(workload.topics)
    )
    took = time.monotonic() - started
    for topic in topics:
        broker.prime(topic, workload.partitions)
    meta.setdefault("topic_creation_s", {})[workload.name] = took
    print(f"{workload.name}: created {workload.describe_topics()} in {took:.1f} s", flush=True)
    return topics


def _one_run(
    broker: Broker,
    client: Client,
    workload: Workload,
    rep: int,
    *,
    payload_file: Path,
    timeout_s: float,
    out: Path,
    shared_topics: tuple[str, ...] = (),
) -> dict[str, Any]:
    latency = workload.mode is Mode.LATENCY
    topics = shared_topics or (
        broker.fresh_topic(
            f"{workload.name}-{client.key}",
            workload.partitions,
            broker_view.APPEND_TIME_CONFIG if latency else None,
        ),
    )
    before = _stored(broker, workload, topics) if shared_topics else 0
    request_log = workload.request_log and broker_view.set_request_log(broker, "DEBUG")
    log_from = broker_view.log_size(broker)
    started = time.time()
    broker_cpu_before = broker.cpu_seconds()
    log_path = (
        out / "logs" / f"{workload.name}-{client.key}-{'warm-up' if rep < 0 else rep + 1}.log"
    )
    result = launch(
        client,
        workload,
        topics=topics,
        bootstrap_servers=broker.bootstrap_servers,
        payload_file=payload_file,
        timeout_s=timeout_s,
        log_path=log_path,
    )
    result.update(workload=workload.name, client=client.key, rep=rep, topic=topics[0])
    ended = time.time()
    broker_cpu_after = broker.cpu_seconds()
    if broker_cpu_before is not None and broker_cpu_after is not None:
        # The client's connecting and metadata requests included: small beside the records.
        result["broker_cpu_s"] = broker_cpu_after - broker_cpu_before
    if request_log:
        broker_view.set_request_log(broker, "WARN")
    if result["status"] == "ok":
        _check_delivery(broker, workload, result, topics, before)
    if result["status"] == "ok" and latency:
        result["append"] = broker_view.append_latency(broker, topics[0], workload)
        result["broker_gc"] = broker_view.gc_pauses(broker, started, ended)
        if request_log:
            requests = broker_view.produce_requests(broker, topics[0], log_from)
            result["broker_requests"] = broker_view.produce_request_times(requests, workload)
            directory = stages.stages_dir()
            if directory is not None and client.is_ferrokafka:
                result["stages_broker"] = stages.join_broker_requests(
                    directory, topics[0], requests
                )
    if not shared_topics:
        broker.delete_topic(topics[0])
    _print_run(client, workload, rep, result)
    return result


def _stored(broker: Broker, workload: Workload, topics: tuple[str, ...]) -> int:
    return sum(broker.record_count(topic, workload.partitions) for topic in topics)


def _java_startup(broker: Broker, out: Path) -> dict[str, Any]:
    """Two tiny ProducerPerformance runs before the measured ones: the first writes the JVM's
    class-data archive (which later runs map instead of parsing 200 jars), the second shows the
    JVM's fixed cost as every measured run pays it."""
    workload = Workload(
        "java-startup",
        Mode.THROUGHPUT,
        1000,
        "text-100",
        Settings(acks="1", linger_ms=5, enable_idempotence=False),
    )
    result: dict[str, Any] = {}
    for attempt in (1, 2):
        topic = broker.fresh_topic("java-startup", TOPIC_PARTITIONS)
        result = launch(
            CLIENTS_BY_KEY["java"],
            workload,
            topics=(topic,),
            bootstrap_servers=broker.bootstrap_servers,
            payload_file=write_payload_file("text-100", out / "payloads-text-100.txt"),
            timeout_s=120,
            log_path=out / "logs" / f"java-startup-{attempt}.log",
        )
        broker.delete_topic(topic)
        if result["status"] != "ok":
            print(f"Java start-up run {result['status']}: {result.get('detail', '')}", flush=True)
            break
    return result


def _check_delivery(
    broker: Broker,
    workload: Workload,
    result: dict[str, Any],
    topics: tuple[str, ...],
    before: int,
) -> None:
    """Counts what the broker holds against what the client reported: a client that lost
    records fails its run, even if it said nothing (fire-and-forget drops every future), and so
    does one that wrote some twice (a retry the broker did not deduplicate). Shared topics
    count what this run added."""
    stored = _stored(broker, workload, topics) - before
    result["stored_records"] = stored
    problem = delivery_problem(stored, result["records"], result["errors"])
    if problem is not None:
        result["status"], result["detail"] = problem
    if workload.settings.compression != "none":
        result["stored_bytes"] = broker.stored_bytes(result["topic"])


def delivery_problem(stored: int, delivered: int, failed: int) -> tuple[str, str] | None:
    """The status and detail of a run whose topic holds ``stored`` records after the client
    reported ``delivered`` delivered and ``failed`` failed; None when they agree. The topic is
    fresh, so every stored record came from this run: exactly the delivered ones must be
    there, no fewer (lost) and no more (duplicates)."""
    if failed:
        return "errors", f"{failed} records failed (the topic holds {stored})"
    if stored < delivered:
        return "lost", f"the topic holds {stored} records, {delivered} were reported delivered"
    if stored > delivered:
        return (
            "duplicates",
            f"the topic holds {stored} records, {delivered} were sent: "
            f"{stored - delivered} written more than once",
        )
    return None


def _print_run(client: Client, workload: Workload, rep: int, result: dict[str, Any]) -> None:
    head = f"{workload.name:18} {client.label:28} {_rep_label(rep)}:"
    if result["status"] != "ok":
        print(f"{head} {result['status'].upper()} {result.get('detail', '').splitlines()[0]}")
        return
    rate = result["records"] / result["elapsed_s"]
    cpu = result["cpu_s"] / max(result["records"], 1) * 1e6
    line = (
        f"{head} {rate:>10,.0f} records/s  {cpu:6.2f} CPU s/M  "
        f"{result['maxrss_kb'] / 1024:6.0f} MB RSS"
    )
    if result.get("latency"):
        latency = result["latency"]
        line += f"  p50 {latency['p50_ms']:.2f}  p99 {latency['p99_ms']:.2f} ms"
    print(line, flush=True)


def _rep_label(rep: int) -> str:
    return "warm-up" if rep < 0 else f"rep {rep + 1}"


def _warm_up_summary(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the uncounted warm-up runs did, for results.json: enough to see what the first run
    of a workload costs (the broker's CPU above all) next to the counted ones."""
    return [
        {
            "workload": run["workload"],
            "client": run["client"],
            "status": run["status"],
            "elapsed_s": run.get("elapsed_s"),
            "cpu_s": run.get("cpu_s"),
            "broker_cpu_s": run.get("broker_cpu_s"),
        }
        for run in runs
    ]


def _save(path: Path, meta: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))


def _method_notes(event_loop: str, warm_up_runs: int, broker_gc: str) -> list[str]:
    """The method section; `event_loop` names uvloop when the async clients ran on it."""
    collector = (
        "The broker ran on ZGC (--broker-gc zgc; pauses well under a millisecond) instead of "
        "the G1 that Kafka's start script sets: its GC pauses are out of these latencies. "
        if broker_gc == "zgc"
        else ""
    )
    warm_up = (
        f" Then every workload starts with {warm_up_runs} uncounted run(s) of every client, in "
        "the same order: the broker's JIT still compiles the paths that a workload's requests "
        "take when they first arrive (lz4 or zstd validation, a client's request shape), which "
        "cost the first client of each workload up to a second of the broker's CPU and 40% of "
        "its records/s. Their figures are in results.json (meta.warm_up)."
        if warm_up_runs
        else ""
    )
    return [
        "Each run is one client in its own subprocess, on a fresh topic of "
        f"{TOPIC_PARTITIONS} partitions; clients take turns and repetitions are interleaved.",
        "Cost at scale (keyed-6, keyed-600, keyed-3000, topics-100): the same keyed records "
        "(10,007 keys, the default partitioner) over 6, 600 and 3,000 partitions of one topic, "
        "and over 100 topics of 6 partitions taken in turn (600 partitions: beside keyed-600 it "
        "isolates the cost of a topic). Those topics are created once per benchmark run, "
        "primed with a record per partition (the broker's first append to a partition is slow, "
        "and the first client would pay for it) and shared by every client and repetition (a "
        "run's records are the growth of the end offsets); the clients' order rotates from "
        "one repetition to the next, as the first run after the topics' creation is often "
        "slow. confluent-kafka Producer and aiokafka are the peers; aiokafka stops starting "
        "sends at half the run's time limit.",
        "records/s and MB/s (10⁶ payload bytes) run from the first send to the last "
        "acknowledgement (flush). The broker's end offsets are checked after each run: a run "
        "whose topic holds fewer records than were reported delivered (lost), or more "
        "(duplicates), fails.",
        "CPU is getrusage user + system of the client's process, all threads, from just before "
        "the producer is created to after it is closed (imports and payload building excluded); "
        "for Java, of the JVM process, start-up and JIT included. Peak RSS is the same "
        "process's VmHWM (Python interpreter and imports included; ru_maxrss would carry the "
        "parent's size over the exec).",
        "A broker started by the harness is first warmed up with confluent-kafka (large "
        "batches, then small acks=all requests; 20 s, 8 s in quick runs): its JIT compiles the "
        "common produce path before anything is measured." + warm_up,
        "Latency runs send on a fixed schedule (20k records/s) whatever the client does; "
        "latency is send call → acknowledgement callback; 'p99 from schedule' counts from when "
        "the record was due, and 'send lag' is how late the send was, so a client that stalls "
        "cannot hide it (no coordinated omission). Java's percentiles are its own, in whole ms.",
        "Latency, second method: every value starts with its index and the wall-clock time it "
        "was due, the topic has message.timestamp.type=LogAppendTime, and after the run the "
        "topic is read back: broker append time (whole ms, + 0.5) − due time is 'due → broker "
        "append', free of the client's callbacks and of the response's way back (client and "
        "broker share this machine's clock; Java's tool sends its own payloads, so it has "
        "none). 'loop wake-up lag' is how late the pacing loop's sleeps (asyncio) or polls "
        "(threaded clients) returned: the loop's own lag. "
        + collector
        + "Broker GC pauses are those of its "
        "-Xlog:gc log that ended during the run. In latency-linger0-request-log the broker's "
        "request logger is at DEBUG during each run (a line per request, parsed for the "
        "run's topic); that costs the broker, so it is a workload of its own.",
        f"Async clients run on {event_loop or 'asyncio'}'s "
        f"{'event loop (--uvloop)' if event_loop else 'default loop'}; their send loops yield "
        "to the loop every 1,000 records. In the awaited workload each of the 1,000 tasks "
        "awaits the client's own call per record, as a request handler writes it (`await "
        "send(topic, value)`, aiokafka's `send_and_wait`, AIOProducer's `await (await "
        "produce(...))`), with no wrapper coroutine of the harness's. Threaded clients "
        "(confluent-kafka Producer, kafka-python) run it as a window of 1,000 outstanding "
        "records. ferrokafka's send_nowait retries after 1 ms when buffer_memory is full; "
        "confluent-kafka polls on BufferError. ferrokafka's 'await produce' row is the "
        "README's plain loop (`for v in values: await producer.produce(topic, v)`, then "
        "flush) with no yields or retries of its own; 'await produce_many' hands the whole "
        "generator of values to one call.",
        "Every client gets the same acks, linger, batch size (16384), compression and "
        "idempotence; other settings are each client's defaults (compression levels included). "
        "confluent-kafka AIOProducer keeps its defaults of gathering 1,000 records or 1 s; "
        "it polls for delivery reports only when it hands a gathered batch to librdkafka or "
        "flushes, so 1,000 senders that each await their record leave it waiting for its 1 s "
        "timer on every round (the awaited workload stops such a run at half its time limit).",
        "Compression ratio is payload bytes ÷ bytes of the topic's log segments on the broker.",
    ]


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"benchmarks took {time.monotonic() - started:.0f} s", file=sys.stderr)
    sys.exit(code)
