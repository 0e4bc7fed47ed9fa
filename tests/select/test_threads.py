"""Picks run on one intra-op thread; the first pass's tiles, the working copy's passes and the
rebuilds on the caller's while the cores are free; the count comes back; no value depends on it."""

import pytest
import torch
from cases import clustered, labelled_mask

from alcore.select import _threads, coreset_search, distances, min_distances
from alcore.select import beam as beam_module
from alcore.select import greedy as greedy_module
from alcore.select._threads import bulk, one_thread


@pytest.fixture
def two_threads():
    """Two intra-op threads for the test (even on one core), the count of the session after."""
    kept = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(kept)


def inputs(n=600, seed=0):
    features = clustered(n, 12, 6, seed)
    labelled = labelled_mask(n, 5, seed)
    doubt = torch.rand(n, generator=torch.Generator().manual_seed(seed)) * 0.9
    return features, labelled, doubt


class FakeClocks:
    """Clocks of a thread that gets ``share`` of a core: ``step`` of wall time a reading."""

    def __init__(self, share, step=0.01):
        self.share = share
        self.step = step
        self.wall = 0.0

    def __call__(self):
        self.wall += self.step
        return self.wall, self.wall * self.share


def record_threads(monkeypatch, module, name):
    """Replace ``module.name`` by a wrapper that records the thread count at each call."""
    original = getattr(module, name)
    counts = []

    def recording(*args, **kwargs):
        counts.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return counts


class ThreadLog:
    """A progress callback that records the thread count at each pick."""

    def __init__(self):
        self.at_picks = []

    def __call__(self, phase, done, total):
        if phase == "picks":
            self.at_picks.append(torch.get_num_threads())


@pytest.mark.parametrize("beam_width", [1, 4])
def test_the_thread_count_is_restored_after_a_selection(two_threads, beam_width):
    features, labelled, doubt = inputs()
    coreset_search(features, labelled, 40, doubt, True, beam_width)
    assert torch.get_num_threads() == two_threads


@pytest.mark.parametrize("beam_width", [1, 4])
def test_the_thread_count_is_restored_when_a_pick_raises(two_threads, beam_width):
    features, labelled, doubt = inputs()

    def failing(phase, done, total):
        if phase == "picks" and done == 3:
            raise KeyboardInterrupt  # what a user's Ctrl-C does in a progress callback

    with pytest.raises(KeyboardInterrupt):
        coreset_search(features, labelled, 40, doubt, True, beam_width, progress=failing)
    assert torch.get_num_threads() == two_threads


@pytest.mark.parametrize(("share", "rebuild_threads"), [(1.0, 2), (0.97, 2), (0.5, 1)])
def test_greedy_picks_on_one_thread_and_rebuilds_on_free_cores(
    monkeypatch, two_threads, share, rebuild_threads
):
    # a picking thread that gets all of a core finds the cores free; half of one, busy
    monkeypatch.setattr(_threads, "clocks", FakeClocks(share))
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 8)  # rebuilt every few picks
    at_refresh = []
    original = greedy_module.MinDistanceState.refresh

    def recording(self, rows, *stop):
        at_refresh.append(torch.get_num_threads())
        return original(self, rows, *stop)

    monkeypatch.setattr(greedy_module.MinDistanceState, "refresh", recording)
    features, labelled, _ = inputs()
    log = ThreadLog()
    coreset_search(features, labelled, 60, progress=log)
    assert log.at_picks == [1] * 60
    assert len(at_refresh) > 5  # rebuilt inside the loop
    assert set(at_refresh) == {rebuild_threads}


