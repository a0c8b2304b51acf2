"""The transaction manager's calls to its coordinators: finding the transaction coordinator
(FindCoordinator, key type 1) or a group's (key type 0), and sending a request to it, retrying
what Kafka says may succeed later until ``max_block_ms`` (as the Java client bounds its
transactional calls). NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE (and a lost connection)
look the coordinator up again; COORDINATOR_LOAD_IN_PROGRESS and CONCURRENT_TRANSACTIONS only
wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import anyio

from ferrokafka._backoff import ExponentialBackoff
from ferrokafka._error_codes import ErrorCode
from ferrokafka._logging import ClientLog
from ferrokafka._requests import (
    COORDINATOR_GROUP,
    COORDINATOR_TRANSACTION,
    ApiKey,
    Request,
    find_coordinator_request,
)
from ferrokafka.errors import KafkaError, KafkaTimeoutError, error_for_code

if TYPE_CHECKING:
    from ferrokafka._broker_pool import BrokerPool
    from ferrokafka._connection import BrokerConnection

T = TypeVar("T")

# The coordinator moved, or is not known: look it up again.
_MOVED_CODES = frozenset({ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE})


class CoordinatorCalls:
    # The manager's own state (TransactionManager.__init__ describes each).
    transactional_id: str
    _max_block_ms: int
    _pool: BrokerPool
    _log: ClientLog
    _backoff: ExponentialBackoff
    _coordinators: dict[tuple[int, str], int]

    async def _call(
        self,
        api: ApiKey,
        request_for: Callable[[int], Request[T]],
        error_of: Callable[[T], int],
        *,
        group: str | None = None,
        max_version: int | None = None,
    ) -> T:
        """Sends a request to the transaction coordinator (or ``group``'s coordinator), retrying
        what Kafka says may succeed later, until ``max_block_ms``. Returns the last answer."""
        deadline = time.monotonic() + self._max_block_ms / 1000
        key = (COORDINATOR_GROUP, group) if group is not None else self._transaction_key
        attempts = 0
        while True:
            why: object
            try:
                conn = await self._coordinator(key)
                version = conn.api_version(api, ours_max=max_version)
                result = await conn.request(request_for(version))
            except KafkaError as exc:
                if not exc.retriable:
                    raise
                self._coordinators.pop(key, None)
                why = exc
            else:
                code = error_of(result)
                if code == ErrorCode.NONE or not _retriable(code):
                    return result
                if code in _MOVED_CODES:
                    self._coordinators.pop(key, None)
                why = type(error_for_code(code)).__name__
            if time.monotonic() >= deadline:
                raise KafkaTimeoutError(
                    f"{api.display_name} for transactional id {self.transactional_id!r} did "
                    f"not succeed within max_block_ms={self._max_block_ms}; last: {why}"
                )
            self._log.repeated(
                ("retry", api), logging.DEBUG, "%s: %s, retrying", api.display_name, why
            )
            await anyio.sleep(self._backoff.backoff_ms(attempts) / 1000)
            attempts += 1

    async def _coordinator(self, key: tuple[int, str]) -> BrokerConnection:
        node = self._coordinators.get(key)
        if node is None:
            conn = await self._pool.any_connection()
            version = conn.api_version(ApiKey.FIND_COORDINATOR)
            (answer, *_) = await conn.request(find_coordinator_request(version, key[0], [key[1]]))
            if answer.error_code != ErrorCode.NONE:
                raise error_for_code(answer.error_code)
            node = self._coordinators[key] = answer.node_id
        if self._pool.metadata.broker(node) is None:
            # The pool connects only to brokers its metadata lists, and that list may predate
            # the coordinator's node: a broker that was down at the last refresh and is back
            # (and now the coordinator, after another one died) would be refused until the
            # metadata's next periodic refresh, failing every call for max_block_ms.
            await self._pool.refresh_metadata()
        return await self._pool.connection(node)

    @property
    def _transaction_key(self) -> tuple[int, str]:
        return (COORDINATOR_TRANSACTION, self.transactional_id)


def _retriable(code: int) -> bool:
    return error_for_code(code).retriable
