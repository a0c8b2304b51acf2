"""perf-test's statistics: a run of records recorded at once gives what Java's per-record
``Stats.record`` gives, and one acknowledgement per batch records each record of it."""

from __future__ import annotations

import pytest

from ferrokafka import DeliveryFuture
from ferrokafka._pending import PendingBatch
from ferrokafka.cli import _perf_stats
from ferrokafka.cli._perf_stats import Acknowledgements, Stats
from ferrokafka.errors import KafkaError

SIZE = 100


def fields(stats: Stats) -> dict[str, object]:
    return {k: v for k, v in vars(stats).items() if k not in ("start", "window_start")}


@pytest.mark.parametrize("num_records", [1_000, 1_700_000])  # sampling 1, and 3
def test_a_run_records_what_as_many_single_records_would(
    num_records: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # (latency, count, acknowledged at): the second run crosses a five-second window.
    runs = [(7, 5, 1_000), (9, 4, 6_000), (3, 7, 6_000), (12, 1, 12_000)]
    per_record, per_run = Stats(num_records), Stats(num_records)
    for stats in (per_record, per_run):
        stats.start = stats.window_start = 0
    for latency, count, now in runs:
        for _ in range(count):
            per_record.record_run(latency, 1, SIZE, SIZE, now)
    one_by_one = capsys.readouterr().out
    for latency, count, now in runs:
        per_run.record_run(latency, count, SIZE, SIZE * count, now)
    assert capsys.readouterr().out == one_by_one
    assert one_by_one.count("records sent") == 2
    assert fields(per_run) == fields(per_record)
    assert per_run.total_line(20_000) == per_record.total_line(20_000)


def future(batch: PendingBatch, index: int) -> DeliveryFuture:
    return DeliveryFuture(batch, index, 0, -1, SIZE)


def test_one_acknowledgement_records_every_run_of_its_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stats = Stats(100)
    acks = Acknowledgements(stats, lambda _, count: SIZE * count)
    first, second = PendingBatch("t", 0, 0), PendingBatch("t", 1, 0)
    # Records 0-2 sent at 10 ms and 3-4 at 11 ms into the first batch, 5-6 into the second.
    run = acks.open_run(future(first, 0), 10, 0, None)
    run.count = 3
    acks.open_run(future(first, 3), 11, 3, None).count = 2
    acks.open_run(future(second, 0), 11, 5, None).count = 2
    monkeypatch.setattr(_perf_stats, "now_ms", lambda: 40)
    first.succeed(0, -1)
    assert (stats.count, stats.total_latency, stats.latencies) == (
        5,
        3 * 30 + 2 * 29,
        [30] * 3 + [29] * 2,
    )
    monkeypatch.setattr(_perf_stats, "now_ms", lambda: 50)
    second.succeed(0, -1)
    assert (stats.count, stats.max_latency, stats.bytes) == (7, 39, 7 * SIZE)
    assert acks.failures == 0


def test_failed_and_split_batches_are_counted_record_by_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stats = Stats(100)
    acks = Acknowledgements(stats, lambda _, count: SIZE * count)
    failed = PendingBatch("t", 0, 0)
    acks.open_run(future(failed, 0), 10, 0, None).count = 3
    failed.fail(KafkaError("refused"))
    assert (acks.failures, stats.count) == (3, 0)
    assert capsys.readouterr().err.count("KafkaError: refused") == 3

    split = PendingBatch("t", 0, 0)
    acks.open_run(future(split, 0), 10, 3, None).count = 4
    pieces = [PendingBatch("t", 0, 0), PendingBatch("t", 0, 0)]
    for piece in pieces:
        piece.parent = split
    split.hand_over([(0, 2, pieces[0]), (2, 2, pieces[1])])
    pieces[0].succeed(0, -1)
    pieces[1].fail(KafkaError("too large"))
    assert (acks.failures, stats.count) == (5, 2)


def test_steady_state_stats_get_the_records_after_the_warmup() -> None:
    stats, steady = Stats(10), Stats(6, steady_state=True)
    acks = Acknowledgements(stats, lambda _, count: SIZE * count)
    batch = PendingBatch("t", 0, 0)
    acks.open_run(future(batch, 0), 10, 0, None).count = 4
    acks.open_run(future(batch, 4), 10, 4, steady).count = 6
    batch.succeed(0, -1)
    assert (stats.count, steady.count) == (10, 6)
