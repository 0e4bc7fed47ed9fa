"""Picks run on one intra-op thread, rebuilds on the caller's, and the count comes back."""

import pytest
import torch
from cases import clustered, labelled_mask

from alcore.select import _threads, coreset_search
from alcore.select import beam as beam_module
from alcore.select import greedy as greedy_module
from alcore.select._threads import bulk, per_pick


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
    """Clocks of a thread that gets ``share`` of a core: 10 ms of wall time a reading."""

    def __init__(self, share):
        self.share = share
        self.wall = 0.0

    def __call__(self):
        self.wall += 0.01
        return self.wall, self.wall * self.share


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
    monkeypatch.setattr(greedy_module, "_HOT_ROWS", 8)  # rebuilt every few picks
    at_refresh = []
    original = greedy_module.MinDistanceState.refresh

    def recording(self, rows):
        at_refresh.append(torch.get_num_threads())
        return original(self, rows)

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
    monkeypatch.setattr(beam_module, "_HOT_ROWS", 6)
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


def test_a_rebuild_after_too_short_a_stretch_keeps_the_last_verdict(monkeypatch, two_threads):
    readings = iter([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (2.001, 2.0), (3.0, 3.0), (4.0, 3.2),
                     (5.0, 4.0)])  # fmt: skip
    monkeypatch.setattr(_threads, "clocks", lambda: next(readings))
    with per_pick(torch.device("cpu")):  # reads (0, 0)
        with bulk():  # (1, 1): a whole core for a second, the cores are free
            assert torch.get_num_threads() == two_threads
        # left at (2, 2); (2.001, 2): a millisecond says nothing, the verdict stands
        with bulk():
            assert torch.get_num_threads() == two_threads
        # left at (3, 3); (4, 3.2): a fifth of a core for a second, the cores are busy
        with bulk():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert next(readings, None) is None  # every reading taken: one a section, two a block


def test_the_sections_nest_and_leave_other_devices_alone(monkeypatch, two_threads):
    monkeypatch.setattr(_threads, "clocks", FakeClocks(1.0))
    with per_pick(torch.device("cpu")):
        assert torch.get_num_threads() == 1
        with bulk():
            assert torch.get_num_threads() == two_threads
            with bulk():  # a large product inside a large product keeps every thread
                assert torch.get_num_threads() == two_threads
            assert torch.get_num_threads() == two_threads
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == two_threads
    with bulk():  # outside a per-pick section: nothing to give back
        assert torch.get_num_threads() == two_threads
    with per_pick(torch.device("cuda")):  # its kernels do not run on the CPU pool
        assert torch.get_num_threads() == two_threads
        with bulk():
            assert torch.get_num_threads() == two_threads
    assert torch.get_num_threads() == two_threads
