"""Kills the Kafka JVMs of a Python process that dies without stopping them.

`atexit` covers a normal exit, but not a SIGKILL or a crash of the process that started the
brokers, and a forgotten broker keeps a core busy. This watchdog runs as a separate process
(started with `python -I <this file>`, so it imports nothing of the package) in its own session,
so Ctrl-C reaches only its parent. Its parent writes `+<pid>` when it starts a JVM and `-<pid>`
once it has reaped one; every JVM leads its own process group. When the pipe closes, whatever the
reason, the watchdog SIGKILLs the groups still registered and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO


def _kill_groups(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _watch(stream: IO[str]) -> None:
    pids: set[int] = set()

    def on_term(_signum: int, _frame: object) -> None:
        _kill_groups(pids)
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    for line in stream:
        command = line.strip()
        if command.startswith("+"):
            pids.add(int(command[1:]))
        elif command.startswith("-"):
            pids.discard(int(command[1:]))
    _kill_groups(pids)


class Reaper:
    """The parent's side: one watchdog per Python process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        # Every JVM started and not yet reaped, in case the watchdog must be restarted.
        self._pids: set[int] = set()

    def register(self, pid: int) -> None:
        with self._lock:
            self._pids.add(pid)
            self._send(f"+{pid}")

    def unregister(self, pid: int) -> None:
        with self._lock:
            self._pids.discard(pid)
            self._send(f"-{pid}")

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
            self._pids.clear()
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()

    def _send(self, message: str) -> None:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-I", str(Path(__file__).resolve())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
            # A watchdog that died took its list along; the new one learns every live JVM.
            message = "\n".join(f"+{pid}" for pid in sorted(self._pids)) or message
        stdin = self._process.stdin
        if stdin is None:  # pragma: no cover - stdin=PIPE guarantees a stream
            return
        try:
            stdin.write(message + "\n")
            stdin.flush()
        except BrokenPipeError:
            # The next message starts a new watchdog; stop() and atexit reap JVMs meanwhile.
            self._process = None


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch(sys.stdin)
