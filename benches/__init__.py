"""Side-by-side benchmarks of ferrokafka and its peers (SPEC §4).

`python -m benches` starts a one-node Kafka (or uses `KAFKA_BOOTSTRAP_SERVERS`), creates a fresh
topic for every run, and runs each workload for each client in turn, each run in its own
subprocess so that `getrusage` of that process is the client's alone. Repetitions are
interleaved (client A, B, C, then A, B, C again) and reported as medians. `--quick` is the smoke
test CI runs: small workloads, one repetition, no speed assertions, non-zero exit when a client
crashes, hangs, loses records or writes some twice.

Modules: `workloads` (what is sent, with which settings), one `client_*` adapter per client,
`runner` (the per-run subprocess and its measurements), `broker` (cluster, topics, checks),
`report` (medians, ratios, RESULTS.md and the chart).
"""
