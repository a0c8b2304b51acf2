"""From the runs to the figures: medians per client, ratios pair by pair, the SPEC §4 targets,
RESULTS.md and the chart."""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benches.runner import CLIENTS_BY_KEY, Client
from benches.workloads import (
    AWAITED,
    COMPRESSION_GZIP,
    COMPRESSION_LZ4,
    COMPRESSION_ZSTD,
    FIRE_AND_FORGET,
    LATENCY_LINGER0,
    LATENCY_LINGER5,
    SCALE_WORKLOADS,
    Mode,
    Workload,
)

Run = dict[str, Any]


@dataclass(slots=True)
class Row:
    """One client on one workload: medians over its successful repetitions."""

    client: Client
    workload: Workload
    runs: int
    ok: int
    failures: list[str] = field(default_factory=list)
    cut_short: list[str] = field(default_factory=list)
    records_per_s: float = math.nan
    mb_per_s: float = math.nan
    cpu_s_per_m: float = math.nan
    # The broker's CPU over the client's run, per million records (a broker started here).
    broker_cpu_s_per_m: float = math.nan
    rss_mb: float = math.nan
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    p999_ms: float = math.nan
    schedule_p99_ms: float = math.nan
    lag_p99_ms: float = math.nan
    schedule_p50_ms: float = math.nan
    schedule_p999_ms: float = math.nan
    wake_lag_p99_ms: float = math.nan
    wake_lag_p999_ms: float = math.nan
    # The second method: broker append time − due time (broker_view).
    append_p50_ms: float = math.nan
    append_p99_ms: float = math.nan
    append_p999_ms: float = math.nan
    gc_pauses: float = math.nan
    gc_max_ms: float = math.nan
    gc_total_ms: float = math.nan
    # The broker's request log (request-log workload): medians of broker_view's figures.
    broker_requests: dict[str, float] = field(default_factory=dict)
    compression_ratio: float = math.nan


