"""`ClientLog`: the client id on every record (as an attribute and as the Java client's
prefix), and repeated messages held back per key, on a fake clock."""

from __future__ import annotations

import logging

import pytest
from fake_cluster import FakeClock

from ferrokafka import _logging
from ferrokafka._logging import REPEAT_INTERVAL_S, ClientLog, client_log

NAME = "ferrokafka.connection"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock(start_ms=1_000_000)
    # ClientLog reads seconds; the fake counts milliseconds.
    monkeypatch.setattr(_logging, "_clock", lambda: clock() / 1000)
    return clock


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == NAME]


def test_every_record_carries_the_client_id_as_prefix_and_attribute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = ClientLog(NAME, "orders-1")
    with caplog.at_level(logging.INFO, logger=NAME):
        log.info("connected to %s", "b1:9092")
        # Without arguments the message is not %-formatted: a literal % stays as it is.
        log.info("100% of the partitions have a leader")
    assert messages(caplog) == [
        "[Producer clientId=orders-1] connected to b1:9092",
        "[Producer clientId=orders-1] 100% of the partitions have a leader",
    ]
    assert [getattr(r, "client_id", None) for r in caplog.records] == ["orders-1", "orders-1"]
    # The record names the caller, not ClientLog.
    assert {r.funcName for r in caplog.records} == {
        "test_every_record_carries_the_client_id_as_prefix_and_attribute"
    }


def test_a_client_id_with_a_percent_sign_is_not_read_as_a_format(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = ClientLog(NAME, "a%sb")
    with caplog.at_level(logging.INFO, logger=NAME):
        log.info("node %d", 3)
    assert messages(caplog) == ["[Producer clientId=a%sb] node 3"]


def test_a_log_without_a_client_id_shows_a_dash(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=NAME):
        ClientLog(NAME, None).info("x")
    assert messages(caplog) == ["[Producer clientId=-] x"]


def test_repeats_of_one_key_are_held_back_and_counted(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    log = ClientLog(NAME, "c")
    interval_ms = int(REPEAT_INTERVAL_S * 1000)
    with caplog.at_level(logging.WARNING, logger=NAME):
        log.repeated(("connect", 1), logging.WARNING, "cannot connect to %s", "b1")
        for _ in range(3):
            clock.advance(interval_ms // 4)
            log.repeated(("connect", 1), logging.WARNING, "cannot connect to %s", "b1")
        # Another key has its own interval.
        log.repeated(("connect", 2), logging.WARNING, "cannot connect to %s", "b2")
        clock.advance(interval_ms - 3 * (interval_ms // 4) - 1)
        log.repeated(("connect", 1), logging.WARNING, "cannot connect to %s", "b1")
        clock.advance(1)
        log.repeated(("connect", 1), logging.WARNING, "cannot connect to %s", "b1")
        clock.advance(interval_ms)
        log.repeated(("connect", 1), logging.WARNING, "cannot connect to %s", "b1")
        clock.advance(1)
        log.repeated(("connect", 1), logging.WARNING, "cannot connect to %s", "b1")
        clock.advance(interval_ms)
        log.repeated(("connect", 1), logging.WARNING, "cannot connect to %s", "b1")
    assert messages(caplog) == [
        "[Producer clientId=c] cannot connect to b1",
        "[Producer clientId=c] cannot connect to b2",
        "[Producer clientId=c] cannot connect to b1 (4 similar messages suppressed)",
        "[Producer clientId=c] cannot connect to b1",
        "[Producer clientId=c] cannot connect to b1 (1 similar message suppressed)",
    ]


def test_settled_forgets_the_key_and_says_how_many_were_held_back(clock: FakeClock) -> None:
    log = ClientLog(NAME, "c")
    logging.getLogger(NAME).setLevel(logging.WARNING)
    try:
        for _ in range(3):
            log.repeated("k", logging.WARNING, "lost")
        assert log.settled("k") == 2
        assert log.settled("k") == 0
        # Settled: the next message passes at once.
        log.repeated("k", logging.WARNING, "lost")
        assert log.settled("k") == 0
    finally:
        logging.getLogger(NAME).setLevel(logging.NOTSET)


def test_a_disabled_level_holds_nothing_back(clock: FakeClock) -> None:
    logging.getLogger(NAME).setLevel(logging.ERROR)
    try:
        log = ClientLog(NAME, "c")
        for _ in range(3):
            log.repeated("k", logging.WARNING, "lost")
        assert log.settled("k") == 0
    finally:
        logging.getLogger(NAME).setLevel(logging.NOTSET)


def test_parts_of_one_client_share_one_log_while_it_is_held() -> None:
    first = client_log(NAME, "shared-id")
    assert client_log(NAME, "shared-id") is first
    assert client_log(NAME, "other-id") is not first
    assert client_log("ferrokafka.sender", "shared-id") is not first
