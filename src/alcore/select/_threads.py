"""Thread counts of the selection loops: one intra-op thread per pick, the caller's in bulk
while the cores are free.

A pick (or a beam step) is a few small tensor operations on about a thousand rows. torch runs
each on its intra-op pool, whose threads meet at a barrier after every operation. On a machine
whose cores are also busy with other processes, a worker that the kernel has descheduled holds
that barrier for a whole time slice while the threads already done spin-wait (OpenMP), burning
CPU time the other processes need: beside three busy processes on two cores, greedy with two
threads in every operation takes 3x the wall time and 4x the CPU time of one thread (N =
50,000, D = 512, b = 2,000). Even on a quiet machine a second thread gains little on such an
operation (the screen of a pick, a 1,024 x 512 matrix-vector product, takes as long on two).
So the picks run on one thread (:func:`per_pick`).

The rebuilds of the hot set (:func:`bulk`) are matrix products of milliseconds, which a second
core speeds up about twice on a quiet machine; on a busy one the barriers cost them as much:
at N = 20,000, a single labelled point, beside three busy processes, two threads in the
rebuilds take 3-5x the wall time of one. Which case holds is measured, not guessed: between
two rebuilds the picking thread runs alone, and the share of the wall time it got a core for
(its CPU time over the wall time) tells whether other processes compete for the cores. A
rebuild takes the caller's threads after a stretch of picks that got nearly all of it
(``_FREE_SHARE``), one thread otherwise, and one thread until a stretch has been measured.

``torch.set_num_threads`` is process-wide: a selection running in another Python thread at
the same time sees the count of whichever section it falls in (the picks are the same, only
the speed differs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

# The share of the wall time the picking thread must have run for a rebuild to take every
# thread: a quiet machine gives it 0.95-1 (page faults, the interpreter's own pauses aside),
# one other busy process per core about 0.5.
_FREE_SHARE = 0.85
# A stretch of picks shorter than this says too little about the machine: the last verdict
# stands (a hot set that runs dry at once is rebuilt right away).
_MIN_STRETCH_S = 0.005


def clocks() -> tuple[float, float]:
    """(wall seconds, this thread's CPU seconds): what a stretch of picks is measured with."""
    return time.perf_counter(), time.thread_time()


@dataclass
class _Section:
    """One :func:`per_pick` section: the caller's thread count, the clocks at the start of the
    current stretch of picks, and the thread count the last measured stretch gave a rebuild."""

    caller: int
    wall: float
    cpu: float
    bulk_threads: int = 1
    in_bulk: bool = False


# The per-pick sections entered by this Python thread, innermost last.
_local = threading.local()


def _sections() -> list[_Section]:
    stack: list[_Section] | None = getattr(_local, "sections", None)
    if stack is None:
        stack = []
        _local.sections = stack
    return stack


@contextmanager
def per_pick(device: torch.device) -> Iterator[None]:
    """Run the block with one intra-op thread when ``device`` is the CPU, and restore the
    caller's count afterwards, also on an exception. No effect on other devices: their
    kernels do not run on the CPU pool."""
    caller = torch.get_num_threads()
    single = device.type != "cpu" or caller == 1
    stack = _sections()
    stack.append(_Section(1 if single else caller, *clocks()))  # bulk() reads the caller here
    if not single:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        stack.pop()
        if not single:
            torch.set_num_threads(caller)


@contextmanager
def bulk() -> Iterator[None]:
    """Inside :func:`per_pick`: the caller's thread count for the block (a large product)
    while the stretch of picks since the last bulk block found the cores free, else one
    thread; then the count it found. Elsewhere: no effect."""
    stack = _sections()
    section = stack[-1] if stack else None
    if section is None or section.caller == 1 or section.in_bulk:
        yield  # nothing to give back, or a bulk block inside one: its count stands
        return
    wall, cpu = clocks()
    if wall - section.wall >= _MIN_STRETCH_S:
        share = (cpu - section.cpu) / (wall - section.wall)
        section.bulk_threads = section.caller if share >= _FREE_SHARE else 1
    found = torch.get_num_threads()
    torch.set_num_threads(section.bulk_threads)
    section.in_bulk = True
    try:
        yield
    finally:
        section.in_bulk = False
        torch.set_num_threads(found)
        section.wall, section.cpu = clocks()  # the next stretch of picks starts here