@pytest.mark.parametrize(("share", "rebuild_threads"), [(1.0, 2), (0.5, 1)])
def test_beam_steps_on_one_thread_and_rebuilds_on_free_cores(
    monkeypatch, two_threads, share, rebuild_threads
):
    monkeypatch.setattr(_threads, "clocks", FakeClocks(share))
    monkeypatch.setattr(beam_module, "SHARE_ROWS", 6)
    at_rebuild = []
    original = beam_module._Beams._refresh

    def recording(self, *args):
        at_rebuild.append(torch.get_num_threads())
        return original(self, *args)

    monkeypatch.setattr(beam_module._Beams, "_refresh", recording)
    features, labelled, doubt = inputs()
    log = ThreadLog()
    coreset_search(features, labelled, 50, doubt, True, 5, progress=log)
    assert log.at_picks == [1] * 50
    assert len(at_rebuild) > 2
    assert set(at_rebuild) == {rebuild_threads}


def test_a_bulk_block_follows_the_last_measured_stretch(monkeypatch, two_threads):
    readings = iter([(0.0, 0.0), (0.001, 0.001), (1.0, 1.0), (1.2, 1.2), (1.201, 1.2),
                     (1.5, 1.5), (2.5, 1.7), (3.5, 2.7), (3.6, 3.6)])  # fmt: skip
    monkeypatch.setattr(_threads, "clocks", lambda: next(readings))
    with one_thread(torch.device("cpu")):  # reads (0, 0)
        with bulk():  # (0.001, 0.001): nothing measured yet, one thread, measured itself
            assert torch.get_num_threads() == 1
        with bulk():  # (1, 1): a whole core for a second, the cores are free
            assert torch.get_num_threads() == two_threads
        # left at (1.2, 1.2); (1.201, 1.2): a millisecond says nothing, the verdict stands
        with bulk():
            assert torch.get_num_threads() == two_threads
        # left at (1.5, 1.5); (2.5, 1.7): a fifth of a core for a second, the cores are busy
        with bulk():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
        # not read on leaving: one thread; (3.5, 2.7): the block and after it, a whole core
        with bulk():
            assert torch.get_num_threads() == two_threads
        # left at (3.6, 3.6)
    assert next(readings, None) is None  # every reading taken


def test_a_verdict_of_free_cores_is_checked_again_after_a_while(monkeypatch, two_threads):
    readings = iter([(0.0, 0.0), (1.0, 1.0), (1.5, 1.5), (1.501, 1.5), (2.0, 2.0), (2.001, 2.0),
                     (2.2, 2.02), (2.201, 2.02)])  # fmt: skip
    monkeypatch.setattr(_threads, "clocks", lambda: next(readings))
    with one_thread(torch.device("cpu")):  # reads (0, 0)
        with bulk():  # (1, 1): free
            assert torch.get_num_threads() == two_threads
        # left at (1.5, 1.5); (1.501, 1.5): blocks back to back, the verdict stands
        with bulk():
            assert torch.get_num_threads() == two_threads
        # left at (2, 2); (2.001, 2): no stretch, and the verdict is a second old: this block
        # runs alone
        with bulk():
            assert torch.get_num_threads() == 1
        # not read on leaving; (2.2, 2.02): from (2, 2), a tenth of a core: busy
        with bulk():
            assert torch.get_num_threads() == 1
        with bulk():  # (2.201, 2.02): too short, busy stands
            assert torch.get_num_threads() == 1
    assert next(readings, None) is None


@pytest.mark.parametrize(("share", "bulk_threads"), [(1.0, 2), (0.97, 2), (0.5, 1)])
def test_the_first_pass_runs_its_large_passes_on_free_cores(
    monkeypatch, two_threads, share, bulk_threads
):
    monkeypatch.setattr(_threads, "clocks", FakeClocks(share))
    tiles = record_threads(monkeypatch, distances, "_tile_min")
    passes = [
        record_threads(monkeypatch, distances, name) for name in ["_scaled", "_squared_norms"]
    ]
    alone = [
        record_threads(monkeypatch, distances, name)
        for name in ["_normalising_exponent", "_distinct_rows"]
    ]
    features, labelled, _ = inputs()
    log = ThreadLog()
    coreset_search(features, labelled, 10, block_size=64, progress=log)
    assert len(tiles) == 10  # 600 rows in tiles of 64, 5 centres
    assert set(tiles) == {bulk_threads}
    assert passes == [[bulk_threads], [bulk_threads]]
    assert alone == [[1], [1]]  # what tells bulk() the share of a core
    assert log.at_picks == [1] * 10


