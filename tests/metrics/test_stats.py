"""Java's sampled statistics, with the clock passed in (the numbers are Java's)."""

from __future__ import annotations

import math
import random

import pytest

from ferrokafka._metrics.stats import (
    Avg,
    AvgMax,
    Max,
    Meter,
    Rate,
    Summary,
    WindowConfig,
    WindowedCount,
)

ONE_SECOND_TWO_SAMPLES = WindowConfig(window_ms=1000, samples=2)


def test_a_young_rate_counts_the_missing_windows_as_empty() -> None:
    rate = Rate(ONE_SECOND_TWO_SAMPLES)
    rate.record(10, now_ms=0)
    # 500 ms elapsed, less than samples - 1 = 1 full window: one empty window is added.
    assert rate.measure(500) == pytest.approx(10 / 1.5)


def test_a_rate_spans_the_kept_samples() -> None:
    rate = Rate(ONE_SECOND_TWO_SAMPLES)
    rate.record(10, 0)
    rate.record(20, 1000)  # the first sample is complete: a second one starts
    assert rate.measure(1500) == pytest.approx(30 / 1.5)
    # The first sample has had no event for samples * window = 2 s: it no longer counts.
    assert rate.measure(2500) == pytest.approx(20 / 1.5)
    # Nothing for 2 s after the last event: an empty window.
    assert rate.measure(3000) == 0.0


def test_samples_are_recycled_in_a_ring_of_samples_plus_one() -> None:
    count = WindowedCount(ONE_SECOND_TWO_SAMPLES)
    for second in range(10):
        count.record(1, second * 1000)
    assert len(count._samples) == 3
    assert count.measure(9000) == 2  # seconds 8 and 9; 7 has been idle for 2 s


def test_avg_is_sum_over_count_and_nan_when_empty() -> None:
    avg = Avg(ONE_SECOND_TWO_SAMPLES)
    assert math.isnan(avg.measure(0))
    avg.record(300, 0, count=3)  # a batch of 3 records, 300 bytes in all
    avg.record(50, 10)
    assert avg.measure(20) == pytest.approx(350 / 4)
    assert math.isnan(avg.measure(5000))


def test_max_forgets_old_samples() -> None:
    highest = Max(ONE_SECOND_TWO_SAMPLES)
    highest.record(900, 0)
    highest.record(5, 1500)
    assert highest.measure(1600) == 900
    assert highest.measure(2100) == 5
    assert math.isnan(highest.measure(4000))


def test_meter_keeps_the_total_beside_the_rate() -> None:
    meter = Meter(ONE_SECOND_TWO_SAMPLES)
    meter.record(4, 0)
    meter.record(6, 5000)
    assert meter.total == 10
    # The old sample is gone; the new one is young: one empty window is added.
    assert meter.rate.measure(5000) == pytest.approx(6 / 1.0)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


@pytest.mark.parametrize("seed", range(5))
def test_a_summary_reads_as_the_separate_stats_it_replaces(seed: int) -> None:
    """One `Summary` record per event gives what a `Meter` of the events, a `Meter` of the
    values and an `AvgMax` of the values give, through idle spans and recycled samples."""
    rng = random.Random(seed)
    summary = Summary(ONE_SECOND_TWO_SAMPLES)
    events, values, avg_max = (
        Meter(ONE_SECOND_TWO_SAMPLES),
        Meter(ONE_SECOND_TWO_SAMPLES),
        AvgMax(ONE_SECOND_TWO_SAMPLES),
    )
    now = 0
    for _ in range(400):
        now += rng.choice([0, 1, 7, 250, 900, 2500])
        if rng.random() < 0.8:
            value = rng.randint(0, 10_000)
            summary.record(value, now)
            events.record(1, now)
            values.record(value, now)
            avg_max.record(value, now)
        measured_at = now + rng.choice([0, 300, 1800])
        pairs = [
            (summary.events.rate.measure(measured_at), events.rate.measure(measured_at)),
            (summary.events.total, events.total),
            (summary.values.rate.measure(measured_at), values.rate.measure(measured_at)),
            (summary.values.total, values.total),
            (summary.avg_max.avg.measure(measured_at), avg_max.avg.measure(measured_at)),
            (summary.avg_max.max.measure(measured_at), avg_max.max.measure(measured_at)),
        ]
        assert all(_same(got, want) for got, want in pairs), (now, measured_at, pairs)
        now = measured_at


@pytest.mark.parametrize("seed", range(5))
def test_a_summary_takes_events_at_once_as_one_by_one(seed: int) -> None:
    """`record_many(total, count, peak)` leaves what ``count`` `record` calls leave: the
    sender records a round's batches that way."""
    rng = random.Random(seed)
    at_once, one_by_one = Summary(ONE_SECOND_TWO_SAMPLES), Summary(ONE_SECOND_TWO_SAMPLES)
    now = 0
    for _ in range(200):
        now += rng.choice([0, 1, 7, 250, 900, 2500])
        values = [rng.randint(0, 10_000) for _ in range(rng.randint(1, 6))]
        at_once.record_many(sum(values), len(values), max(values), now)
        for value in values:
            one_by_one.record(value, now)
        measured_at = now + rng.choice([0, 300, 1800])
        for view in ("events", "values"):
            got, want = getattr(at_once, view), getattr(one_by_one, view)
            assert _same(got.rate.measure(measured_at), want.rate.measure(measured_at))
            assert got.total == want.total
        for stat in ("avg", "max"):
            got, want = getattr(at_once.avg_max, stat), getattr(one_by_one.avg_max, stat)
            assert _same(got.measure(measured_at), want.measure(measured_at))
        now = measured_at


def test_a_summarys_views_are_read_only() -> None:
    summary = Summary(ONE_SECOND_TWO_SAMPLES)
    with pytest.raises(TypeError, match="read only"):
        summary.events.rate.record(1, 0)
