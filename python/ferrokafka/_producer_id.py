"""The idempotent producer's identity: producer id and epoch, from InitProducerId.

Without a producer id the accumulator drains nothing, so the first batch waits for it. When the
sender cannot trust the partition sequences any more (a batch that may have been written
failed, or the broker reported an unexpected sequence), it asks for a bump: an idempotent
producer raises its epoch by itself and restarts every sequence at 0 (KIP-360; the broker
accepts a higher epoch from sequence 0), and fetches a new producer id only when the epoch
would overflow, or when the broker answers UNKNOWN_PRODUCER_ID to an epoch bumped for that very
error: a broker that lost every producer's state (tansu restarted with in-memory storage) knows
no epoch of the old producer id, while Kafka accepts a higher epoch at sequence 0.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ferrokafka._error_codes import ErrorCode
from ferrokafka._logging import UNNAMED, ClientLog
from ferrokafka._requests import ApiKey, init_producer_id_request
from ferrokafka.errors import KafkaError, error_for_code

if TYPE_CHECKING:
    from ferrokafka import _native
    from ferrokafka._broker_pool import BrokerPool

MAX_EPOCH = 32767


class ProducerIdManager:
    def __init__(self, transaction_timeout_ms: int, log: ClientLog = UNNAMED) -> None:
        # ferrokafka.transactions with the client id: ids, epochs, and (transactional) more.
        self.log = log
        self.producer_id = -1
        self.epoch = -1
        self._transaction_timeout_ms = transaction_timeout_ms
        self._bump_requested = False
        self._bump_for_unknown_id = False
        # The epoch this producer gave itself after an UNKNOWN_PRODUCER_ID (-1: none).
        self._unknown_id_bumped_epoch = -1
        self.last_error: KafkaError | None = None

    @property
    def ready(self) -> bool:
        return self.producer_id >= 0 and not self._bump_requested

    def request_bump(self, *, unknown_producer_id: bool = False) -> None:
        # Several batches may ask for the same bump (a refusal, then that batch's failure):
        # an UNKNOWN_PRODUCER_ID among them is not forgotten by a later plain request.
        pending_unknown = self._bump_requested and self._bump_for_unknown_id
        self._bump_for_unknown_id = unknown_producer_id or pending_unknown
        self._bump_requested = True

    @property
    def _needs_new_id(self) -> bool:
        # Nothing of an older epoch is in flight once an epoch is bumped: this answer is about
        # the bumped epoch itself.
        return self._bump_for_unknown_id and self.epoch == self._unknown_id_bumped_epoch

    async def ensure(self, accumulator: _native.Accumulator, pool: BrokerPool) -> None:
        """Gets a producer id, or bumps the epoch, if needed. Errors are kept in
        ``last_error`` (the sender tries again after a backoff), never raised."""
        if self.ready:
            return
        if self._bump_requested and not self._needs_new_id and 0 <= self.epoch < MAX_EPOCH:
            self._install(accumulator, self.producer_id, self.epoch + 1)
            self._unknown_id_bumped_epoch = self.epoch if self._bump_for_unknown_id else -1
            return
        try:
            producer_id, epoch = await self._init(pool)
        except KafkaError as exc:
            self.last_error = exc
            self.log.repeated("init", logging.INFO, "InitProducerId failed: %s", exc)
            return
        self._install(accumulator, producer_id, epoch)
        self._unknown_id_bumped_epoch = -1

    def _install(self, accumulator: _native.Accumulator, producer_id: int, epoch: int) -> None:
        renumber = self.producer_id >= 0
        self.producer_id, self.epoch = producer_id, epoch
        accumulator.set_producer_id(producer_id, epoch)
        if renumber:
            accumulator.reset_sequences()
        self._bump_requested = False
        self.last_error = None
        self.log.info("producer id %d, epoch %d", producer_id, epoch)

    async def _init(self, pool: BrokerPool) -> tuple[int, int]:
        conn = await pool.any_connection()
        version = conn.api_version(ApiKey.INIT_PRODUCER_ID)
        result = await conn.request(
            init_producer_id_request(version, None, self._transaction_timeout_ms)
        )
        if result.error_code != ErrorCode.NONE:
            raise error_for_code(result.error_code)
        return result.producer_id, result.producer_epoch
