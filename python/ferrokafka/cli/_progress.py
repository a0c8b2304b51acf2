"""Progress of a long run on stderr: a redrawn bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

_BAR_WIDTH = 24
# A terminal is redrawn this often; a log (CI, a pipe) gets a line every `interval` seconds.
_REDRAW_S = 0.1


class Progress:
    """Call `update` as often as convenient; it draws only when it is time to."""

    def __init__(
        self, stream: TextIO, *, tty: bool, total_bytes: int | None, interval: float = 5.0
    ) -> None:
        self._stream = stream
        self._tty = tty
        self._total_bytes = total_bytes
        self._interval = _REDRAW_S if tty else interval
        self._started = time.monotonic()
        self._last_draw = self._started
        self._last_acked = 0
        # Records/s over the last draws, smoothed so that the figure does not flicker.
        self._rate = 0.0
        self._drawn = False

    def update(
        self, sent: int, acked: int, failed: int, read_bytes: int, *, force: bool = False
    ) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self._interval:
            return
        span = max(now - self._last_draw, 1e-6)
        recent = (acked - self._last_acked) / span
        self._rate = recent if not self._drawn else 0.7 * self._rate + 0.3 * recent
        self._last_draw, self._last_acked = now, acked
        elapsed = now - self._started
        if self._tty:
            self._draw_bar(sent, acked, failed, read_bytes, elapsed)
        else:
            self._stream.write(
                f"{elapsed:7.1f} s: {sent} sent, {acked} acknowledged, {failed} failed, "
                f"{self._rate:.1f} records/sec\n"
            )
            self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Clears the bar, so that the final report starts on a clean line."""
        if self._tty and self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()

    def _draw_bar(
        self, sent: int, acked: int, failed: int, read_bytes: int, elapsed: float
    ) -> None:
        if self._total_bytes:
            done = min(read_bytes / self._total_bytes, 1.0)
            filled = int(done * _BAR_WIDTH)
            bar = "█" * filled + "░" * (_BAR_WIDTH - filled)
            head = f"{bar} {done * 100:5.1f}%"
        else:
            # Reading a stream of unknown length: a moving marker instead of a fraction.
            position = int(elapsed / _REDRAW_S) % _BAR_WIDTH
            head = "░" * position + "█" + "░" * (_BAR_WIDTH - position - 1)
        minutes, seconds = divmod(int(elapsed), 60)
        line = (
            f"{head}  {acked:,} acked / {sent:,} sent  {self._rate:,.0f} rec/s"
            f"  {failed:,} failed  {minutes}:{seconds:02d}"
        )
        width = shutil.get_terminal_size((100, 20)).columns
        self._stream.write("\r" + line[: width - 1] + "\x1b[K")
        self._stream.flush()
