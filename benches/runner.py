"""One run = one subprocess: the clients, and how a run is launched, bounded and measured.

The parent (`launch`) writes the run's spec to a file and starts `python -m benches.runner SPEC
RESULT` in a new session, so that a client that hangs is killed with everything it started
(Java's JVM included) when its time is up. The child imports the client and builds the payloads
first, then measures `getrusage` around the client's run: CPU (user + system, all threads) and
peak RSS are the client's alone, as no other client ever ran in that process.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import importlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benches.measure import Job, Outcome
from benches.workloads import Mode, Settings, Workload, keys, payloads

REPO = Path(__file__).resolve().parent.parent
_ALL_MODES = frozenset(Mode)


@dataclass(frozen=True, slots=True)
class Client:
    key: str
    label: str
    module: str
    variant: str
    modes: frozenset[Mode]

    @property
    def is_ferrokafka(self) -> bool:
        return self.key.startswith("ferrokafka")


CLIENTS: tuple[Client, ...] = (
    Client(
        "ferrokafka",
        "ferrokafka send_nowait",
        "benches.client_ferrokafka",
        "nowait",
        frozenset({Mode.THROUGHPUT, Mode.LATENCY}),
    ),
    Client(
        "ferrokafka-produce",
        "ferrokafka await produce",
        "benches.client_ferrokafka",
        "produce",
        frozenset({Mode.THROUGHPUT}),
    ),
    Client(
        "ferrokafka-send",
        "ferrokafka await send",
        "benches.client_ferrokafka",
        "send",
        frozenset({Mode.AWAITED}),
    ),
    Client(
        "ferrokafka-bulk",
        "ferrokafka send_many",
        "benches.client_ferrokafka",
        "bulk",
        frozenset({Mode.THROUGHPUT}),
    ),
    Client(
        "ferrokafka-produce-many",
        "ferrokafka await produce_many",
        "benches.client_ferrokafka",
        "produce-many",
        frozenset({Mode.THROUGHPUT}),
    ),
    Client("confluent", "confluent-kafka Producer", "benches.client_confluent", "", _ALL_MODES),
    Client(
        "confluent-aio",
        "confluent-kafka AIOProducer",
        "benches.client_confluent_aio",
        "",
        _ALL_MODES,
    ),
    Client("aiokafka", "aiokafka", "benches.client_aiokafka", "", _ALL_MODES),
    Client("kafka-python", "kafka-python", "benches.client_kafka_python", "", _ALL_MODES),
    Client(
        "java",
        "Java ProducerPerformance",
        "benches.client_java",
        "",
        frozenset({Mode.THROUGHPUT, Mode.LATENCY}),
    ),
)
CLIENTS_BY_KEY = {client.key: client for client in CLIENTS}


# --- parent side --------------------------------------------------------------------------------


def launch(
    client: Client,
    workload: Workload,
    *,
    topics: tuple[str, ...],
    bootstrap_servers: str,
    payload_file: Path,
    timeout_s: float,
    log_path: Path,
) -> dict[str, Any]:
    """Runs one client on one workload in a subprocess; never raises for the client's faults.

    Returns the child's measurements with `status` "ok", or `status` "crashed" / "timeout" and
    a `detail` quoting the end of its output (kept whole in `log_path`).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ferrokafka-bench-") as scratch:
        spec_path = Path(scratch) / "spec.json"
        result_path = Path(scratch) / "result.json"
        spec = {
            "client": client.key,
            "workload": _workload_to_dict(workload),
            "topics": list(topics),
            "bootstrap_servers": bootstrap_servers,
            "payload_file": str(payload_file),
            "timeout_s": timeout_s,
            # Half the time limit: what is left covers start-up, flush and close.
            "budget_s": timeout_s / 2,
        }
        spec_path.write_text(json.dumps(spec))
        command = [sys.executable, "-m", "benches.runner", str(spec_path), str(result_path)]
        started = time.monotonic()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                returncode = process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                return {
                    "status": "timeout",
                    "detail": f"killed after {timeout_s:g} s\n{_tail(log_path)}",
                }
            except BaseException:
                _kill_group(process)
                raise
        wall = time.monotonic() - started
        if returncode != 0 or not result_path.exists():
            return {"status": "crashed", "detail": f"exit code {returncode}\n{_tail(log_path)}"}
        result: dict[str, Any] = json.loads(result_path.read_text())
        result["status"] = "ok"
        result["process_wall_s"] = wall
        return result


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tail(path: Path, lines: int = 25) -> str:
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _workload_to_dict(workload: Workload) -> dict[str, Any]:
    return dataclasses.asdict(workload)


