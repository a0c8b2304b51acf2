"""`ProducerIdManager`: when it bumps the epoch itself and when it asks for a new producer id,
on a fake connection that hands out producer ids."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from ferrokafka._producer_id import ProducerIdManager

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class IdGiver:
    """A broker answering InitProducerId with a new producer id each time (epoch 0), and the
    accumulator's side of an id change."""

    client_id = "unit"

    def __init__(self) -> None:
        self.given = 0
        self.installed: list[tuple[int, int]] = []

    # BrokerPool / BrokerConnection
    async def any_connection(self) -> IdGiver:
        return self

    def api_version(self, api_key: int, ours_max: int | None = None) -> int:
        return 4

    async def request(self, request: Any) -> Any:
        self.given += 1
        return SimpleNamespace(error_code=0, producer_id=1000 * self.given, producer_epoch=0)

    # Accumulator
    def set_producer_id(self, producer_id: int, epoch: int) -> None:
        self.installed.append((producer_id, epoch))

    def reset_sequences(self) -> None:
        pass


async def test_an_unknown_producer_id_answered_twice_gets_a_new_id_despite_plain_requests() -> None:
    """UNKNOWN_PRODUCER_ID: the epoch is bumped locally first. The failing batch asks for the
    same bump again, plainly; that must not turn the bump into a plain one, or a second
    UNKNOWN_PRODUCER_ID for the bumped epoch would bump again instead of asking the broker
    for a new producer id (a broker that lost every producer's state knows none of its
    epochs)."""
    ids = ProducerIdManager(60_000)
    giver = IdGiver()
    await ids.ensure(giver, giver)  # type: ignore[arg-type]
    assert (ids.producer_id, ids.epoch) == (1000, 0)

    ids.request_bump(unknown_producer_id=True)
    ids.request_bump()  # the refused batch then fails: its own request
    await ids.ensure(giver, giver)  # type: ignore[arg-type]
    assert (ids.producer_id, ids.epoch) == (1000, 1), "bumped locally, no request"
    assert giver.given == 1

    ids.request_bump(unknown_producer_id=True)
    await ids.ensure(giver, giver)  # type: ignore[arg-type]
    assert (ids.producer_id, ids.epoch) == (2000, 0), "a new producer id this time"
    assert giver.installed == [(1000, 0), (1000, 1), (2000, 0)]
