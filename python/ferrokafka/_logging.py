"""The ``ferrokafka`` logger tree, the client id on every record, and repeats held back.

Every logger of the package is a child of ``ferrokafka``, one per kind of event, so an
application turns up or silences one kind at a time::

    ferrokafka
    ├─ ferrokafka.producer       a producer's life: started, closed, records left at close,
    │  │                         delivery callbacks that raised
    │  └─ .interceptors          interceptors that raised (never failing the send)
    ├─ ferrokafka.sender         batches: retries, failures, epoch bumps after sequence errors
    ├─ ferrokafka.connection     connections: refused, lost, re-established, TLS
    ├─ ferrokafka.metadata       cluster metadata: refreshes, topics without metadata, brokers
    │                            that make no progress (partitioner availability)
    ├─ ferrokafka.sasl           authentication and OAuth token refreshes
    ├─ ferrokafka.transactions   producer ids, transaction outcomes, coordinator retries
    ├─ ferrokafka.config         options the configuration rules adjusted
    └─ ferrokafka.sync           the synchronous producer's background thread

A producer logs through `ClientLog`, which puts its ``client_id`` on every record twice: as the
attribute ``record.client_id`` (``extra``: what a filter, structlog's ``ExtraAdder`` or a JSON
formatter reads) and as the message's prefix ``[Producer clientId=...]``, the Java client's, so
plain-text logs of Java and Python services read alike.

Messages that a broker outage repeats for as long as it lasts (a reconnect, a retry, a topic
without metadata) go through `ClientLog.repeated`: at most one per `REPEAT_INTERVAL_S` seconds
for each broker, partition or topic, and the next one that passes says how many were held back.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

ROOT = "ferrokafka"
PRODUCER = "ferrokafka.producer"
SENDER = "ferrokafka.sender"
CONNECTION = "ferrokafka.connection"
METADATA = "ferrokafka.metadata"
SASL = "ferrokafka.sasl"
TRANSACTIONS = "ferrokafka.transactions"
CONFIG = "ferrokafka.config"
SYNC = "ferrokafka.sync"
INTERCEPTORS = "ferrokafka.producer.interceptors"

#: The least time between two messages of one kind about one broker, partition or topic.
#: A broker that stays away for a minute gives a handful of lines, not one per reconnect.
REPEAT_INTERVAL_S = 10.0

# Read through this name, so that tests can move time.
_clock = time.monotonic

#: The name of the record attribute that carries the producer's client id.
CLIENT_ID_ATTRIBUTE = "client_id"

if TYPE_CHECKING:
    _Adapter = logging.LoggerAdapter[logging.Logger]
else:
    _Adapter = logging.LoggerAdapter


class ClientLog(_Adapter):
    """One logger of the tree as seen by one client: every record carries its client id."""

    def __init__(self, name: str, client_id: str | None) -> None:
        super().__init__(logging.getLogger(name), {CLIENT_ID_ATTRIBUTE: client_id})
        self.client_id = client_id
        # In front of the format string: escaped when there are arguments to format with.
        prefix = f"[Producer clientId={'-' if client_id is None else client_id}] "
        self._prefix = prefix
        self._escaped_prefix = prefix.replace("%", "%%")
        # key -> (monotonic time before which the key stays quiet, messages held back since).
        self._quiet: dict[Hashable, tuple[float, int]] = {}

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        kwargs["extra"] = {**(kwargs.get("extra") or {}), CLIENT_ID_ATTRIBUTE: self.client_id}
        # The record names the call site, not this method.
        kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 1
        prefix = self._escaped_prefix if args else self._prefix
        self.logger.log(level, prefix + str(msg), *args, **kwargs)

    def repeated(self, key: Hashable, level: int, msg: str, *args: object) -> None:
        """Logs ``msg`` unless a message of the same ``key`` (say ``("reconnect", node)``) was
        logged less than `REPEAT_INTERVAL_S` ago; held-back messages are counted, and the count
        is appended to the next one that is logged."""
        if not self.isEnabledFor(level):
            return
        now = _clock()
        quiet_until, held = self._quiet.get(key, (0.0, 0))
        if now < quiet_until:
            self._quiet[key] = (quiet_until, held + 1)
            return
        self._quiet[key] = (now + REPEAT_INTERVAL_S, 0)
        if held:
            msg = f"{msg} ({held} similar message{'s' if held > 1 else ''} suppressed)"
        self.log(level, msg, *args, stacklevel=2)

    def settled(self, key: Hashable) -> int:
        """Forgets ``key`` (what it reported is over) and returns how many of its messages
        were held back since the last one logged."""
        return self._quiet.pop(key, (0.0, 0))[1]


# One ClientLog per (logger, client id) while something holds it: the parts of one producer
# share the state of `repeated` (the broker pool's and each connection's, say).
_client_logs: weakref.WeakValueDictionary[tuple[str, str | None], ClientLog] = (
    weakref.WeakValueDictionary()
)


def client_log(name: str, client_id: str | None) -> ClientLog:
    """The `ClientLog` of logger ``name`` for ``client_id``. A part that uses `repeated`
    keeps what this returns, so that what was held back is remembered."""
    key = (name, client_id)
    found = _client_logs.get(key)
    if found is None:
        found = _client_logs[key] = ClientLog(name, client_id)
    return found


#: For parts built without a producer (unit tests of the registry, say).
UNNAMED = ClientLog(PRODUCER, None)
