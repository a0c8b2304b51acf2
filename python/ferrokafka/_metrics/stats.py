"""Java's sampled statistics (`org.apache.kafka.common.metrics.stats`), the windows behind
every ``-rate``, ``-avg`` and ``-max`` metric.

A stat keeps ``samples + 1`` samples of ``window_ms`` each (``metrics.num.samples`` and
``metrics.sample.window.ms``; the extra one is the sample being filled while the oldest still
counts). Recording goes into the current sample, or starts a new one, reusing the oldest,
once the current is ``window_ms`` old. Measuring first forgets samples with no event in the
last ``samples * window_ms``, then combines the rest: a sum, a count, an average (sum / count,
NaN without events, as in Java), a maximum (NaN without events), or a rate (the windowed sum
divided by the time the kept samples span, at least ``samples - 1`` windows so a young
producer's first events do not read as a burst).

Recording is a few attribute updates; callers record once per batch or per request, never
per record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

DEFAULT_SAMPLE_WINDOW_MS = 30_000
DEFAULT_NUM_SAMPLES = 2


@dataclass(frozen=True, slots=True)
class WindowConfig:
    """Java's ``MetricConfig``: ``samples`` windows of ``window_ms`` each."""

    window_ms: int = DEFAULT_SAMPLE_WINDOW_MS
    samples: int = DEFAULT_NUM_SAMPLES


class _Sample:
    # `peak`: the largest value, for `Summary` (a `Max` keeps its maximum in `value`).
    __slots__ = ("count", "last_event_ms", "peak", "start_ms", "value")

    def __init__(self, initial: float, now_ms: int) -> None:
        self.value = initial
        self.peak = -math.inf
        self.count = 0
        self.start_ms = now_ms
        self.last_event_ms = now_ms

    def reset(self, initial: float, now_ms: int) -> None:
        self.value = initial
        self.peak = -math.inf
        self.count = 0
        self.start_ms = now_ms
        self.last_event_ms = now_ms


class SampledStat:
    """Base of the windowed stats: a value joins a sample by adding to it (`Max` keeps the
    larger instead), and subclasses say how samples combine (`_combine`)."""

    __slots__ = ("_config", "_current", "_samples")
    _initial = 0.0

    def __init__(self, config: WindowConfig) -> None:
        self._config = config
        self._samples: list[_Sample] = []
        self._current = 0

    def record(self, value: float, now_ms: int, count: int = 1) -> None:
        """Records ``value``, which stands for ``count`` events (an average over a batch's
        records is one call with the batch's total and its record count)."""
        # The sender records a dozen values per request: the lookup of the current sample and
        # the update are written out here rather than called.
        samples = self._samples
        sample = samples[self._current] if samples else self._current_sample(now_ms)
        if now_ms - sample.start_ms >= self._config.window_ms:
            sample = self._advance(now_ms)
        sample.value += value
        sample.count += count
        sample.last_event_ms = now_ms

    def measure(self, now_ms: int) -> float:
        self.purge(now_ms)
        return self._combine(now_ms)

    def purge(self, now_ms: int) -> None:
        # A sample with no event in the monitored span no longer counts; one that started
        # before the span but had events inside it still does.
        expire_age = self._config.samples * self._config.window_ms
        for sample in self._samples:
            if now_ms - sample.last_event_ms >= expire_age:
                sample.reset(self._initial, now_ms)

    def oldest_start_ms(self, now_ms: int) -> int:
        if not self._samples:
            return now_ms
        return min(sample.start_ms for sample in self._samples)

    def _current_sample(self, now_ms: int) -> _Sample:
        if not self._samples:
            self._samples.append(_Sample(self._initial, now_ms))
        return self._samples[self._current]

    def _advance(self, now_ms: int) -> _Sample:
        self._current = (self._current + 1) % (self._config.samples + 1)
        if self._current >= len(self._samples):
            sample = _Sample(self._initial, now_ms)
            self._samples.append(sample)
            return sample
        sample = self._samples[self._current]
        sample.reset(self._initial, now_ms)
        return sample

    def _combine(self, now_ms: int) -> float:
        return sum(sample.value for sample in self._samples)


class WindowedSum(SampledStat):
    """The sum of the values recorded in the window (Java's ``WindowedSum``)."""

    __slots__ = ()


class WindowedCount(SampledStat):
    """The number of events in the window (Java's ``WindowedCount``)."""

    __slots__ = ()

    def _combine(self, now_ms: int) -> float:
        return float(sum(sample.count for sample in self._samples))


class Avg(SampledStat):
    """Sum over count in the window; NaN when the window holds no event."""

    __slots__ = ()

    def _combine(self, now_ms: int) -> float:
        count = sum(sample.count for sample in self._samples)
        if not count:
            return math.nan
        return sum(sample.value for sample in self._samples) / count


class Max(SampledStat):
    """The largest value in the window; NaN when the window holds no event."""

    __slots__ = ()
    _initial = -math.inf

    def record(self, value: float, now_ms: int, count: int = 1) -> None:
        samples = self._samples
        sample = samples[self._current] if samples else self._current_sample(now_ms)
        if now_ms - sample.start_ms >= self._config.window_ms:
            sample = self._advance(now_ms)
        if value > sample.value:
            sample.value = value
        sample.count += count
        sample.last_event_ms = now_ms

    def _combine(self, now_ms: int) -> float:
        values = [sample.value for sample in self._samples if sample.count]
        return max(values) if values else math.nan


