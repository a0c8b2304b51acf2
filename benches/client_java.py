"""Kafka's own `org.apache.kafka.tools.ProducerPerformance`, from the jars `ferrokafka.testing`
fetches, with the JVM options of Kafka's `kafka-producer-perf-test.sh`.

It fits the fire-and-forget, compression and latency workloads (`--throughput` paces it); it
has no closed-loop mode, so not the awaited one. It reports its own rate and percentiles (whole
milliseconds); its CPU and memory are those of the JVM, start-up and JIT included.
"""

from __future__ import annotations

import re

from benches.measure import Job, Outcome
from benches.workloads import Mode
from ferrokafka.testing import ExternalCluster

MAIN_CLASS = "org.apache.kafka.tools.ProducerPerformance"
# kafka-producer-perf-test.sh sets a 512 MB heap; the rest are kafka-run-class.sh's defaults.
JVM_OPTIONS = (
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:-UsePerfData",
    "-Djava.awt.headless=true",
)
_SUMMARY = re.compile(
    r"(?P<records>\d+) records sent, (?P<rate>[\d.]+) records/sec \([\d.]+ MB/sec\), "
    r"[\d.]+ ms avg latency, (?P<max>[\d.]+) ms max latency, (?P<p50>\d+) ms 50th, "
    r"\d+ ms 95th, (?P<p99>\d+) ms 99th, (?P<p999>\d+) ms 99\.9th"
)


def command_args(job: Job) -> list[str]:
    settings = job.workload.settings
    rate = job.workload.rate if job.workload.mode is Mode.LATENCY else -1
    return [
        "--topic",
        job.topic,
        "--num-records",
        str(job.workload.records),
        "--throughput",
        str(rate),
        "--payload-file",
        job.payload_file,
        "--producer-props",
        f"bootstrap.servers={job.bootstrap_servers}",
        f"acks={settings.acks}",
        f"linger.ms={settings.linger_ms}",
        f"batch.size={settings.batch_size}",
        f"compression.type={settings.compression}",
        f"enable.idempotence={'true' if settings.enable_idempotence else 'false'}",
    ]


def run(job: Job) -> Outcome:
    if job.workload.mode is Mode.AWAITED:
        raise ValueError("ProducerPerformance has no closed-loop (awaited) mode")
    cluster = ExternalCluster(job.bootstrap_servers)
    result = cluster.run_tool(
        MAIN_CLASS, command_args(job), timeout=job.timeout_s, jvm_options=JVM_OPTIONS
    )
    matches = list(_SUMMARY.finditer(result.stdout))
    if result.returncode != 0 or not matches:
        raise RuntimeError(
            f"{MAIN_CLASS} exited with {result.returncode}\n"
            f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
        )
    summary = matches[-1]
    records = int(summary["records"])
    rate = float(summary["rate"])
    latency = None
    if job.workload.mode is Mode.LATENCY:
        latency = {
            "p50_ms": float(summary["p50"]),
            "p99_ms": float(summary["p99"]),
            "p999_ms": float(summary["p999"]),
            "max_ms": float(summary["max"]),
        }
    elapsed = records / rate if rate else float("nan")
    return Outcome(records, elapsed, latency=latency, external=True)
