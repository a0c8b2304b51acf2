"""The producer id and epoch of a transactional producer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ferrokafka._logging import UNNAMED, ClientLog
from ferrokafka._producer_id import ProducerIdManager

if TYPE_CHECKING:
    from ferrokafka import _native
    from ferrokafka._broker_pool import BrokerPool


class TransactionalProducerIds(ProducerIdManager):
    """The producer id of a transactional producer: obtained by the transaction manager from
    the transaction coordinator, never by the sender. A bump the sender asks for (a sequence
    error, a batch that may have been written failing) cannot be made locally inside a
    transaction: the transaction becomes abortable, and the epoch is bumped at the
    coordinator (InitProducerId with the current id and epoch, KIP-360) when it is aborted."""

    def __init__(self, transaction_timeout_ms: int, log: ClientLog = UNNAMED) -> None:
        super().__init__(transaction_timeout_ms, log)
        self.on_bump_requested: Callable[[], None] = lambda: None

    def request_bump(self, *, unknown_producer_id: bool = False) -> None:
        super().request_bump(unknown_producer_id=unknown_producer_id)
        self.on_bump_requested()

    @property
    def bump_requested(self) -> bool:
        return self.producer_id >= 0 and not self.ready

    async def ensure(self, accumulator: _native.Accumulator, pool: BrokerPool) -> None:
        # The transaction manager installs ids (start, abort); the sender only waits.
        return

    def install(self, accumulator: _native.Accumulator, producer_id: int, epoch: int) -> None:
        self._install(accumulator, producer_id, epoch)