def _median(runs: Sequence[Run], metric: Callable[[Run], float | None]) -> float:
    values = [v for v in (metric(run) for run in runs) if v is not None and not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def _latency(key: str, part: str = "latency") -> Callable[[Run], float | None]:
    def metric(run: Run) -> float | None:
        latency = run.get(part) or {}
        value = latency.get(key)
        return None if value is None else float(value)

    return metric


def summarise(runs: Sequence[Run], workloads: Sequence[Workload]) -> dict[str, list[Row]]:
    """Rows per workload, in the order clients were run."""
    table: dict[str, list[Row]] = {}
    for workload in workloads:
        mine = [r for r in runs if r["workload"] == workload.name]
        keys = dict.fromkeys(r["client"] for r in mine)
        rows = [_summarise_client(workload, [r for r in mine if r["client"] == k]) for k in keys]
        if rows:
            table[workload.name] = rows
    return table


def _summarise_client(workload: Workload, runs: list[Run]) -> Row:
    good = [r for r in runs if r["status"] == "ok"]
    row = Row(CLIENTS_BY_KEY[runs[0]["client"]], workload, len(runs), len(good))
    row.failures = [
        f"rep {r['rep'] + 1}: {r['status']}: {r.get('detail', '').strip()[:2000]}"
        for r in runs
        if r["status"] != "ok"
    ]
    row.cut_short = [
        f"rep {r['rep'] + 1}: {r['extra']['cut_short']}"
        for r in good
        if r.get("extra", {}).get("cut_short")
    ]
    size = workload.value_size

    def compression(run: Run) -> float | None:
        if not run.get("stored_bytes"):
            return None
        return float(run["stored_records"] * size / run["stored_bytes"])

    row.records_per_s = _median(good, lambda r: r["records"] / r["elapsed_s"])
    row.mb_per_s = _median(good, lambda r: r["records"] * size / r["elapsed_s"] / 1e6)
    row.cpu_s_per_m = _median(good, lambda r: r["cpu_s"] / max(r["records"], 1) * 1e6)
    row.broker_cpu_s_per_m = _median(
        good,
        lambda r: (
            None
            if r.get("broker_cpu_s") is None
            else r["broker_cpu_s"] / max(r["records"], 1) * 1e6
        ),
    )
    row.rss_mb = _median(good, lambda r: r["maxrss_kb"] / 1024)
    row.p50_ms = _median(good, _latency("p50_ms"))
    row.p99_ms = _median(good, _latency("p99_ms"))
    row.p999_ms = _median(good, _latency("p999_ms"))
    row.schedule_p99_ms = _median(good, _latency("schedule_p99_ms"))
    row.lag_p99_ms = _median(good, _latency("lag_p99_ms"))
    row.schedule_p50_ms = _median(good, _latency("schedule_p50_ms"))
    row.schedule_p999_ms = _median(good, _latency("schedule_p999_ms"))
    row.wake_lag_p99_ms = _median(good, _latency("wake_lag_p99_ms"))
    row.wake_lag_p999_ms = _median(good, _latency("wake_lag_p999_ms"))
    row.append_p50_ms = _median(good, _latency("p50_ms", "append"))
    row.append_p99_ms = _median(good, _latency("p99_ms", "append"))
    row.append_p999_ms = _median(good, _latency("p999_ms", "append"))
    row.gc_pauses = _median(good, _latency("count", "broker_gc"))
    row.gc_max_ms = _median(good, _latency("max_ms", "broker_gc"))
    row.gc_total_ms = _median(good, _latency("total_ms", "broker_gc"))
    keys = {key for run in good for key in (run.get("broker_requests") or {})}
    row.broker_requests = {key: _median(good, _latency(key, "broker_requests")) for key in keys}
    row.compression_ratio = _median(good, compression)
    return row


# --- ratios and targets -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ratio:
    workload: str
    ours: str
    peer: str
    throughput: float
    cpu: float
    p99: float


def ratios(table: dict[str, list[Row]]) -> list[Ratio]:
    """Each ferrokafka way of sending against each peer, on each workload: ours ÷ theirs."""
    out = []
    for name, rows in table.items():
        for ours in (r for r in rows if r.client.is_ferrokafka and r.ok):
            for peer in (r for r in rows if not r.client.is_ferrokafka and r.ok):
                # A latency run's rate is the offered one, the same for everyone.
                paced = ours.workload.mode is Mode.LATENCY
                out.append(
                    Ratio(
                        name,
                        ours.client.label,
                        peer.client.label,
                        math.nan if paced else ours.records_per_s / peer.records_per_s,
                        ours.cpu_s_per_m / peer.cpu_s_per_m,
                        ours.p99_ms / peer.p99_ms if peer.p99_ms else math.nan,
                    )
                )
    return out


@dataclass(frozen=True, slots=True)
class Target:
    goal: str
    measured: str
    met: bool | None  # None: not measured


def _row(table: dict[str, list[Row]], workload: str, client: str) -> Row | None:
    for row in table.get(workload, []):
        if row.client.key == client and row.ok:
            return row
    return None


def targets(table: dict[str, list[Row]]) -> list[Target]:
    out = []
    ours, theirs = (
        _row(table, FIRE_AND_FORGET, "ferrokafka"),
        _row(table, FIRE_AND_FORGET, "confluent"),
    )
    if ours and theirs:
        speed = ours.records_per_s / theirs.records_per_s
        cpu = ours.cpu_s_per_m / theirs.cpu_s_per_m
        out.append(
            Target(
                "fire-and-forget: send_nowait ≥ 2× confluent-kafka Producer records/s",
                f"{speed:.2f}×",
                speed >= 2,
            )
        )
        out.append(
            Target(
                "fire-and-forget: send_nowait ≤ ½ confluent-kafka Producer CPU per record",
                f"{cpu:.2f}×",
                cpu <= 0.5,
            )
        )
    else:
        out.append(Target("fire-and-forget vs confluent-kafka", "not measured", None))
    nowait, produce = (
        _row(table, FIRE_AND_FORGET, "ferrokafka"),
        _row(table, FIRE_AND_FORGET, "ferrokafka-produce"),
    )
    if nowait and produce:
        cpu = produce.cpu_s_per_m / nowait.cpu_s_per_m
        out.append(
            Target(
                "fire-and-forget: await produce ≤ 1.2× send_nowait's CPU per record",
                f"{cpu:.2f}×",
                cpu <= 1.2,
            )
        )
    else:
        out.append(Target("await produce vs send_nowait", "not measured", None))
    ours, theirs = _row(table, AWAITED, "ferrokafka-send"), _row(table, AWAITED, "aiokafka")
    if ours and theirs:
        speed = ours.records_per_s / theirs.records_per_s
        out.append(
            Target("awaited: await send ≥ 5× aiokafka records/s", f"{speed:.2f}×", speed >= 5)
        )
    else:
        out.append(Target("awaited vs aiokafka", "not measured", None))
    ours = _row(table, LATENCY_LINGER0, "ferrokafka")
    if ours:
        out.append(
            Target(
                "latency: p99 at 20k records/s, linger 0, under 2 ms",
                f"{ours.p99_ms:.2f} ms",
                ours.p99_ms < 2,
            )
        )
    else:
        out.append(Target("latency at linger 0", "not measured", None))
    return out


# --- markdown -----------------------------------------------------------------------------------


def _fmt(value: float, digits: int = 0) -> str:
    if math.isnan(value):
        return "–"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def workload_table(rows: list[Row]) -> list[str]:
    workload = rows[0].workload
    header = [
        "client",
        "records/s",
        "MB/s",
        "CPU s / M records",
        "broker CPU s / M records",
        "peak RSS MB",
    ]
    if workload.mode is Mode.LATENCY:
        header += ["p50 ms", "p99 ms", "p99.9 ms", "p99 from schedule ms", "send lag p99 ms"]
    if workload.settings.compression != "none":
        header.append("compression ratio")
    header.append("runs ok")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        name = f"**{row.client.label}**" if row.client.is_ferrokafka else row.client.label
        cells = [
            name,
            _fmt(row.records_per_s),
            _fmt(row.mb_per_s, 1),
            _fmt(row.cpu_s_per_m, 2),
            _fmt(row.broker_cpu_s_per_m, 2),
            _fmt(row.rss_mb),
        ]
        if workload.mode is Mode.LATENCY:
            cells += [
                _fmt(row.p50_ms, 2),
                _fmt(row.p99_ms, 2),
                _fmt(row.p999_ms, 2),
                _fmt(row.schedule_p99_ms, 2),
                _fmt(row.lag_p99_ms, 2),
            ]
        if workload.settings.compression != "none":
            cells.append(_fmt(row.compression_ratio, 2))
        cells.append(f"{row.ok}/{row.runs}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def latency_methods_table(rows: list[Row]) -> list[str]:
    """Both latency methods side by side (p50 / p99 / p99.9, ms), with the loop's own lag and
    the broker's GC pauses during the run."""
    lines = [
        "| client | send → ack | due → ack | due → broker append | send lag p99 | "
        "loop wake-up lag p99 / p99.9 | broker GC pauses (count, max, total ms) |",
        "|---|---|---|---|---|---|---|",
    ]

    def three(a: float, b: float, c: float) -> str:
        return " / ".join(_fmt(v, 2) for v in (a, b, c))

    for row in rows:
        if not row.ok:
            continue
        gc = (
            "–"
            if math.isnan(row.gc_pauses)
            else f"{row.gc_pauses:.0f}, {row.gc_max_ms:.1f}, {row.gc_total_ms:.0f}"
        )
        cells = [
            row.client.label,
            three(row.p50_ms, row.p99_ms, row.p999_ms),
            three(row.schedule_p50_ms, row.schedule_p99_ms, row.schedule_p999_ms),
            three(row.append_p50_ms, row.append_p99_ms, row.append_p999_ms),
            _fmt(row.lag_p99_ms, 2),
            f"{_fmt(row.wake_lag_p99_ms, 2)} / {_fmt(row.wake_lag_p999_ms, 2)}",
            gc,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _or_nan(values: dict[str, float], key: str) -> float:
    return values.get(key, math.nan)


def broker_request_table(rows: list[Row]) -> list[str]:
    """The broker's time per produce request (its request log) beside the client's latency."""
    lines = [
        "| client | send → ack p50 / p99 / p99.9 | produce requests | records per request | "
        "broker total p50 / p99 / p99.9 | p99 queued · handled · response queued · sending |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if not row.ok or not row.broker_requests:
            continue
        get = functools.partial(_or_nan, row.broker_requests)
        parts = " · ".join(
            _fmt(get(f"{part}_p99"), 2)
            for part in ("requestQueueTimeMs", "localTimeMs", "responseQueueTimeMs", "sendTimeMs")
        )
        cells = [
            row.client.label,
            " / ".join(_fmt(v, 2) for v in (row.p50_ms, row.p99_ms, row.p999_ms)),
            _fmt(get("requests")),
            _fmt(get("records_per_request"), 1),
            " / ".join(_fmt(get(k), 2) for k in ("p50_ms", "p99_ms", "p999_ms")),
            parts,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def scale_table(table: dict[str, list[Row]]) -> list[str]:
    """CPU per record and peak RSS of each client across the scale workloads, side by side."""
    present = [name for name in SCALE_WORKLOADS if name in table]
    if not present:
        return []
    labels = list(dict.fromkeys(row.client.label for name in present for row in table[name]))
    lines = [
        "| client | " + " | ".join(present) + " |",
        "|---|" + "---|" * len(present),
    ]
    for label in labels:
        cells = []
        for name in present:
            row = next((r for r in table[name] if r.client.label == label and r.ok), None)
            cells.append(
                "–"
                if row is None
                else f"{_fmt(row.cpu_s_per_m, 2)} µs, {_fmt(row.rss_mb)} MB"
                + (" (cut short)" if row.cut_short else "")
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _times(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.2f}×"


def ratio_table(all_ratios: list[Ratio]) -> list[str]:
    lines = [
        "| workload | ferrokafka | peer | records/s | CPU per record | p99 latency |",
        "|---|---|---|---|---|---|",
    ]
    for ratio in all_ratios:
        cells = [_times(ratio.throughput), _times(ratio.cpu), _times(ratio.p99)]
        lines.append(
            f"| {ratio.workload} | {ratio.ours} | {ratio.peer} | " + " | ".join(cells) + " |"
        )
    return lines


def markdown(
    table: dict[str, list[Row]],
    *,
    title: str,
    environment: list[str],
    commands: list[str],
    notes: list[str],
    chart: str | None,
    commit: str | None = None,
) -> str:
    all_ratios = ratios(table)
    lines = [f"# {title}", ""]
    if commit:
        lines += [
            f"Measured on ferrokafka commit **{commit}** by `{commands[-1]}`; machine, load and "
            "versions below.",
            "",
        ]
    lines += ["## Machine and versions", "", *[f"- {item}" for item in environment], ""]
    lines += ["## Commands", "", "```sh", *commands, "```", ""]
    lines += ["## Targets (SPEC §4; reported, never asserted)", ""]
    lines += ["| target | measured | met |", "|---|---|---|"]
    for target in targets(table):
        met = {True: "yes", False: "**no**", None: "–"}[target.met]
        lines.append(f"| {target.goal} | {target.measured} | {met} |")
    lines.append("")
    lines += ["## Results (medians over the repetitions)", ""]
    for name, rows in table.items():
        lines += [f"### {name}", "", rows[0].workload.describe(), "", *workload_table(rows), ""]
        if rows[0].workload.mode is Mode.LATENCY:
            lines += [
                "Two methods (p50 / p99 / p99.9 ms, after the first records): the harness's "
                "(send call → acknowledgement callback, and from when the record was due), and "
                "the broker's log-append time of each record against the time it was due, read "
                "back from the topic (whole ms on the broker's side, ±0.5 ms):",
                "",
                *latency_methods_table(rows),
                "",
            ]
        if any(row.broker_requests for row in rows):
            lines += [
                "The broker's own view, from its request log (DEBUG during these runs only): "
                "time from a produce request's arrival to its response's last byte, and its "
                "p99 parts; what the client sees beyond it is the client's share and the "
                "network's:",
                "",
                *broker_request_table(rows),
                "",
            ]
        # Not `notes`: that is the method notes, rendered at the end.
        remarks = []
        for row in rows:
            for failure in row.failures:
                first = failure.splitlines()[0] if failure else ""
                remarks.append(f"- {row.client.label} failed, {first}")
            for cut in row.cut_short:
                remarks.append(f"- {row.client.label} stopped at its time budget, {cut}")
        if remarks:
            lines += [*remarks, ""]
    if scale := scale_table(table):
        lines += [
            "## Cost at scale (CPU per record, peak RSS; medians)",
            "",
            "The same keyed records over 6, 600 and 3,000 partitions of one topic, and over 100 "
            "topics of 6 partitions; records/s of these runs is mostly the broker's (one node "
            "appending to thousands of logs on the same cores).",
            "",
            *scale,
            "",
        ]
    lines += [
        "## Ratios, pair by pair (ferrokafka ÷ peer, from the medians)",
        "",
        "Above 1× is better for records/s; below 1× is better for CPU per record and p99.",
        "",
        *ratio_table(all_ratios),
        "",
    ]
    if chart:
        lines += [f"![results]({chart})", ""]
    lines += ["## Method", "", *[f"- {note}" for note in notes], ""]
    return "\n".join(lines)


# --- chart --------------------------------------------------------------------------------------

# Bars of a panel's second workload (linger 5, zstd) are hatched; colour marks ferrokafka.
_HATCHES = ("", "////", "....")


def chart(table: dict[str, list[Row]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    panels: list[tuple[str, list[str], Callable[[Row], float], str, bool]] = [
        ("fire-and-forget: records/s", [FIRE_AND_FORGET], lambda r: r.records_per_s, "", False),
        (
            "fire-and-forget: CPU s per M records",
            [FIRE_AND_FORGET],
            lambda r: r.cpu_s_per_m,
            "",
            False,
        ),
        ("awaited: records/s", [AWAITED], lambda r: r.records_per_s, "", False),
        (
            "latency at 20k records/s: p99 ms (log)",
            [LATENCY_LINGER0, LATENCY_LINGER5],
            lambda r: r.p99_ms,
            "",
            True,
        ),
        (
            "compression (1 KiB JSON): records/s",
            [COMPRESSION_LZ4, COMPRESSION_ZSTD, COMPRESSION_GZIP],
            lambda r: r.records_per_s,
            "",
            False,
        ),
        (
            "fire-and-forget: peak RSS MB",
            [FIRE_AND_FORGET],
            lambda r: r.rss_mb,
            "",
            False,
        ),
    ]
    shown = [panel for panel in panels if any(name in table for name in panel[1])]
    if not shown:
        return
    columns = 2
    rows_n = math.ceil(len(shown) / columns)
    figure, axes = plt.subplots(rows_n, columns, figsize=(13, 3.6 * rows_n), squeeze=False)
    for axis in axes.flat[len(shown) :]:
        axis.set_visible(False)
    for axis, (panel_title, names, metric, _unit, log) in zip(axes.flat, shown, strict=False):
        present = [name for name in names if name in table]
        labels = list(
            dict.fromkeys(row.client.label for name in present for row in table[name] if row.ok)
        )
        height = 0.8 / len(present)
        for offset, name in enumerate(present):
            by_label = {row.client.label: row for row in table[name] if row.ok}
            values = [metric(by_label[label]) if label in by_label else 0 for label in labels]
            positions = [i + offset * height for i in range(len(labels))]
            colors = [
                "#d9480f" if label.startswith("ferrokafka") else "#868e96" for label in labels
            ]
            bars = axis.barh(
                positions,
                [0 if math.isnan(v) else v for v in values],
                height=height,
                color=colors,
                edgecolor="white",
                hatch=_HATCHES[offset % len(_HATCHES)],
            )
            axis.bar_label(
                bars,
                labels=[_fmt(v, 2) if v < 100 else _fmt(v) for v in values],
                fontsize=7,
                padding=2,
            )
        axis.set_yticks([i + height * (len(present) - 1) / 2 for i in range(len(labels))])
        axis.set_yticklabels(labels, fontsize=8)
        axis.invert_yaxis()
        axis.set_title(panel_title, fontsize=10)
        if log:
            axis.set_xscale("log")
        if len(present) > 1:
            axis.legend(
                handles=[
                    Patch(facecolor="#868e96", edgecolor="white", hatch=_HATCHES[i], label=name)
                    for i, name in enumerate(present)
                ],
                fontsize=7,
                loc="best",
            )
        if not log:
            axis.xaxis.set_major_locator(MaxNLocator(5))
            axis.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
        axis.margins(x=0.18)
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
