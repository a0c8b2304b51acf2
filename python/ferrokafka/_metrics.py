"""The producer's metrics under the Java client's names.

Record and batch counts are kept by the Rust accumulator (where records pass anyway); request
latency and buffer waits are kept here, where the clock and the sockets are. Rates are per second
since the producer started; totals are given beside them so a scraper can derive its own rates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrokafka._runtime import now_ms

if TYPE_CHECKING:
    from ferrokafka import _native
    from ferrokafka._producer_id import ProducerIdManager
    from ferrokafka._sasl.authenticator import AuthenticationCounts


class ProducerMetrics:
    def __init__(self) -> None:
        self.started_ms = now_ms()
        self._requests = 0
        self._request_latency_total_ms = 0
        self._request_latency_max_ms = 0
        self._buffer_wait_total_ns = 0
        # Over every Produce response (zeros included, as Java's sensor records them).
        self._produce_responses = 0
        self._throttle_total_ms = 0
        self._throttle_max_ms = 0
        self.transactions_started = 0
        self.transactions_aborted = 0
        # Kept by the SASL authenticator, when there is one.
        self.authentications: AuthenticationCounts | None = None

    def request_completed(self, latency_ms: int) -> None:
        self._requests += 1
        self._request_latency_total_ms += latency_ms
        self._request_latency_max_ms = max(self._request_latency_max_ms, latency_ms)

    def produce_throttled(self, throttle_time_ms: int) -> None:
        """A Produce response's ``throttle_time_ms`` (0 when the broker did not throttle)."""
        self._produce_responses += 1
        self._throttle_total_ms += throttle_time_ms
        self._throttle_max_ms = max(self._throttle_max_ms, throttle_time_ms)

    def buffer_waited(self, ns: int) -> None:
        self._buffer_wait_total_ns += ns

    def snapshot(
        self, accumulator: _native.Accumulator, ids: ProducerIdManager | None
    ) -> dict[str, float]:
        counts = accumulator.metrics()
        seconds = max((now_ms() - self.started_ms) / 1000, 1e-3)
        appended = counts["records_appended"]
        sealed = counts["batches_sealed"]
        return {
            "record-send-total": counts["records_completed"],
            "record-send-rate": counts["records_completed"] / seconds,
            "record-error-total": counts["records_failed"],
            "record-error-rate": counts["records_failed"] / seconds,
            "record-retry-total": counts["records_retried"],
            "record-retry-rate": counts["records_retried"] / seconds,
            "record-size-avg": counts["record_bytes_appended"] / appended if appended else 0.0,
            "batch-size-avg": counts["compressed_bytes"] / sealed if sealed else 0.0,
            "batch-split-total": counts["batches_split"],
            "compression-rate-avg": (
                counts["compressed_bytes"] / counts["uncompressed_bytes"]
                if counts["uncompressed_bytes"]
                else 1.0
            ),
            "request-total": self._requests,
            "request-latency-avg": (
                self._request_latency_total_ms / self._requests if self._requests else 0.0
            ),
            "request-latency-max": self._request_latency_max_ms,
            "produce-throttle-time-avg": (
                self._throttle_total_ms / self._produce_responses
                if self._produce_responses
                else 0.0
            ),
            "produce-throttle-time-max": self._throttle_max_ms,
            "bufferpool-wait-time-total": self._buffer_wait_total_ns / 1e9,
            "buffer-exhausted-total": counts["buffer_exhausted"],
            "buffer-exhausted-rate": counts["buffer_exhausted"] / seconds,
            "buffer-available-bytes": accumulator.available_memory(),
            "buffer-total-bytes": accumulator.buffer_memory(),
            "producer-id": ids.producer_id if ids is not None else -1,
            "producer-epoch": ids.epoch if ids is not None else -1,
            "transaction-start-total": self.transactions_started,
            "transaction-start-rate": self.transactions_started / seconds,
            "transaction-abort-total": self.transactions_aborted,
            "transaction-abort-rate": self.transactions_aborted / seconds,
            **self._authentication_metrics(),
        }

    def _authentication_metrics(self) -> dict[str, float]:
        counts = self.authentications
        if counts is None:
            return {}
        return {
            "successful-authentication-total": counts.successful,
            "successful-reauthentication-total": counts.successful_reauthentication,
            "failed-authentication-total": counts.failed,
            "failed-reauthentication-total": counts.failed_reauthentication,
        }
