"""Progress lines for long stages: done of total, rate and ETA, at most every ``interval`` s.

A stage calls ``progress.advance(n)`` as often as it likes (every batch, every pick); a line
goes to the log only when ``interval`` seconds have passed since the last one, and once more
at the end, so a job's log says how far it is at least every half minute without flooding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

DEFAULT_INTERVAL = 30.0  # seconds between two progress lines


class Progress:
    """Counts ``done`` of ``total`` items of one task and logs a line now and then."""

    def __init__(
        self,
        task: str,
        total: int,
        unit: str,
        log: logging.Logger,
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.task, self.total, self.unit, self.log = task, total, unit, log
        self.interval, self.clock = interval, clock
        self.done = 0
        self.started = self.last_line = clock()
        self.finished = False  # the final line was logged

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items done; log a line if ``interval`` has passed."""
        self.update(self.done + n)

    def update(self, done: int) -> None:
        """Set the count of items done; log a line if ``interval`` has passed or all are done."""
        self.done = done
        now = self.clock()
        ending = done >= self.total and not self.finished
        if ending or (now - self.last_line >= self.interval and not self.finished):
            self.last_line, self.finished = now, ending
            self.log.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        """``task: 1,280/5,000 images (21%), 64.0 images/s, ETA 58 s``."""
        now = self.clock() if now is None else now
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        text = f"{self.task}: {self.done:,}/{self.total:,} {self.unit}{share}"
        text += f", {rate:.1f} {self.unit}/s"
        if self.done < self.total and rate > 0:
            text += f", ETA {format_seconds((self.total - self.done) / rate)}"
        elif self.done >= self.total:
            text += f", done in {format_seconds(elapsed)}"
        return text


class PhaseProgress:
    """A ``progress(phase, done, total)`` callback (the selection engine's) as log lines: one
    :class:`Progress` per phase (e.g. the first min-distance pass, then the picks)."""

    def __init__(self, task: str, log: logging.Logger, *, interval: float = DEFAULT_INTERVAL):
        self.task, self.log, self.interval = task, log, interval
        self.phases: dict[str, Progress] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.phases:
            unit = "picks" if phase == "picks" else "tiles"
            self.phases[phase] = Progress(
                f"{self.task}, {phase}", total, unit, self.log, interval=self.interval
            )
        self.phases[phase].update(done)


def format_seconds(duration: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    seconds = round(duration)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
