"""Thread counts of the selection engine on the CPU: small operations on one intra-op thread,
large ones on the caller's while the cores are free.

A pick (or a beam step) is a few small tensor operations on about a thousand rows. torch runs
each on its intra-op pool, whose threads meet at a barrier after every operation. On a machine
whose cores are also busy with other processes, a worker that the kernel has descheduled holds
that barrier for a whole time slice while the threads already done spin-wait (OpenMP), burning
CPU time the other processes need: beside three busy processes on two cores, greedy with two
threads in every operation takes 3x the wall time and 4x the CPU time of one thread (N =
50,000, D = 512, b = 2,000). Even on a quiet machine a second thread gains little on such an
operation (the screen of a pick, a 1,024 x 512 matrix-vector product, takes as long on two).
So the picks run on one thread (:func:`one_thread`).

The large operations (:func:`bulk`: the tiles of the first pass, the working copy's passes
over the features, the rebuilds of the hot set) are matrix products and passes of milliseconds,
which a second core speeds up about twice on a quiet machine; on a busy one the barriers cost
them as much: at N = 20,000, a single labelled point, beside three busy processes, two threads
take 3-5x the wall time of one. Which case holds is measured, not guessed: whatever runs on one
thread in a section (the picks, a first tile, a bulk block run alone) is a stretch in which
the section's thread runs by itself, and the share of the wall time it got a core for (its CPU
time over the wall time) tells whether other processes compete for the cores. A bulk block
takes the caller's threads after a stretch that got nearly all of it (``_FREE_SHARE``), one
thread otherwise. Until a stretch has been measured, and again once the last verdict of free
cores is ``_RECHECK_S`` old, a bulk block runs on one thread and is itself measured.

``torch.set_num_threads`` is process-wide: a selection running in another Python thread at
the same time sees the count of whichever section it falls in. No value depends on the count
(tests/select/test_threads.py compares the first pass and the picks on 1, 2 and 3 threads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

# The share of the wall time the section's thread must have run for a bulk block to take every
# thread: a quiet machine gives it 0.95-1 (page faults, the interpreter's own pauses aside),
# one other busy process per core about 0.5.
_FREE_SHARE = 0.85
# A stretch shorter than this says too little about the machine: the last verdict stands (a
# hot set that runs dry at once is rebuilt right away; first-pass tiles follow each other).
_MIN_STRETCH_S = 0.005
# Bulk blocks that follow each other leave no stretch to measure; so that a machine that
# becomes busy is noticed, one block runs alone once the last verdict of free cores is this
# old: a tile of milliseconds on one thread a second costs about 1% on free cores.
_RECHECK_S = 1.0


def clocks() -> tuple[float, float]:
    """(wall seconds, this thread's CPU seconds): what a stretch is measured with."""
    return time.perf_counter(), time.thread_time()


@dataclass
class _Section:
    """One :func:`one_thread` section: the caller's thread count, the clocks at the start of
    the current stretch on one thread, the thread count the last measured stretch gave a bulk
    block and the wall time it was measured at."""

    caller: int
    wall: float
    cpu: float
    bulk_threads: int = 1
    measured_at: float = float("-inf")
    in_bulk: bool = False


# The sections entered by this Python thread, innermost last.
_local = threading.local()


def _sections() -> list[_Section]:
    stack: list[_Section] | None = getattr(_local, "sections", None)
    if stack is None:
        stack = []
        _local.sections = stack
    return stack


@contextmanager
def one_thread(device: torch.device) -> Iterator[None]:
    """Run the block with one intra-op thread when ``device`` is the CPU (its :func:`bulk`
    blocks aside), and restore the caller's count afterwards, also on an exception. No effect
    on other devices: their kernels do not run on the CPU pool."""
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
    """Inside :func:`one_thread`: the caller's thread count for the block (a large product or
    pass) while the last measured stretch on one thread found the cores free, else one thread
    (then the block is part of the next stretch); afterwards the count it found. Elsewhere: no
    effect."""
    stack = _sections()
    section = stack[-1] if stack else None
    if section is None or section.caller == 1 or section.in_bulk:
        yield  # nothing to give back, or a bulk block inside one: its count stands
        return
    wall, cpu = clocks()
    if wall - section.wall >= _MIN_STRETCH_S:
        share = (cpu - section.cpu) / (wall - section.wall)
        section.bulk_threads = section.caller if share >= _FREE_SHARE else 1
        section.wall, section.cpu, section.measured_at = wall, cpu, wall
    elif wall - section.measured_at >= _RECHECK_S:
        section.bulk_threads = 1  # this block runs alone, and the next one measures it
    threads = section.bulk_threads
    found = torch.get_num_threads()
    torch.set_num_threads(threads)
    section.in_bulk = True
    try:
        yield
    finally:
        section.in_bulk = False
        torch.set_num_threads(found)
        if threads > 1:  # a block on several threads says nothing of the machine
            section.wall, section.cpu = clocks()