class Rate:
    """Per second: the windowed sum (or count) over the time the kept samples span."""

    __slots__ = ("_config", "stat")

    def __init__(self, config: WindowConfig, stat: SampledStat | None = None) -> None:
        self._config = config
        self.stat = stat if stat is not None else WindowedSum(config)

    def record(self, value: float, now_ms: int, count: int = 1) -> None:
        self.stat.record(value, now_ms, count)

    def measure(self, now_ms: int) -> float:
        value = self.stat.measure(now_ms)
        return value / (self.window_size_ms(now_ms) / 1000)

    def window_size_ms(self, now_ms: int) -> int:
        self.stat.purge(now_ms)
        elapsed = now_ms - self.stat.oldest_start_ms(now_ms)
        window = self._config.window_ms
        # As Java: before `samples` windows have passed (a young producer, or the first events
        # after a silence), the missing windows count as windows with no events.
        full_windows = elapsed // window
        if full_windows < self._config.samples - 1:
            elapsed += (self._config.samples - 1 - full_windows) * window
        # Never 0 (samples=1 and a measure in the very millisecond of the first record).
        return max(elapsed, 1)


class Meter:
    """A rate and the running total beside it (``x-rate`` and ``x-total``)."""

    __slots__ = ("rate", "total")

    def __init__(self, config: WindowConfig) -> None:
        self.rate = Rate(config)
        self.total = 0.0

    def record(self, value: float, now_ms: int) -> None:
        # Straight to the rate's stat: one call less per request on the sender's path.
        self.rate.stat.record(value, now_ms)
        self.total += value


class AvgMax:
    """An average and a maximum over the same values (``x-avg`` and ``x-max``)."""

    __slots__ = ("avg", "max")

    def __init__(self, config: WindowConfig) -> None:
        self.avg = Avg(config)
        self.max = Max(config)

    def record(self, value: float, now_ms: int) -> None:
        self.avg.record(value, now_ms)
        self.max.record(value, now_ms)


class Summary(SampledStat):
    """The count, sum and maximum of one kind of event, in one set of samples: what separate
    stats would record four times over (a request written gives the request rate, the request
    size's average and maximum, and the byte rate) is one `record` call. `events`, `values` and
    `avg_max` read those samples as a `Meter` of the events, a `Meter` of the values and an
    `AvgMax` of the values would: the same windows, the same results."""

    __slots__ = ("avg_max", "count_total", "events", "sum_total", "values")

    def __init__(self, config: WindowConfig) -> None:
        super().__init__(config)
        self.count_total = 0.0
        self.sum_total = 0.0
        self.events = _SummaryMeter(self, _CountView(self))
        self.values = _SummaryMeter(self, _SumView(self))
        self.avg_max = _SummaryAvgMax(_AvgView(self), _PeakView(self))

    def record(self, value: float, now_ms: int, count: int = 1) -> None:
        self.record_many(value, count, value, now_ms)

    def record_many(self, total: float, count: int, peak: float, now_ms: int) -> None:
        """``count`` events at once whose values sum to ``total``, the largest ``peak``: what
        ``count`` calls of `record` would leave, in one."""
        samples = self._samples
        sample = samples[self._current] if samples else self._current_sample(now_ms)
        if now_ms - sample.start_ms >= self._config.window_ms:
            sample = self._advance(now_ms)
        sample.value += total
        if peak > sample.peak:
            sample.peak = peak
        sample.count += count
        sample.last_event_ms = now_ms
        self.count_total += count
        self.sum_total += total


class _SummaryView(SampledStat):
    """One reading of a `Summary`'s samples: shares its list, records nothing."""

    __slots__ = ()

    def __init__(self, summary: Summary) -> None:
        super().__init__(summary._config)
        self._samples = summary._samples

    def record(self, value: float, now_ms: int, count: int = 1) -> None:
        raise TypeError("a view of a Summary is read only: record into the Summary")


class _CountView(_SummaryView):
    __slots__ = ()
    _combine = WindowedCount._combine


class _SumView(_SummaryView):
    __slots__ = ()


class _AvgView(_SummaryView):
    __slots__ = ()
    _combine = Avg._combine


class _PeakView(_SummaryView):
    __slots__ = ()

    def _combine(self, now_ms: int) -> float:
        peaks = [sample.peak for sample in self._samples if sample.count]
        return max(peaks) if peaks else math.nan


class _SummaryMeter:
    """A `Meter` read from a `Summary`: the rate and running total of its events or values."""

    __slots__ = ("_counts", "_summary", "rate")

    def __init__(self, summary: Summary, view: _SummaryView) -> None:
        self._summary = summary
        self._counts = isinstance(view, _CountView)
        self.rate = Rate(summary._config, view)

    @property
    def total(self) -> float:
        return self._summary.count_total if self._counts else self._summary.sum_total


class _SummaryAvgMax:
    """An `AvgMax` read from a `Summary`."""

    __slots__ = ("avg", "max")

    def __init__(self, avg: _AvgView, peak: _PeakView) -> None:
        self.avg = avg
        self.max = peak


class Measured(Protocol):
    def measure(self, now_ms: int) -> float: ...


class MeterReading(Protocol):
    """What ``x-rate`` and ``x-total`` are read from: a `Meter`, or a `Summary`'s."""

    @property
    def rate(self) -> Rate: ...

    @property
    def total(self) -> float: ...


class AvgMaxReading(Protocol):
    """What ``x-avg`` and ``x-max`` are read from: an `AvgMax`, or a `Summary`'s."""

    @property
    def avg(self) -> Measured: ...

    @property
    def max(self) -> Measured: ...