def workload_from_dict(data: dict[str, Any]) -> Workload:
    return Workload(
        **{
            **data,
            "mode": Mode(data["mode"]),
            "settings": Settings(**data["settings"]),
            "clients": tuple(data["clients"]),
        }
    )


# --- child side ---------------------------------------------------------------------------------


def _own_peak_rss_kb(usage: resource.struct_rusage) -> int:
    """This process's peak resident set. Linux keeps ru_maxrss across exec, so it may report
    the parent's size at the fork; VmHWM belongs to this program's own address space."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return usage.ru_maxrss


#: Set by ``python -m benches --gc-freeze``: each run freezes its objects before the client starts.
GC_FREEZE_ENV = "FERROKAFKA_BENCH_GC_FREEZE"
#: Set by ``python -m benches --uvloop``: each run's asyncio clients run on uvloop's loop.
UVLOOP_ENV = "FERROKAFKA_BENCH_UVLOOP"


class PythonCollections:
    """The client process's Python garbage collections during its run: how many, how many full
    (generation 2), and how long they held the interpreter (each pause stops the event loop)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def summary(self) -> dict[str, float]:
        full = [seconds for generation, seconds in self.pauses if generation == 2]
        return {
            "count": len(self.pauses),
            "full": len(full),
            "total_ms": 1000 * sum(seconds for _, seconds in self.pauses),
            "max_ms": 1000 * max((seconds for _, seconds in self.pauses), default=0.0),
            "full_max_ms": 1000 * max(full, default=0.0),
        }


def _child(spec_path: Path, result_path: Path) -> None:
    spec = json.loads(spec_path.read_text())
    workload = workload_from_dict(spec["workload"])
    client = CLIENTS_BY_KEY[spec["client"]]
    job = Job(
        workload=workload,
        topics=tuple(spec["topics"]),
        bootstrap_servers=spec["bootstrap_servers"],
        variant=client.variant,
        values=payloads(workload.payload),
        payload_file=spec["payload_file"],
        timeout_s=spec["timeout_s"],
        budget_s=spec["budget_s"],
        keys=keys() if workload.keyed else [],
    )
    module = importlib.import_module(client.module)
    gc.collect()
    if os.environ.get(GC_FREEZE_ENV):
        # What a latency-minded application does once it has started: what exists now is
        # never scanned again, so a full collection costs nothing for the imports' objects.
        gc.freeze()
    if os.environ.get(UVLOOP_ENV):
        import uvloop

        # asyncio.run in every client then runs on uvloop; threaded clients are unaffected.
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    collections = PythonCollections()
    gc.callbacks.append(collections.on_gc)
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    outcome: Outcome = module.run(job)
    gc.callbacks.remove(collections.on_gc)
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = own.ru_utime - own_before.ru_utime + children.ru_utime - children_before.ru_utime
    system = own.ru_stime - own_before.ru_stime + children.ru_stime - children_before.ru_stime
    result = {
        "records": outcome.records,
        "errors": outcome.errors,
        "elapsed_s": outcome.elapsed_s,
        "latency": outcome.latency,
        "extra": outcome.extra,
        "user_s": user,
        "system_s": system,
        "cpu_s": user + system,
        # Linux reports kilobytes.
        "maxrss_kb": children.ru_maxrss if outcome.external else _own_peak_rss_kb(own),
        "python_gc": None if outcome.external else collections.summary(),
    }
    result_path.write_text(json.dumps(result))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m benches.runner SPEC.json RESULT.json", file=sys.stderr)
        return 2
    try:
        _child(Path(argv[1]), Path(argv[2]))
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