def test_the_first_pass_measures_its_first_tiles_on_one_thread(monkeypatch, two_threads):
    # 2 ms a reading: the first two tiles are too short a stretch, the third measures them
    monkeypatch.setattr(_threads, "clocks", FakeClocks(1.0, step=0.002))
    tiles = record_threads(monkeypatch, distances, "_tile_min")
    features, labelled, _ = inputs()
    min_distances(features, labelled, block_size=64)
    assert tiles == [1, 1] + [two_threads] * 8
    assert torch.get_num_threads() == two_threads


@pytest.mark.parametrize("share", [1.0, 0.5])
def test_the_thread_count_is_restored_when_the_first_pass_raises(monkeypatch, two_threads, share):
    monkeypatch.setattr(_threads, "clocks", FakeClocks(share))
    original = distances._tile_min
    calls = []

    def failing(*args):
        calls.append(torch.get_num_threads())
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(distances, "_tile_min", failing)
    features, labelled, _ = inputs()
    with pytest.raises(KeyboardInterrupt):
        coreset_search(features, labelled, 10, block_size=64)
    assert calls == [2 if share == 1.0 else 1] * 3
    assert torch.get_num_threads() == two_threads

    def interrupted(phase, done, total):
        if phase == "min-distance" and done == 2:
            raise KeyboardInterrupt  # between two tiles, on one thread

    monkeypatch.setattr(distances, "_tile_min", original)
    with pytest.raises(KeyboardInterrupt):
        coreset_search(features, labelled, 10, block_size=64, progress=interrupted)
    assert torch.get_num_threads() == two_threads


def test_the_working_copy_does_not_depend_on_the_thread_count(monkeypatch, two_threads):
    monkeypatch.setattr(_threads, "clocks", FakeClocks(1.0))  # free: bulk takes every thread
    # one feature: its mean is a single sum, which two threads round differently here
    features = torch.randn(100_000, 1, generator=torch.Generator().manual_seed(3)) * 7.0 + 3.0
    found = []
    for threads in [1, 2, 3]:
        torch.set_num_threads(threads)
        found.append(distances.make_workspace(features).points)
    assert torch.equal(found[0], found[1])
    assert torch.equal(found[0], found[2])


@pytest.mark.parametrize("beam_width", [1, 4])
def test_no_value_depends_on_the_thread_count(monkeypatch, two_threads, beam_width):
    monkeypatch.setattr(_threads, "clocks", FakeClocks(1.0))
    features, labelled, doubt = inputs()
    found = []
    for threads in [1, 2, 3]:
        torch.set_num_threads(threads)
        first = min_distances(features, labelled, block_size=128)
        picked = coreset_search(features, labelled, 30, doubt, True, beam_width, block_size=128)
        found.append([first.distance, first.nearest, picked.beams, picked.scores])
    for other in found[1:]:
        assert all(torch.equal(a, b) for a, b in zip(found[0], other, strict=True))


def test_the_sections_nest_and_leave_other_devices_alone(monkeypatch, two_threads):
    monkeypatch.setattr(_threads, "clocks", FakeClocks(1.0))
    with one_thread(torch.device("cpu")):
        assert torch.get_num_threads() == 1
        with bulk():
            assert torch.get_num_threads() == two_threads
            with bulk():  # a large product inside a large product keeps every thread
                assert torch.get_num_threads() == two_threads
            assert torch.get_num_threads() == two_threads
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == two_threads
    with bulk():  # outside a section: nothing to give back
        assert torch.get_num_threads() == two_threads
    with one_thread(torch.device("cuda")):  # its kernels do not run on the CPU pool
        assert torch.get_num_threads() == two_threads
        with bulk():
            assert torch.get_num_threads() == two_threads
    assert torch.get_num_threads() == two_threads
