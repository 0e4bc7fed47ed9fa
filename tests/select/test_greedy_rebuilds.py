"""Rebuilds that refresh more rows than they keep hot store what the eager pass stores."""

import pytest
import torch
from cases import clustered
from test_greedy import lazy_inputs

from alcore.select import greedy as greedy_module
from alcore.select.distances import _min_distances, make_workspace
from alcore.select.greedy import greedy


def single_start(n, seed):
    labelled = torch.zeros(n, dtype=torch.bool)
    labelled[seed] = True
    return labelled


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["gaussian", "far", "vgg-like", "ties"])
def test_wide_rebuilds_store_what_eager_updates_store(monkeypatch, kind, dtype):
    # one labelled point: every stale score is far too high, hot sets run dry at once and the
    # rebuilds widen; refreshed rows left out of the hot set must stay below its floor
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 8)
    widths = []
    original = greedy_module.MinDistanceState._rebuild_hot

    def recording(self, weight):
        hot = original(self, weight)
        widths.append(self._width)
        return hot

    monkeypatch.setattr(greedy_module.MinDistanceState, "_rebuild_hot", recording)
    features, _, doubt = lazy_inputs(kind, dtype, seed=4)
    labelled = single_start(features.shape[0], 3)
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    for weight in (None, doubt):
        widths.clear()
        eager = greedy(space, start, labelled, 120, weight, lazy=False)
        lazy = greedy(space, start, labelled, 120, weight, lazy=True)
        assert max(widths) == greedy_module._WIDEST  # the wide path ran
        assert torch.equal(lazy.picks, eager.picks)
        assert torch.equal(lazy.scores, eager.scores)
        assert torch.equal(lazy.distances.exact(), eager.distances.exact())


def test_the_width_narrows_again_when_hot_sets_last(monkeypatch):
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 8)
    monkeypatch.setattr(greedy_module, "_LONG_LIVED", 1)  # every hot set counts as lasting
    monkeypatch.setattr(greedy_module, "_SHORT_LIVED", 1)
    widths = []
    original = greedy_module.MinDistanceState._adapt_width

    def recording(self):
        original(self)
        widths.append(self._width)

    monkeypatch.setattr(greedy_module.MinDistanceState, "_adapt_width", recording)
    features = clustered(400, 8, 4, seed=2)
    labelled = single_start(400, 0)
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    eager = greedy(space, start, labelled, 80, None, lazy=False)
    lazy = greedy(space, start, labelled, 80, None, lazy=True)
    assert torch.equal(lazy.picks, eager.picks)
    assert 2 in widths and widths[-1] == 1  # widened after an instant dry-out, narrowed after
