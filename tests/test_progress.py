"""Progress lines: at most one per interval, one at the end, with rate and ETA."""

from __future__ import annotations

import logging

import pytest

from alcore.progress import Progress, format_seconds


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_lines_come_every_interval_and_once_at_the_end(caplog):
    clock = Clock()
    log = logging.getLogger("test.progress")
    progress = Progress("embed round 0", 1000, "images", log, interval=30, clock=clock)
    with caplog.at_level(logging.INFO, logger="test.progress"):
        for _ in range(100):  # 10 items every second: 100 s in all
            clock.now += 1.0
            progress.advance(10)
        progress.update(1000)  # a repeated final update adds nothing
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4  # at 30, 60 and 90 s, and at the end
    assert lines[0] == "embed round 0: 300/1,000 images (30%), 10.0 images/s, ETA 1 min 10 s"
    assert lines[-1] == (
        "embed round 0: 1,000/1,000 images (100%), 10.0 images/s, done in 1 min 40 s"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0 s"), (59.6, "1 min 00 s"), (125, "2 min 05 s"), (3725, "1 h 02 min")],
)
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text
