"""One Kafka JVM: a combined KRaft broker and controller, its process, log and configuration."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from ferrokafka.testing import _cds
from ferrokafka.testing._distribution import KafkaDistribution, java_executable
from ferrokafka.testing._errors import KafkaStartError, NodeControlError
from ferrokafka.testing._reaper import Reaper

# Small heaps and no JIT beyond C1: a test broker handles little data and spends most of its
# life starting, and the machines it runs on have two cores shared with the tests.
DEFAULT_JVM_OPTIONS: tuple[str, ...] = (
    "-Xms64m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
# Short-lived tools (storage formatting, console producer and consumer).
TOOL_JVM_OPTIONS: tuple[str, ...] = (
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Djava.awt.headless=true",
)

LOG_TAIL_LINES = 60
_STOP_TIMEOUT_S = 30.0
_KILL_WAIT_S = 10.0

_reaper = Reaper()
_live_nodes: weakref.WeakSet[KafkaNode] = weakref.WeakSet()


@atexit.register
def _kill_leftovers() -> None:
    for node in list(_live_nodes):
        node.kill()
    _reaper.close()


class KafkaNode:
    """A combined broker and controller of a `KafkaCluster`, running in its own JVM.

    Ports stay fixed for the node's life, so a restarted node rejoins the static controller
    quorum under the same address.
    """

    def __init__(
        self,
        *,
        node_id: int,
        port: int,
        controller_port: int,
        directory: Path,
        distribution: KafkaDistribution,
        jvm_options: Sequence[str],
        ready_check: Callable[[KafkaNode], bool],
        external_port: int | None = None,
    ) -> None:
        self.node_id = node_id
        self.port = port
        self.controller_port = controller_port
        # The EXTERNAL listener's own port, when the cluster advertises it at another address.
        self.external_port = external_port
        self.directory = directory
        self.log_path = directory / "kafka.log"
        self.config_path = directory / "server.properties"
        self.data_dir = directory / "data"
        self._distribution = distribution
        self._jvm_options = tuple(jvm_options)
        # Asks the cluster whether this node is registered and serving; the node alone cannot
        # tell a listening socket from a broker that has joined the cluster.
        self._ready_check = ready_check
        self._process: subprocess.Popen[bytes] | None = None
        self._archive = _cds.ArchivePlan(())
        # Whether the current process's exit has been handled (watchdog told, archive published).
        self._settled = True
        self._paused = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        state = "paused" if self._paused else "running" if self.is_running else "stopped"
        return f"<KafkaNode {self.node_id} 127.0.0.1:{self.port} {state}>"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        process = self._alive()
        return process.pid if process is not None else None

    @property
    def is_running(self) -> bool:
        """True while the JVM is alive, paused or not."""
        return self._alive() is not None

    @property
    def is_paused(self) -> bool:
        return self._paused and self.is_running

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> None:
        """Launch the JVM (no-op if running); with `wait`, return once the cluster serves it."""
        with self._lock:
            if self.is_running:
                return
            self._launch()
        if wait:
            self.wait_ready(timeout=timeout)

    def restart(self, *, timeout: float = 60.0) -> None:
        """Stop gracefully, start again and wait until the cluster serves the node."""
        self.stop()
        self.start(timeout=timeout)

    def stop(self, timeout: float = _STOP_TIMEOUT_S) -> None:
        """SIGTERM (a controlled shutdown) and wait; SIGKILL if it takes longer than `timeout`."""
        self.terminate()
        self.wait_stopped(timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash or power loss would, and reap the process."""
        with self._lock:
            process = self._process
            if process is None:
                return
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            self._reap(process, _KILL_WAIT_S)

    def pause(self) -> None:
        """SIGSTOP: the JVM stays alive but answers nothing, like a node stuck in a long GC."""
        with self._lock:
            process = self._require_running("pause")
            os.killpg(process.pid, signal.SIGSTOP)
            self._paused = True

    def resume(self) -> None:
        """SIGCONT after `pause()`."""
        with self._lock:
            process = self._require_running("resume")
            os.killpg(process.pid, signal.SIGCONT)
            self._paused = False

    def terminate(self) -> None:
        """Send SIGTERM without waiting; `wait_stopped()` completes the stop."""
        with self._lock:
            process = self._alive()
            if process is None:
                return
            with contextlib.suppress(ProcessLookupError):
                if self._paused:
                    # A stopped JVM would hold the SIGTERM until resumed.
                    os.killpg(process.pid, signal.SIGCONT)
                    self._paused = False
                os.killpg(process.pid, signal.SIGTERM)

    def wait_stopped(self, timeout: float = _STOP_TIMEOUT_S) -> None:
        with self._lock:
            process = self._process
            if process is None:
                return
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            self._reap(process, _KILL_WAIT_S)

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        """Block until the node accepts connections and the cluster lists it as a broker."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            if self.accepts_connections() and self._ready_check(self):
                return
            if time.monotonic() >= deadline:
                raise self.start_error(f"Kafka node {self.node_id} was not ready in {timeout:g} s")
            time.sleep(0.1)

    def accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def check_alive(self) -> None:
        """Raise `KafkaStartError` with the log's tail if the JVM has exited."""
        process = self._process
        if process is None:
            raise self.start_error(f"Kafka node {self.node_id} is not running")
        code = process.poll()
        if code is not None:
            self._reap(process, 0)
            raise self.start_error(f"Kafka node {self.node_id} exited with status {code}")

    def start_error(self, reason: str) -> KafkaStartError:
        return KafkaStartError(reason, log_path=self.log_path, log_tail=self.log_tail())

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - 256 * 1024))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def write_config(self, properties: Mapping[str, str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        body = "".join(f"{key}={_escape(value)}\n" for key, value in properties.items())
        self.config_path.write_text(body)

    def format_storage(
        self, cluster_id: str, logging_options: Sequence[str], extra_arguments: Sequence[str] = ()
    ) -> tuple[subprocess.Popen[bytes], _cds.ArchivePlan]:
        """Start `StorageTool format` for this node; the caller waits (nodes format in parallel)."""
        archive = _cds.plan(
            self._distribution, "tools", TOOL_JVM_OPTIONS, may_dump=self.node_id == 1
        )
        command = [
            java_executable(),
            *TOOL_JVM_OPTIONS,
            *_cds.JVM_LOG_OPTIONS,
            *archive.options,
            *logging_options,
            "-cp",
            self._distribution.classpath,
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(self.config_path),
            *extra_arguments,
        ]
        log = self._open_log(f"formatting storage of node {self.node_id}")
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
            )
        finally:
            log.close()
        return process, archive

    def finish_format(
        self, started: tuple[subprocess.Popen[bytes], _cds.ArchivePlan], timeout: float
    ) -> None:
        process, archive = started
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise self.start_error(
                f"formatting the storage of node {self.node_id} took over {timeout:g} s"
            ) from None
        if code == 0:
            archive.publish()
        if code != 0:
            raise self.start_error(
                f"formatting the storage of node {self.node_id} failed with status {code}"
            )

    def _launch(self) -> None:
        # One node dumps the archive, so the others do not pay for dumping the same classes.
        self._archive = _cds.plan(
            self._distribution, "broker", self._jvm_options, may_dump=self.node_id == 1
        )
        command = [
            java_executable(),
            *self._jvm_options,
            *_cds.JVM_LOG_OPTIONS,
            *self._archive.options,
            *_broker_logging_options(self.directory.parent, self._distribution),
            "-cp",
            self._distribution.classpath,
            "kafka.Kafka",
            str(self.config_path),
        ]
        log = self._open_log(f"starting node {self.node_id}: {' '.join(command)}")
        try:
            # Its own session: Ctrl-C in a terminal reaches only Python, which then stops the
            # cluster in order, and the JVM heads a process group the watchdog can kill.
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                start_new_session=True,
            )
        finally:
            log.close()
        self._process = process
        self._settled = False
        self._paused = False
        _reaper.register(process.pid)
        _live_nodes.add(self)

    def _alive(self) -> subprocess.Popen[bytes] | None:
        """The running JVM, or None; settles the books of one that exited on its own."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            return process
        self._reap(process, 0)
        return None

    def _reap(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        if process is not self._process or self._settled:
            process.wait()
            return
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _reaper.unregister(process.pid)
        if process.returncode >= 0:
            # The JVM exited by itself (also after SIGTERM), so an archive it dumped is whole.
            self._archive.publish()
        self._archive = _cds.ArchivePlan(())
        self._paused = False
        self._settled = True
        _live_nodes.discard(self)

    def _require_running(self, action: str) -> subprocess.Popen[bytes]:
        process = self._alive()
        if process is None:
            raise NodeControlError(f"cannot {action} Kafka node {self.node_id}: it is not running")
        return process

    def _open_log(self, banner: str) -> IO[bytes]:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"==== {stamp} ferrokafka.testing: {banner}\n".encode())
        log.flush()
        return log


def free_ports(count: int) -> list[int]:
    """Ports the kernel reports free on 127.0.0.1 now (all held open together, so distinct)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _escape(value: str) -> str:
    # java.util.Properties treats a backslash as an escape character.
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _broker_logging_options(workdir: Path, distribution: KafkaDistribution) -> list[str]:
    return logging_options(workdir, distribution, level="INFO", stream="stdout", name="broker")


