"""`ExponentialBackoff`, the one formula of every growing wait: Java's ``ExponentialBackoff``
with multiplier 2 and jitter 0.2. The jitter comes from `random.uniform`, replaced here by a
fake that returns the low end, the middle or the high end of the range it is asked for (and
records that range), or by a seeded generator."""

from __future__ import annotations

import random
from typing import Literal

import pytest

from ferrokafka import _backoff
from ferrokafka._backoff import ExponentialBackoff
from ferrokafka._config import constants as c


class FixedJitter:
    """`random.uniform` that always returns one end, or the middle, of the range asked."""

    def __init__(self, where: Literal["low", "middle", "high"]) -> None:
        self.where = where
        self.asked: list[tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        self.asked.append((low, high))
        return {"low": low, "middle": (low + high) / 2, "high": high}[self.where]


class NoRandom:
    def uniform(self, low: float, high: float) -> float:
        raise AssertionError("no jitter was to be drawn")


@pytest.fixture
def jitter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FixedJitter:
    fake = FixedJitter(getattr(request, "param", "middle"))
    monkeypatch.setattr(_backoff, "random", fake)
    return fake


def waits(backoff: ExponentialBackoff, attempts: int) -> list[int]:
    return [backoff.backoff_ms(n) for n in range(attempts)]


def test_the_wait_doubles_per_failure_up_to_its_cap(jitter: FixedJitter) -> None:
    # Java's defaults, without jitter (the middle of the range is a factor of 1).
    reconnect = ExponentialBackoff(
        c.DEFAULT_RECONNECT_BACKOFF_MS, c.DEFAULT_RECONNECT_BACKOFF_MAX_MS
    )
    assert (reconnect.initial_ms, reconnect.max_ms) == (50, 1000)
    assert waits(reconnect, 8) == [50, 100, 200, 400, 800, 1000, 1000, 1000]
    retry = ExponentialBackoff(c.DEFAULT_RETRY_BACKOFF_MS, c.DEFAULT_RETRY_BACKOFF_MAX_MS)
    assert waits(retry, 6) == [100, 200, 400, 800, 1000, 1000]
    # Far past the cap the exponent stops growing: no overflow, the same wait.
    assert retry.backoff_ms(10_000) == 1000
    assert jitter.asked[0] == (0.8, 1.2)
    assert set(jitter.asked) == {(0.8, 1.2)}


def test_the_connect_timeout_grows_the_same_way(jitter: FixedJitter) -> None:
    setup = ExponentialBackoff(
        c.DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MS,
        c.DEFAULT_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS,
    )
    assert waits(setup, 4) == [10_000, 20_000, 30_000, 30_000]


@pytest.mark.parametrize("jitter", ["low"], indirect=True)
def test_the_jitter_takes_at_most_a_fifth_off(jitter: FixedJitter) -> None:
    assert waits(ExponentialBackoff(100, 1000), 6) == [80, 160, 320, 640, 800, 800]


@pytest.mark.parametrize("jitter", ["high"], indirect=True)
def test_the_jitter_adds_at_most_a_fifth_and_never_passes_the_cap(jitter: FixedJitter) -> None:
    assert waits(ExponentialBackoff(100, 1000), 6) == [120, 240, 480, 960, 1000, 1000]


def test_a_seeded_jitter_spreads_the_waits_within_a_fifth_either_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_backoff, "random", random.Random(2026))
    backoff = ExponentialBackoff(1000, 100_000)
    first = [backoff.backoff_ms(0) for _ in range(2000)]
    assert 800 <= min(first) < 810
    assert 1190 < max(first) < 1200
    # Spread over the range, not a few values: what keeps clients out of lockstep.
    assert len(set(first)) > 300
    third = [backoff.backoff_ms(2) for _ in range(2000)]
    assert 3200 <= min(third) < 3240
    assert 4760 < max(third) < 4800


def test_going_back_to_zero_attempts_starts_over(jitter: FixedJitter) -> None:
    # What a successful connect or a refresh that found everything does: the count is reset.
    backoff = ExponentialBackoff(100, 1000)
    assert waits(backoff, 4) == [100, 200, 400, 800]
    assert backoff.backoff_ms(0) == 100


def test_a_cap_not_above_the_first_wait_is_a_constant_wait_without_jitter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Java (KIP-580): the cap is the wait from the first attempt on.
    monkeypatch.setattr(_backoff, "random", NoRandom())
    assert waits(ExponentialBackoff(100, 50), 3) == [50, 50, 50]
    assert waits(ExponentialBackoff(100, 100), 3) == [100, 100, 100]
    assert waits(ExponentialBackoff(100, 0), 3) == [0, 0, 0]


def test_no_first_wait_means_no_wait(jitter: FixedJitter) -> None:
    assert waits(ExponentialBackoff(0, 1000), 5) == [0, 0, 0, 0, 0]
    assert waits(ExponentialBackoff(0, 0), 2) == [0, 0]
