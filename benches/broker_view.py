"""The broker's side of a latency run: when it appended each record, and when it paused.

The latency workloads' topics use `message.timestamp.type=LogAppendTime`, so every stored record
carries the broker's clock at append (whole milliseconds), and every value starts with the time
it was due (`measure.LatencyLog.stamped`). Read back after the run, append time − due time is
the latency up to the broker's append, measured without the client's callbacks or clocks: a
second method beside the harness's send → acknowledgement times, which also include the
response's way back. Client and broker share this machine's clock.

A broker started here logs its garbage-collector pauses (`-Xlog:gc`, see `broker.py`): the pauses
that fell inside a run show how much of a tail the broker's own stops explain. For the
request-log workload, its request logger is turned to DEBUG for the run (a dynamic broker-logger
config, `kafka-configs --entity-type broker-loggers`): one line per request with the time it
spent queued, being handled, waiting to be sent back and being sent, i.e. the broker's share of
each produce request. That log costs the broker time, so it is a workload of its own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from benches.broker import Broker
from benches.measure import STAMP_BYTES, percentile
from benches.workloads import Workload

REQUEST_LOGGER = "kafka.request.logger"
_COMPLETED = "Completed request:"
_REQUEST_PARTS = (
    "requestQueueTimeMs",
    "localTimeMs",
    "remoteTimeMs",
    "responseQueueTimeMs",
    "sendTimeMs",
)

# A record's topic for the append-time method.
APPEND_TIME_CONFIG = {"message.timestamp.type": "LogAppendTime"}
# `[<epoch ms>ms] GC(7) Pause Young (Normal) (G1 Evacuation Pause) 51M->12M(1024M) 3.215ms`
_PAUSE = re.compile(r"^\[(\d+)ms\] GC\(\d+\) (Pause .*?) (\d+(?:\.\d+)?)ms$")


def append_latency(broker: Broker, topic: str, workload: Workload) -> dict[str, float] | None:
    """Percentiles of (broker append time − due time) over the counted records, in ms; None
    when the values carry no stamp (a client that sends its own payloads, as Java's tool)."""
    latencies: list[float] = []
    for record in broker.cluster.consume(topic, timeout=120):
        stamp = (record.value or b"")[:STAMP_BYTES]
        if len(stamp) < STAMP_BYTES or not stamp.isdigit():
            continue
        if int(stamp[:8]) < workload.warmup_records:
            continue
        # The broker's clock is read in whole milliseconds: + 0.5 centres the estimate.
        latencies.append(record.timestamp + 0.5 - int(stamp[8:]) / 1000)
    if not latencies:
        return None
    latencies.sort()
    return {
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "p999_ms": percentile(latencies, 99.9),
        "max_ms": latencies[-1],
        "samples": float(len(latencies)),
    }


def gc_pauses(broker: Broker, started: float, ended: float) -> dict[str, Any] | None:
    """The broker's stop-the-world GC pauses that ended between ``started`` and ``ended``
    (wall-clock seconds); None for a broker this harness did not start."""
    path = broker.gc_log
    if path is None:
        return None
    pauses: list[float] = []
    for log in sorted(path.parent.glob(path.name + "*")):
        pauses += _pauses_in(log, started * 1000, ended * 1000)
    return {
        "count": len(pauses),
        "total_ms": sum(pauses),
        "max_ms": max(pauses, default=0.0),
        "seconds": ended - started,
    }


def _pauses_in(path: Path, since_ms: float, until_ms: float) -> list[float]:
    found = []
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        match = _PAUSE.match(line)
        if match and since_ms <= int(match[1]) <= until_ms:
            found.append(float(match[3]))
    return found


def set_request_log(broker: Broker, level: str) -> bool:
    """Sets the broker's request logger to ``level`` (DEBUG: a line per request); False for a
    broker this harness did not start (its log is not here to read)."""
    if broker.log is None:
        return False
    result = broker.cluster.run_tool(
        "kafka.admin.ConfigCommand",
        [
            "--bootstrap-server",
            broker.bootstrap_servers,
            "--entity-type",
            "broker-loggers",
            "--entity-name",
            "1",
            "--alter",
            "--add-config",
            f"{REQUEST_LOGGER}={level}",
        ],
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"setting {REQUEST_LOGGER} to {level} failed:\n{result.stderr[-2000:]}")
    return True


def log_size(broker: Broker) -> int:
    """Where the broker's log ends now: a run's request lines come after it."""
    path = broker.log
    return path.stat().st_size if path is not None and path.exists() else 0


def produce_requests(broker: Broker, topic: str, since: int) -> list[dict[str, Any]]:
    """The broker's request-log entries (parsed JSON) of the produce requests to ``topic``
    logged after byte ``since`` of its log; empty for a broker this harness did not start."""
    path = broker.log
    if path is None:
        return []
    with path.open("rb") as handle:
        handle.seek(since)
        text = handle.read().decode(errors="replace")
    needle = f'"name":"{topic}"'
    requests = []
    for line in text.splitlines():
        start = line.find(_COMPLETED)
        if start < 0 or needle not in line or '"requestApiKeyName":"PRODUCE"' not in line:
            continue
        body = line[start + len(_COMPLETED) :].rsplit(" (", 1)[0]
        requests.append(json.loads(body))
    return requests


def produce_request_times(
    requests: list[dict[str, Any]], workload: Workload
) -> dict[str, float] | None:
    """Percentiles (ms) of the broker's time for a run's produce requests (`produce_requests`),
    the first warm-up share of them left out; None without any."""
    requests = requests[len(requests) * workload.warmup_records // workload.records :]
    if not requests:
        return None
    totals = sorted(float(request["totalTimeMs"]) for request in requests)
    out = {
        "requests": float(len(requests)),
        "records_per_request": (workload.records - workload.warmup_records) / len(requests),
        "p50_ms": percentile(totals, 50),
        "p99_ms": percentile(totals, 99),
        "p999_ms": percentile(totals, 99.9),
    }
    for part in _REQUEST_PARTS:
        out[f"{part}_p99"] = percentile(sorted(float(r[part]) for r in requests), 99)
    return out