def logging_options(
    workdir: Path, distribution: KafkaDistribution, *, level: str, stream: str, name: str
) -> list[str]:
    """JVM options that send Kafka's log to stdout or stderr at `level`, per Log4j generation."""
    if distribution.uses_log4j2:
        path = workdir / f"log4j2-{name}.xml"
        target = "SYSTEM_OUT" if stream == "stdout" else "SYSTEM_ERR"
        write_atomically(path, _LOG4J2_TEMPLATE.format(level=level, target=target))
        return [f"-Dlog4j2.configurationFile={path}"]
    path = workdir / f"log4j-{name}.properties"
    target = "System.out" if stream == "stdout" else "System.err"
    write_atomically(path, _LOG4J1_TEMPLATE.format(level=level, target=target))
    return [f"-Dlog4j.configuration={path.as_uri()}"]


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` so a JVM reading it concurrently sees the old or new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


# Kafka's noisiest loggers (every request, every partition state change) are kept at WARN so the
# log stays readable when a failed start quotes its tail.
_LOG4J2_TEMPLATE = """\
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="console" target="{target}">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="{level}"><AppenderRef ref="console"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.log.LogCleaner" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log.LogCleaner" level="WARN"/>
  </Loggers>
</Configuration>
"""

_LOG4J1_TEMPLATE = """\
log4j.rootLogger={level}, console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.Target={target}
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
"""
