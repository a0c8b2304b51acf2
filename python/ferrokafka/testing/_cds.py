"""Class-data sharing archives: a Kafka JVM starts with a third less CPU when its classes come
pre-parsed from an archive instead of ~200 jars.

The first JVM of a kind (broker, or storage tool) runs with `-XX:ArchiveClassesAtExit` and
writes the archive as it exits cleanly; later ones map it with `-XX:SharedArchiveFile`. The
archive's name hashes everything it depends on (Java, JVM options, the jars), so a change
produces a new archive instead of one the JVM would silently reject. The JVM validates the
archive itself and runs without it on any mismatch. `FERROKAFKA_KAFKA_CDS=0` turns this off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ferrokafka.testing._distribution import KafkaDistribution, java_executable

CDS_ENV = "FERROKAFKA_KAFKA_CDS"

# JVM warnings (e.g. an archive it cannot use) go to stderr, never into a tool's output.
JVM_LOG_OPTIONS: tuple[str, ...] = ("-Xlog:all=warning:stderr",)

_ARCHIVES_KEPT_PER_KIND = 4


@dataclass(frozen=True, slots=True)
class ArchivePlan:
    """The options for one JVM launch, and where a freshly dumped archive lands."""

    options: tuple[str, ...]
    dumping_to: Path | None = None
    final_path: Path | None = None

    def publish(self) -> None:
        """After the JVM exited: move a complete dump into place (the JVM writes it at exit)."""
        if self.dumping_to is None or self.final_path is None:
            return
        try:
            if self.dumping_to.stat().st_size > 0:
                os.replace(self.dumping_to, self.final_path)
                _prune(self.final_path)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                self.dumping_to.unlink()


def _prune(published: Path) -> None:
    """Keep the newest few archives of a kind (~50 MB each) and drop abandoned partial dumps.

    A few, not one: test clusters and benchmark clusters use different JVM options, and each
    set needs its own archive. A JVM that mapped a deleted archive keeps its mapping.
    """
    kind = published.name.split("-", 1)[0]
    archives = sorted(
        published.parent.glob(f"{kind}-*.jsa"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    stale = archives[_ARCHIVES_KEPT_PER_KIND:]
    cutoff = time.time() - 3600
    stale += [p for p in published.parent.glob("*.partial") if p.stat().st_mtime < cutoff]
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()


def plan(
    distribution: KafkaDistribution, kind: str, jvm_options: Sequence[str], *, may_dump: bool
) -> ArchivePlan:
    if os.environ.get(CDS_ENV, "1").strip().lower() in {"0", "false", "no", "off"}:
        return ArchivePlan(())
    path = _archive_path(distribution, kind, jvm_options)
    if path is None:
        return ArchivePlan(())
    if path.exists():
        return ArchivePlan((f"-XX:SharedArchiveFile={path}",))
    if not may_dump:
        return ArchivePlan(())
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{uuid.uuid4().hex[:8]}.partial")
    return ArchivePlan((f"-XX:ArchiveClassesAtExit={partial}",), partial, path)


def _archive_path(
    distribution: KafkaDistribution, kind: str, jvm_options: Sequence[str]
) -> Path | None:
    try:
        java = Path(java_executable()).resolve()
        marker = distribution.completion_marker
        fingerprint = "\0".join(
            [
                str(java),
                str(java.stat().st_mtime_ns),
                str(marker.stat().st_mtime_ns),
                marker.read_text(),
                *jvm_options,
            ]
        )
    except OSError:
        return None
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return distribution.home / "cds" / f"{kind}-{digest}.jsa"
