"""A cluster this process did not start, reached by its bootstrap servers."""

from __future__ import annotations

import os
import time

from ferrokafka.testing._client import BaseCluster
from ferrokafka.testing._distribution import distribution
from ferrokafka.testing._errors import KafkaHarnessError, NodeControlError
from ferrokafka.testing._node import KafkaNode

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"


class ExternalCluster(BaseCluster):
    """An existing cluster (e.g. `KAFKA_BOOTSTRAP_SERVERS=broker:9092`), with the same topic and
    reading helpers as `KafkaCluster`; its nodes cannot be stopped, killed or paused from here.

    `version` picks the jars used for the console tools (default: the pinned release); they talk
    to any broker version the Java clients support.
    """

    def __init__(self, bootstrap_servers: str | None = None, *, version: str | None = None) -> None:
        super().__init__(distribution(version))
        servers = bootstrap_servers or os.environ.get(BOOTSTRAP_ENV, "")
        if not servers.strip():
            raise KafkaHarnessError(
                f"no bootstrap servers: pass them or set {BOOTSTRAP_ENV}=host:port[,host:port]"
            )
        self._bootstrap_servers = servers.strip()

    def __repr__(self) -> str:
        return f"<ExternalCluster {self._bootstrap_servers!r}>"

    @property
    def bootstrap_servers(self) -> str:
        return self._bootstrap_servers

    @property
    def nodes(self) -> list[KafkaNode]:
        raise NodeControlError(
            f"the cluster at {self._bootstrap_servers} was not started by this process "
            f"(it came from {BOOTSTRAP_ENV}): its nodes cannot be stopped, killed, restarted or "
            "paused; unset the variable to let the tests start their own cluster"
        )

    def start(self, timeout: float = 30.0) -> None:
        """Wait until the cluster answers and reports at least one broker."""
        self.wait_for_brokers_at_least(1, timeout=timeout)

    def stop(self) -> None:
        """Release the clients; the cluster itself keeps running."""
        self.close_clients()

    def wait_for_brokers_at_least(self, count: int, *, timeout: float = 30.0) -> set[int]:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            try:
                brokers = self.broker_ids(timeout=max(0.5, min(5.0, deadline - time.monotonic())))
            except Exception as exc:  # librdkafka's KafkaException: not reachable (yet)
                last_error = exc
            else:
                if len(brokers) >= count:
                    return brokers
                last_error = None
            if time.monotonic() >= deadline:
                detail = f": {last_error}" if last_error else ""
                raise KafkaHarnessError(
                    f"the cluster at {self._bootstrap_servers} did not report {count} broker(s) "
                    f"within {timeout:g} s{detail}"
                )
            time.sleep(0.2)
