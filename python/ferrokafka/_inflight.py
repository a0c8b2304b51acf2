"""The registry of in-flight work: every batch from its first record to its end, by id.

One object owns, and alone changes, the three views of that work:

- ``_batches``: batch id → `PendingBatch`, for every batch the accumulator holds (open, queued,
  in flight, or backing off before a retry). Ids are never reused, so a stale id finds nothing.
- ``_deadlines``: a heap of ``(delivery deadline, batch id)``, the order in which batches must
  end. Entries of batches that ended stay until they reach the top (lazy deletion): removing
  from the middle of a heap costs more than skipping a dead entry once.
- ``_order``: per partition, the batches that went out at least once and have not ended, in
  sequence order (drain order, which is sequence order). A retried batch keeps its place, and
  the pieces of a split batch take their parent's place, because the broker's view of the
  partition does not change when a batch comes back for another try: whether an
  OUT_OF_ORDER_SEQUENCE_NUMBER is a predecessor's echo or a real gap depends on what is
  before the batch in this order (Java: `TopicPartitionEntry.inflightBatchesBySequence`).

Each batch also says whether it may be in the log (``maybe_written``): from its first send
until the broker refuses it by sequence (OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID:
the broker's sequence stops before it, so no attempt wrote it). An epoch bump renumbers every
unacknowledged batch, so it must wait until no partition starts with a batch that may be
written (`unresolved`): such a batch is sent again under the old epoch first, where the broker
can still tell a duplicate, as Java's producer resolves "unresolved sequences" before bumping.

The producer adds batches (`add`), the sender moves them (`sent`, `retry`, `split`), records
what the broker said of them (`refused_by_sequence`) and ends them (`settle`); it reads
``maybe_written`` from here to word a delivery timeout. The native send path looks batches up
(`get` through the producer's ``batch_for``). What is true between calls is written in
docs/DESIGN.md ("Invariants").
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ferrokafka._logging import UNNAMED, ClientLog
from ferrokafka._pending import RUNNING_LOOP, PendingBatch

if TYPE_CHECKING:
    import asyncio

    from ferrokafka._native import BatchRun

Partition = tuple[str, int]


class InFlight:
    __slots__ = ("_batches", "_deadlines", "_delivery_timeout_ms", "_order", "log")

    def __init__(self, delivery_timeout_ms: int, log: ClientLog = UNNAMED) -> None:
        # Given to every batch (delivery callbacks that raise are logged with the client id).
        self.log = log
        self._delivery_timeout_ms = delivery_timeout_ms
        self._batches: dict[int, PendingBatch] = {}
        self._deadlines: list[tuple[int, int]] = []
        self._order: dict[Partition, list[int]] = {}

    # --- lookups -------------------------------------------------------------------------

    def get(self, batch_id: int) -> PendingBatch | None:
        return self._batches.get(batch_id)

    def __len__(self) -> int:
        return len(self._batches)

    def __iter__(self) -> Iterator[PendingBatch]:
        """The live batches, oldest first (a snapshot: the caller may end batches meanwhile)."""
        return iter(list(self._batches.values()))

    def next_deadline(self) -> int | None:
        """The earliest delivery deadline of a live batch, or None without batches."""
        heap = self._deadlines
        while heap and heap[0][1] not in self._batches:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def expired(self, now_ms: int) -> list[tuple[int, PendingBatch]]:
        """Every live batch whose delivery deadline has passed, earliest first. They stay
        registered: the caller ends each (`settle`), which is what makes them leave."""
        heap = self._deadlines
        due = []
        while heap and heap[0][0] <= now_ms:
            _, batch_id = heapq.heappop(heap)
            pending = self._batches.get(batch_id)
            if pending is not None:
                due.append((batch_id, pending))
        return due

    def first_unsettled(self, topic: str, partition: int) -> int | None:
        """The id of the partition's oldest batch that went out and has not ended."""
        order = self._order.get((topic, partition))
        return order[0] if order else None

    def unsettled(self, topic: str, partition: int) -> list[int]:
        """The partition's batches that went out and have not ended, in sequence order."""
        return list(self._order.get((topic, partition), ()))

    def unresolved(self) -> dict[Partition, bool]:
        """The partitions whose oldest unsettled batch may be in the log, each with whether
        that batch is in flight right now. Empty when an epoch bump may renumber everything."""
        batches = self._batches
        found = {}
        for key, order in self._order.items():
            first = batches[order[0]]
            if first.maybe_written:
                found[key] = first.in_flight
        return found

    # --- changes -------------------------------------------------------------------------

    def add(
        self,
        batch_id: int,
        topic: str,
        partition: int,
        now_ms: int,
        loop: asyncio.AbstractEventLoop | object | None = RUNNING_LOOP,
    ) -> PendingBatch:
        """Registers a batch the accumulator just opened (on ``loop``, the running one: given
        by a caller that has it); every record of it ends by ``now_ms + delivery_timeout_ms``."""
        deadline = now_ms + self._delivery_timeout_ms
        pending = PendingBatch(topic, partition, deadline, self.log, loop)
        self._batches[batch_id] = pending
        heapq.heappush(self._deadlines, (deadline, batch_id))
        return pending

    def sent(self, batch_id: int) -> PendingBatch | None:
        """The batch is in a request on its way to the broker. A first send puts it at the end
        of its partition's order (it was drained after everything there); a retry or a split
        piece already has its place."""
        pending = self._batches.get(batch_id)
        if pending is None:
            return None
        pending.in_flight = True
        pending.maybe_written = True
        if not pending.placed:
            pending.placed = True
            self._order.setdefault((pending.topic, pending.partition), []).append(batch_id)
        return pending

    def refused_by_sequence(self, batch_id: int) -> None:
        """The broker answered that the batch's sequence does not follow what the partition
        holds (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID): no attempt wrote it, whether
        it is tried again or fails now. The one place a batch stops being "maybe written"."""
        pending = self._batches[batch_id]
        pending.maybe_written = False

    def retry(self, batch_id: int) -> int:
        """The batch's request failed and it goes back for another try, keeping its place in
        the partition's order. Returns the attempts so far, this one included: the one count
        of retries."""
        pending = self._batches[batch_id]
        pending.in_flight = False
        pending.attempts += 1
        return pending.attempts

    def split(self, batch_id: int, runs: Sequence[BatchRun]) -> PendingBatch:
        """The accumulator split the batch into ``runs`` (in sequence order: each new batch and
        the original indexes of its records). The pieces take the parent's place in the partition's
        order and keep its delivery deadline; the parent leaves the registry, and resolves
        when every piece has. Returns the parent."""
        parent = self._batches.pop(batch_id)
        parent.in_flight = False
        parts = []
        piece_ids = []
        for run in runs:
            piece_id = run.batch_id
            piece = PendingBatch(parent.topic, parent.partition, parent.deadline_ms, parent.log)
            piece.parent = parent
            piece.last_error = parent.last_error
            piece.placed = parent.placed
            # The broker refused the parent whole on its last try (MESSAGE_TOO_LARGE).
            piece.maybe_written = False
            self._batches[piece_id] = piece
            heapq.heappush(self._deadlines, (piece.deadline_ms, piece_id))
            parts.append((run.first_index, run.count, piece))
            piece_ids.append(piece_id)
        parent.hand_over(parts)
        order = self._order.get((parent.topic, parent.partition))
        if parent.placed and order is not None and batch_id in order:
            at = order.index(batch_id)
            order[at : at + 1] = piece_ids
        return parent

    def settle(self, batch_id: int) -> PendingBatch | None:
        """The batch ended (acknowledged, failed or expired): it leaves every view. Returns it,
        or None if it had ended already (a late answer to a batch that expired meanwhile)."""
        pending = self._batches.pop(batch_id, None)
        if pending is None:
            return None
        pending.in_flight = False
        if pending.placed:
            key = (pending.topic, pending.partition)
            order = self._order.get(key)
            if order is not None:
                if order and order[0] == batch_id:
                    del order[0]
                else:
                    order.remove(batch_id)
                if not order:
                    del self._order[key]
        return pending

    def take_all(self) -> list[PendingBatch]:
        """Empties the registry (a forced close); returns every live batch."""
        batches = list(self._batches.values())
        self._batches.clear()
        self._deadlines.clear()
        self._order.clear()
        for pending in batches:
            pending.in_flight = False
        return batches
