"""What the results were measured on: the machine, its load, the versions, and which commit of
ferrokafka (a figure is only worth the code it was measured on)."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from benches.broker import Broker
from benches.runner import REPO


def describe(
    broker: Broker,
    native: str,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    started_at: datetime.datetime,
) -> list[str]:
    import confluent_kafka

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    cores = os.cpu_count() or 1
    # Judged by the load before the run only: the load after it includes the run's own broker
    # and clients, which keep two cores busy by design.
    busy = (
        [
            f"**the machine was busy with other work** (load average {load_before[0]:.1f} on "
            f"{cores} cores): figures vary from run to run; compare ratios, not absolute values"
        ]
        if load_before[0] > cores / 2
        else []
    )
    return [
        *busy,
        f"date: {started_at:%Y-%m-%d %H:%M} UTC",
        f"CPU: {_cpu_model()}, {os.cpu_count()} logical cores; RAM {_memory_gib():.0f} GiB; "
        f"{platform.system()} {platform.release()}",
        "load average (1/5/15 min) before: "
        + " / ".join(f"{v:.2f}" for v in load_before)
        + ", after: "
        + " / ".join(f"{v:.2f}" for v in load_after),
        f"broker: Kafka {broker.version}, "
        + (
            f"external at {broker.bootstrap_servers}"
            if broker.external
            else "one KRaft node on 127.0.0.1, same machine as the clients"
        ),
        f"Python {platform.python_version()} ({sys.executable})",
        f"ferrokafka {version('ferrokafka')} ({ferrokafka_source()}), native module: {native}",
        f"confluent-kafka {version('confluent-kafka')} (librdkafka "
        f"{confluent_kafka.libversion()[0]})",
        f"aiokafka {version('aiokafka')}, kafka-python {version('kafka-python')}",
        f"Java: {_java_version()}",
    ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def ferrokafka_source() -> str:
    import ferrokafka

    package = Path(ferrokafka.__file__ or "").resolve().parent
    if package.is_relative_to(REPO):
        return f"git {git_revision()}"
    # A copy installed elsewhere (e.g. a wheel built for the measurement): the work tree's
    # revision says nothing about it.
    built = datetime.datetime.fromtimestamp(package.stat().st_mtime, datetime.UTC)
    return f"a copy in {package}, installed {built:%Y-%m-%d %H:%M} UTC"


# What the measured code is built from: a change elsewhere (benches/, docs) does not make the
# figures those of uncommitted code.
_MEASURED_PATHS = ("python", "rust", "Cargo.toml", "Cargo.lock", "pyproject.toml")


def git_revision() -> str:
    """The commit, e.g. `197b46d`, with "+ uncommitted changes" when the library's sources
    (python/, rust/, the build files) differ from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown"

    def run(*args: str) -> str:
        result = subprocess.run(
            [git, "-C", str(REPO), *args], capture_output=True, text=True, check=False
        )
        return result.stdout.strip()

    commit = run("rev-parse", "--short=10", "HEAD") or "unknown"
    if run("status", "--porcelain", "--", *_MEASURED_PATHS):
        return f"{commit} + uncommitted changes to the library"
    return commit


def _java_version() -> str:
    java = shutil.which("java")
    if java is None:
        return "not found"
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    lines = result.stderr.strip().splitlines()
    return "; ".join(lines[:2]) if lines else "unknown"


def native_build() -> str:
    """'optimised' or 'debug (...)': a debug build measures Rust without optimisations."""
    import ferrokafka._native

    path = Path(ferrokafka._native.__file__ or "")
    sections = _elf_sections(path)
    if sections is None:
        return f"unknown build ({path.name})"
    if ".debug_info" in sections:
        return f"debug (DWARF in {path.name})"
    return f"optimised, {path.stat().st_size / 1e6:.1f} MB"


def _elf_sections(path: Path) -> set[str] | None:
    # Reading the section names takes the ELF header and section table only: no dependency
    # on binutils being installed.
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    order = "<" if data[5] == 1 else ">"
    (table,) = struct.unpack_from(order + "Q", data, 0x28)
    entry, count, names_index = struct.unpack_from(order + "HHH", data, 0x3A)

    def section(index: int) -> tuple[int, int, int]:
        base = table + index * entry
        (name,) = struct.unpack_from(order + "I", data, base)
        offset, size = struct.unpack_from(order + "QQ", data, base + 0x18)
        return name, offset, size

    _, names_offset, names_size = section(names_index)
    names = data[names_offset : names_offset + names_size]
    found = set()
    for index in range(count):
        name, _, _ = section(index)
        end = names.find(b"\0", name)
        found.add(names[name:end].decode(errors="replace"))
    return found
