"""Side-by-side benchmarks of ferrokafka and its peers (SPEC §4).

`python -m benches` starts a one-node Kafka (or uses `KAFKA_BOOTSTRAP_SERVERS`), creates a fresh
topic for every run, and runs each workload for each client in turn, each run in its own
subprocess so that `getrusage` of that process is the client's alone. Repetitions are
interleaved (client A, B, C, then A, B, C again) and reported as medians. `--quick` is the smoke
test CI runs: small workloads, one repetition, no speed assertions, non-zero exit when a client
crashes, hangs, loses records or writes some twice. Every Python client's garbage collections
during its run are reported (`python_gc` in results.json); `--gc-freeze` has each run call
`gc.freeze()` before its client starts, as a latency-minded application may.

Modules: `workloads` (what is sent, with which settings), one `client_*` adapter per client,
`runner` (the per-run subprocess and its measurements), `measure` (the loops and latency logs
adapters share), `broker` (cluster, topics, checks), `broker_view` (the broker's side of a
latency run: log-append times, GC pauses, its request log), `environment` (machine, versions,
the commit measured), `report` (medians, ratios, RESULTS.md and the chart), `stages` (opt-in,
`--stages DIR`: a ferrokafka latency record's time cut into stages, and each request's time on
the wire against the broker's request log). `soak` is its own command, `python -m
benches.soak`: ferrokafka at half its maximum rate for minutes, RSS and tracemalloc checked;
`asyncio_floor` measures asyncio's own cost per awaited record.
"""
