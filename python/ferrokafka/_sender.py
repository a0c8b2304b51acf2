"""The sender: one background task per producer that moves batches from the accumulator to the
brokers and settles them from the responses.

Each round: ask the accumulator which partitions can be sent and when to look again, route them
to their leaders (only brokers with room in their in-flight window), drain, and submit one
Produce request per broker to its connection. Submitting is synchronous and encodes at once, so
requests reach each broker in drain order, which is sequence order. Responses come back as
callbacks from the connection's reader: no task, lock or cancel scope per request. Between
rounds it sleeps until the next linger deadline, a wake-up (new batch, flush, response), a
request timeout, or a timer.

Settling a batch (`_batch_settling`) follows the Java client's `Sender.completeBatch`:
- success, or DUPLICATE_SEQUENCE_NUMBER with idempotence: complete;
- MESSAGE_TOO_LARGE on a batch of several records: split and send the pieces;
- a retriable error (or a lost connection, or a request timeout, treated as "maybe written"
  so the batch keeps its sequence) while retries and delivery time remain: back to the head of
  its queue after an exponential backoff with jitter; metadata errors also refresh metadata;
- OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID with idempotence: retried when an earlier
  batch of the partition is unsettled (it failed because its predecessor did), else the producer
  epoch is bumped (KIP-360) and the partition's batches are renumbered;
- anything else, or no time left: fail every record of the batch with the broker's error.

An `AuthenticationError` while connecting (TLS refused, wrong SASL credentials, a mechanism the
broker does not enable, no OAuth token) is not retried until the delivery timeout: the records
waiting to be sent fail with it at once (`_authentication_failed`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import anyio.lowlevel

from ferrokafka import _native
from ferrokafka._availability import PartitionAvailability
from ferrokafka._logging import SENDER, client_log
from ferrokafka._produce_requests import IDLE_TICK_MS, ProduceRequests
from ferrokafka._runtime import Signal, now_ms, running_loop, turn_giver
from ferrokafka.errors import (
    AuthenticationError,
    KafkaConnectionError,
    KafkaError,
    ProducerClosedError,
)

if TYPE_CHECKING:
    from ferrokafka._broker_pool import BrokerPool
    from ferrokafka._inflight import InFlight
    from ferrokafka._metrics import ProducerMetrics
    from ferrokafka._producer_id import ProducerIdManager
    from ferrokafka._transactions.manager import TransactionManager
    from ferrokafka.config import ProducerConfig


class Sender(ProduceRequests):
    def __init__(
        self,
        config: ProducerConfig,
        accumulator: _native.Accumulator,
        pool: BrokerPool,
        inflight: InFlight,
        producer_ids: ProducerIdManager | None,
        metrics: ProducerMetrics,
        *,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._config = config
        self._log = client_log(SENDER, config.client_id)
        self._acc = accumulator
        self._pool = pool
        # The batches, their deadlines and each partition's unsettled order: the registry's;
        # the sender moves batches through it and never keeps batch state of its own.
        self._inflight = inflight
        # Monotonic ms (a fake clock in the unit tests).
        self._now = clock
        self._producer_ids = producer_ids
        self._metrics = metrics
        self._acks = config.acks
        self._request_timeout_ms = config.request_timeout_ms
        self._max_in_flight = config.max_in_flight_requests_per_connection
        self._coalesce_small_requests = config.coalesce_small_requests
        self._wakeup = Signal()
        # Requests submitted and not answered, per node: the window the drain respects.
        self._in_flight: dict[int, int] = {}
        # time.monotonic() from which a Produce request may be past its timeout.
        self._requests_due = math.inf
        self._metadata_wanted = False
        self._refreshing = False
        # An InitProducerId (or epoch bump) task is under way.
        self._ensuring = False
        self._closing = False
        self._abort_on_close = False
        # Set on a transactional producer: admits a partition's batches once the partition is
        # in the transaction, caps the Produce version, and hears of failed batches.
        self.transactions: TransactionManager | None = None
        # Called when batches leave the accumulator (senders waiting for buffer space).
        self.on_memory_freed: Callable[[], None] = lambda: None
        # (deadline in monotonic ms, callback): timers of the producer run by this loop.
        self._timers: list[tuple[int, Callable[[], None]]] = []
        # The partitions unkeyed records may go to (partitioner_availability_timeout_ms).
        self.availability = PartitionAvailability(config, accumulator, pool.metadata)

    # --- called by the producer ----------------------------------------------------------

    def wake(self) -> None:
        self._wakeup.set()

    def request_metadata(self) -> None:
        self._metadata_wanted = True
        self._wakeup.set()

    def watch_deadline(self, deadline_ms: int, callback: Callable[[], None]) -> None:
        """Runs ``callback`` from the sender's loop once ``deadline_ms`` has passed."""
        self._timers.append((deadline_ms, callback))
        self._wakeup.set()

    def fail_unsent(self, error: KafkaError) -> None:
        """Fails every batch not yet drained (an aborted transaction's)."""
        self._fail_all(error)

    def requests_in_flight(self) -> int:
        """Produce requests submitted and not yet answered (requests-in-flight)."""
        return sum(self._in_flight.values())

    def begin_close(self, *, abort: bool) -> None:
        """Sends what is left (or, with ``abort``, fails it) and then ends `run`."""
        self._closing = True
        self._abort_on_close = self._abort_on_close or abort
        self._wakeup.set()

    # --- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        async with anyio.create_task_group() as tasks:
            give_turn = turn_giver()
            compressed_fd = self._acc.compression_wake_fd()
            if compressed_fd is not None:
                tasks.start_soon(self._take_compressed, compressed_fd)
            while True:
                if self._abort_on_close:
                    self._fail_all(
                        ProducerClosedError("the producer was closed before the record was sent")
                    )
                if (
                    self._closing
                    and not self._acc.has_undrained()
                    and not any(self._in_flight.values())
                ):
                    break
                try:
                    delay_ms = await self._round(tasks)
                except Exception:
                    self._log.exception("sender round failed")
                    delay_ms = self._config.retry_backoff_ms
                if delay_ms > 0:
                    await self._wakeup.wait(delay_ms / 1000)
                else:
                    # One turn of the loop before draining more: responses and the
                    # producing tasks get to run (and, under trio, the writers).
                    await give_turn()
            tasks.cancel_scope.cancel()

    async def _round(self, tasks: anyio.abc.TaskGroup) -> int:
        """One pass: returns how long to sleep (ms) unless woken."""
        now = self._now()
        self._metrics.collect(self._acc)
        self._expire(now)
        # Every round, also those that drain and return at once: a request that never gets an
        # answer times out even while other brokers keep the sender busy, and while an epoch
        # bump waits for every request out.
        request_wait_ms = self._expire_requests()
        next_timer = self._run_timers(now)
        if now >= self._pool.next_idle_check_ms:
            await self._pool.close_idle_connections()
        if self._pool.metadata_is_stale() or self._metadata_wanted:
            self._start_metadata_refresh(tasks)
        ids = self._producer_ids
        # While an epoch bump waits: the only partitions sent to (see _resolve_before_bump).
        only: set[tuple[str, int]] | None = None
        if ids is not None and not ids.ready:
            only = self._resolve_before_bump(tasks)
            if not only:
                # Batches closed meanwhile still go to the compression workers (their ratio
                # sizes the batches that open next), so they are sealed once the id is there.
                self._acc.take_compressed()
                return min(self._config.retry_backoff_ms, IDLE_TICK_MS, request_wait_ms)

        # With every window full nothing can be sent: asking which partitions are ready, and
        # looking up their leaders (thousands, with many partitions), would be for nothing. A
        # response wakes the sender when a window has room. (The availability timeout counts
        # ready partitions left undrained, so with one the question is still asked.)
        windows_full = self._every_window_full() and not self.availability.timeout_ms
        check = None if windows_full else self._acc.ready(now)
        if windows_full:
            # Batches closed since the last round go to the compression workers now, not when
            # a response opens a window: they compress while the requests are out.
            self._acc.take_compressed()
        ready = check.partitions if check is not None else []
        if only is not None:
            ready = [tp for tp in ready if (tp.topic, tp.partition) in only]
        routing: dict[tuple[str, int], int] = {}
        metadata = self._pool.metadata
        # The earliest end of a broker's throttle (KIP-219) that holds a ready batch back.
        unthrottled_ms: int | None = None
        for tp in ready:
            topic, partition = tp.topic, tp.partition
            leader = metadata.partition(topic, partition)
            if leader is None or leader.leader_id < 0:
                # Still produced to, so its metadata is still wanted (metadata_max_idle_ms).
                self._pool.want_topic(topic)
                self._metadata_wanted = True
                continue
            node = leader.leader_id
            if self._in_flight.get(node, 0) >= self._max_in_flight:
                continue
            txn = self.transactions
            if txn is not None and not txn.admit(topic, partition, tasks):
                continue
            conn = self._pool.ready_connection(node)
            if conn is None:
                if self._pool.can_connect(node):
                    tasks.start_soon(self._connect, node)
                continue
            if conn.throttled_until * 1000 > now:
                until = int(conn.throttled_until * 1000) + 1
                unthrottled_ms = until if unthrottled_ms is None else min(unthrottled_ms, until)
                continue
            routing[(topic, partition)] = node
        if self.availability.timeout_ms and ready:
            self.availability.ready(now, ready)
        if self._metadata_wanted:
            self._start_metadata_refresh(tasks)
        if routing:
            # Brokers with a request out get another only if it is worth one of its own
            # (coalesce_small_requests): a response wakes the sender for the batches held back.
            busy = (
                [node for node, count in self._in_flight.items() if count]
                if self._coalesce_small_requests
                else []
            )
            drained: dict[int, list[int]] = self._acc.drain(
                routing, self._config.max_request_size, now, busy
            )
            for failed in self._acc.take_failed():
                pending = self._inflight.get(failed.batch_id)
                if pending is not None:
                    self._fail(
                        failed.batch_id,
                        pending,
                        KafkaError(f"could not encode the batch: {failed.reason}"),
                    )
            for node, batch_ids in drained.items():
                self.availability.drained(node, now)
                conn = self._pool.ready_connection(node)
                if conn is None:
                    # Closed between the routing and now: the batches retry like any
                    # batch whose connection broke.
                    self._settle_connection_error(
                        batch_ids, KafkaConnectionError("connection lost")
                    )
                    continue
                self._submit(conn, node, batch_ids)
            # Once the requests are on their way: the bookkeeping does not delay them.
            self._metrics.collect(self._acc, requests=len(drained))
            if drained and not self._every_window_full():
                # A drain takes one batch per partition: ask again (unless this request filled
                # the last window: then a response wakes the sender). Most often (linger 0, a
                # request per batch) nothing is left, and the wait is worked out here rather
                # than in a whole round more after a turn of the loop.
                check = self._acc.ready(now)
                ready = check.partitions
                if ready:
                    return 0
        wait = min(IDLE_TICK_MS, max(next_timer - now, 1), request_wait_ms)
        # Wake for the earliest delivery deadline, so records fail on time rather than at the
        # next tick.
        deadline = self._inflight.next_deadline()
        if deadline is not None:
            wait = min(wait, max(deadline - now, 1))
        next_ready_ms = check.next_ready_ms if check is not None else None
        if next_ready_ms is not None:
            wait = min(wait, max(next_ready_ms - now, 1))
        if (ready or (windows_full and self._acc.has_undrained())) and not routing:
            # Waiting for a connection, metadata or window: responses and connects wake us.
            wait = min(wait, max(self._config.retry_backoff_ms // 2, 1))
        if unthrottled_ms is not None:
            wait = min(wait, max(unthrottled_ms - now, 1))
        if self._metadata_wanted and not self._refreshing:
            # A refresh held back by its backoff: look again when it may go out.
            wait = min(wait, max(self._pool.refresh_wait_ms(), 1))
        return wait

    def _every_window_full(self) -> bool:
        brokers = self._pool.metadata.brokers
        in_flight, limit = self._in_flight, self._max_in_flight
        if not brokers or sum(in_flight.values()) < limit * len(brokers):
            # Fewer requests out than the windows hold: one has room (asked every round).
            return False
        return all(in_flight.get(node, 0) >= limit for node in brokers)

    def _resolve_before_bump(self, tasks: anyio.abc.TaskGroup) -> set[tuple[str, int]]:
        """A producer id is wanted, or an epoch bump (KIP-360). The bump renumbers every batch
        not acknowledged from 0 under the new epoch, so a batch that may already be in the log
        under the old one would be written twice: each partition whose oldest unsettled batch
        may be written sends that batch again first, alone and under the old epoch, until the
        broker settles it or refuses it by sequence (then nothing after it was written either).
        Returns those partitions; starts the bump once there are none and no request is out."""
        assert self._producer_ids is not None
        unresolved = self._inflight.unresolved()
        requests_out = any(self._in_flight.values())
        if not unresolved and not requests_out:
            if self._acc.has_undrained() and not self._ensuring:
                self._ensuring = True
                tasks.start_soon(self._ensure_producer_id)
            return set()
        return {key for key, in_flight in unresolved.items() if not in_flight}

    # --- timers --------------------------------------------------------------------------

    def _run_timers(self, now: int) -> int:
        """Runs the due timers; returns when the next one is due."""
        if not self._timers:
            return now + IDLE_TICK_MS
        due = [t for t in self._timers if t[0] <= now]
        if due:
            self._timers = [t for t in self._timers if t[0] > now]
            for _, callback in due:
                callback()
        return min((t[0] for t in self._timers), default=now + IDLE_TICK_MS)

    # --- background work -----------------------------------------------------------------

    async def _take_compressed(self, fd: int) -> None:
        """Batches come back from the compression worker threads (which never take the GIL)
        and their socket becomes readable: they are filed as drainable and the loop is woken.
        The workers wake it only for their last batch out or every few (`ready` takes the rest
        on its own), so a wake-up is per several batches, not per batch."""
        loop = running_loop()
        if loop is not None:
            # One reader for the producer's life: no task switch or reader churn per wake-up.
            loop.add_reader(fd, self._on_compressed)
            try:
                await anyio.sleep_forever()
            finally:
                loop.remove_reader(fd)
        else:
            while True:
                await anyio.wait_readable(fd)
                self._on_compressed()

    def _on_compressed(self) -> None:
        if self._acc.take_compressed():
            self._wakeup.set()

    def _start_metadata_refresh(self, tasks: anyio.abc.TaskGroup) -> None:
        if self._refreshing:
            return
        if self._pool.refresh_wait_ms() > 0:
            # The last refresh failed or found a topic missing: the next waits its backoff.
            self._metadata_wanted = True
            return
        self._refreshing = True
        self._metadata_wanted = False
        tasks.start_soon(self._refresh_metadata)

    async def _refresh_metadata(self) -> None:
        try:
            await self._pool.refresh_metadata()
        except AuthenticationError as exc:
            self._authentication_failed(exc)
        except KafkaError:
            # The pool logged it, and holds the next refresh back (retry_backoff_ms, growing).
            self._metadata_wanted = True
        finally:
            self._refreshing = False
            self._wakeup.set()

    async def _ensure_producer_id(self) -> None:
        """InitProducerId or an epoch bump, beside the loop: its connects and its request may
        take up to their timeouts, while the loop goes on expiring batches and running timers."""
        ids = self._producer_ids
        assert ids is not None
        try:
            await ids.ensure(self._acc, self._pool)
            if isinstance(ids.last_error, AuthenticationError):
                self._authentication_failed(ids.last_error)
            if not ids.ready:
                await anyio.sleep(self._config.retry_backoff_ms / 1000)
        finally:
            self._ensuring = False
            self._wakeup.set()

    async def _connect(self, node: int) -> None:
        try:
            await self._pool.connection(node)
        except AuthenticationError as exc:
            self._authentication_failed(exc)
        except KafkaConnectionError as exc:
            self._metadata_wanted = True
            # The batches waiting for this broker report why if their delivery times out.
            error = KafkaConnectionError(str(exc))
            error.__cause__ = exc
            metadata = self._pool.metadata
            for pending in self._inflight:
                leader = metadata.partition(pending.topic, pending.partition)
                if leader is not None and leader.leader_id == node and not pending.in_flight:
                    pending.last_error = error
        finally:
            self._wakeup.set()
