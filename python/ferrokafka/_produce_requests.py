"""The sender's Produce requests, from submitting one to a broker's connection to its answer:
the version each connection speaks, the request's bytes (encoded by the accumulator at once, so
requests reach a broker in drain order), the response decoded and handed to the batch
settling, the request timeouts, and whether a response gives the sender's loop work.

`Sender` is the one class that uses it; what a response means for each batch is
`_batch_settling`'s, the batches' state the registry's (`InFlight`).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from ferrokafka._batch_settling import BatchSettling
from ferrokafka._native import ProduceResult
from ferrokafka._requests import ApiKey, Request, produce_decoder
from ferrokafka.errors import KafkaConnectionError, KafkaError, ProtocolError

if TYPE_CHECKING:
    from ferrokafka._connection import BrokerConnection
    from ferrokafka._metrics import ProducerMetrics

# Produce v13 addresses topics by id; the codec speaks v3..v12, where topics have names.
PRODUCE_MAX_VERSION = 12
# From Produce v6 on, a broker over a quota answers at once and mutes the connection for the
# throttle time, expecting the client to hold back too (KIP-219); before, it delayed the answer.
THROTTLED_BY_CLIENT_VERSION = 6
# How often in-flight deadlines are checked when nothing else wakes the sender.
IDLE_TICK_MS = 1000


class ProduceRequests(BatchSettling):
    # The sender's own state (Sender.__init__ describes each).
    _metrics: ProducerMetrics
    _acks: int
    _request_timeout_ms: int
    _in_flight: dict[int, int]
    _requests_due: float
    _closing: bool

    def _submit(self, conn: BrokerConnection, node: int, batch_ids: list[int]) -> None:
        """Hands one Produce request to ``conn``; its batches settle in `_on_response`."""
        # Counted before submitting: with acks=0 the answer (written) may come at once.
        for batch_id in batch_ids:
            self._inflight.sent(batch_id)
        self._in_flight[node] = self._in_flight.get(node, 0) + 1
        try:
            txn = self.transactions
            ours_max = PRODUCE_MAX_VERSION if txn is None else txn.produce_max_version
            version = conn.api_version(ApiKey.PRODUCE, ours_max=ours_max)
            request = self._produce_request(version, batch_ids)
            started = self._now()
            self._requests_due = min(self._requests_due, time.monotonic() + conn.request_timeout)

            def on_done(frame: bytes | None, error: KafkaConnectionError | None) -> None:
                self._on_response(conn, node, batch_ids, request, started, frame, error)

            conn.submit(request, on_done, expect_response=self._acks != 0)
        except KafkaConnectionError as exc:
            self._in_flight[node] -= 1
            self._settle_connection_error(batch_ids, exc)
        except Exception as exc:
            self._in_flight[node] -= 1
            self._fail_request(node, batch_ids, exc)

    def _on_response(
        self,
        conn: BrokerConnection,
        node: int,
        batch_ids: list[int],
        request: Request[ProduceResult],
        started: int,
        frame: bytes | None,
        error: KafkaConnectionError | None,
    ) -> None:
        """The connection's answer to one Produce request (or that it was written, with
        acks=0, or the error that ended the connection)."""
        self._in_flight[node] -= 1
        try:
            if error is not None:
                self._settle_connection_error(batch_ids, error)
                return
            assert frame is not None
            latency_ms = self._now() - started
            if self._acks == 0:
                for batch_id in batch_ids:
                    self._complete(batch_id, -1, -1)
                self._metrics.request_completed(node, latency_ms)
                return
            try:
                result = request.decode(frame)
            except ProtocolError as exc:
                self._settle_connection_error(batch_ids, conn.fail_invalid_response(str(exc)))
                return
            if request.version >= THROTTLED_BY_CLIENT_VERSION:
                conn.throttle(result.throttle_time_ms)
            self._settle_response(batch_ids, result)
            # The records' futures first, the bookkeeping after.
            self._metrics.request_completed(node, latency_ms, result.throttle_time_ms)
        except Exception as exc:
            self._fail_request(node, batch_ids, exc)
        finally:
            if self._needs_round_after_response():
                self._wakeup.set()

    def _needs_round_after_response(self) -> bool:
        """Whether a request's end gives the loop something to do: batches waiting (for this
        window slot, or a retry), a metadata refresh, a close, an epoch bump or a transaction
        waiting for requests to end. At linger 0 the queue is usually empty by then, and a
        round would only work out its wait again: one less turn of the event loop per
        request."""
        ids = self._producer_ids
        return (
            self._closing
            or self._metadata_wanted
            or self.transactions is not None
            or (ids is not None and not ids.ready)
            or self._acc.has_undrained()
        )

    def _fail_request(self, node: int, batch_ids: list[int], exc: Exception) -> None:
        # A bug must not take the sender down with it (every other record would hang): the
        # batches of this request fail, the sender goes on.
        self._log.error("sending to broker %d failed", node, exc_info=exc)
        for batch_id in batch_ids:
            pending = self._inflight.get(batch_id)
            if pending is not None:
                self._fail(batch_id, pending, KafkaError(f"internal error: {exc!r}"))

    def _expire_requests(self) -> int:
        """Closes connections with a Produce request past request_timeout_ms (its batches
        retry as "maybe written"); returns the ms until the next such deadline.

        The connections are only looked at once the earliest deadline seen is due: a request
        submitted since has a later one (`_submit` lowers it otherwise), and one answered since
        only makes the look come early."""
        clock = time.monotonic()
        due = self._requests_due
        if due == math.inf:
            return IDLE_TICK_MS
        if clock < due:
            return min(IDLE_TICK_MS, int((due - clock) * 1000) + 1)
        wait = IDLE_TICK_MS
        earliest = math.inf
        for node, count in self._in_flight.items():
            if not count:
                continue
            conn = self._pool.ready_connection(node)
            deadline = conn.expire_requests(clock) if conn is not None else None
            if deadline is not None:
                earliest = min(earliest, deadline)
                wait = min(wait, max(int((deadline - clock) * 1000) + 1, 1))
        self._requests_due = earliest
        return wait

    def _produce_request(self, version: int, batch_ids: list[int]) -> Request[ProduceResult]:
        acc, acks, timeout_ms = self._acc, self._acks, self._request_timeout_ms
        transactional_id = self._config.transactional_id

        def encode(correlation_id: int, client_id: str | None) -> bytes:
            return acc.produce_request(
                batch_ids, correlation_id, client_id, version, acks, timeout_ms, transactional_id
            )

        return Request(ApiKey.PRODUCE, version, encode, produce_decoder(version))
