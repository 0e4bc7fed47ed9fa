"""Rebuilds that refresh more rows than they keep hot store what the eager pass stores."""

import itertools

import pytest
import torch
from cases import clustered
from test_greedy import lazy_inputs, refresh_route

from alcore.select import greedy as greedy_module
from alcore.select.distances import _min_distances, make_workspace
from alcore.select.greedy import greedy


def assert_lazy_is_eager(space, start, labelled, budget, weight):
    """Lazy and eager greedy runs make the same picks with the same scores, and store the
    same min distances."""
    eager = greedy(space, start, labelled, budget, weight, lazy=False)
    lazy = greedy(space, start, labelled, budget, weight, lazy=True)
    assert torch.equal(lazy.picks, eager.picks)
    assert torch.equal(lazy.scores, eager.scores)
    assert torch.equal(lazy.distances.exact(), eager.distances.exact())


def single_start(n, seed):
    labelled = torch.zeros(n, dtype=torch.bool)
    labelled[seed] = True
    return labelled


@pytest.mark.parametrize("route", ["screened", "anchored"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["gaussian", "far", "vgg-like", "ties"])
def test_wide_rebuilds_store_what_eager_updates_store(monkeypatch, kind, dtype, route):
    # one labelled point: every stale score is far too high, hot sets run dry at once and the
    # rebuilds widen; refreshed rows left out of the hot set must stay below its floor
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 8)
    refresh_route(monkeypatch, route)
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
        assert_lazy_is_eager(space, start, labelled, 120, weight)
        assert max(widths) == greedy_module._WIDEST  # the wide path ran


def anchored_run(monkeypatch, features, budget, **settings):
    """Lazy greedy from one point, every refresh offered to the anchors (``settings``: module
    constants to change besides): each offer's (picks seen after it, pairs offered, pairs the groups
    kept or None when the anchors declined), after checking the picks against eager ones."""
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 8)
    refresh_route(monkeypatch, "anchored")
    for name, value in settings.items():
        monkeypatch.setattr(greedy_module, name, value)
    offers = []
    original = greedy_module.MinDistanceState._anchor_groups

    def recording(self, rows, first, end):
        groups = original(self, rows, first, end)
        offered = rows.shape[0] * (end - first)
        kept = None if groups is None else sum(len(m) * len(p) for m, p in groups)
        offers.append((end, offered, kept))
        return groups

    monkeypatch.setattr(greedy_module.MinDistanceState, "_anchor_groups", recording)
    labelled = single_start(features.shape[0], 3)
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    lazy = greedy(space, start, labelled, budget, None, lazy=True)
    eager = greedy(space, start, labelled, budget, None, lazy=False)
    assert torch.equal(lazy.picks, eager.picks)
    return offers


def test_anchors_rule_out_most_pairs_on_clustered_features(monkeypatch):
    # the anchored route above means something only if the anchors leave centres out: on
    # well-separated clusters from a single start they rule out most (row, centre) pairs
    features = clustered(1024, 32, 8, seed=2, spread=0.05)
    offers = anchored_run(monkeypatch, features, 200, _ANCHORS=16)
    assert offers and all(kept is not None for _, _, kept in offers)
    assert sum(kept for _, _, kept in offers) < 0.5 * sum(offered for _, offered, _ in offers)


def test_anchors_that_keep_too_much_wait_for_the_picks_to_double(monkeypatch):
    # a block the anchors would barely thin goes to one product, and the anchors are tried
    # again only once the picks have doubled
    features, _, _ = lazy_inputs("gaussian", torch.float32, seed=4)
    offers = anchored_run(monkeypatch, features, 120, _ANCHOR_KEEP=0.0)  # every block too much
    counts = [count for count, _, _ in offers]
    assert len(counts) >= 2 and all(kept is None for _, _, kept in offers)
    assert all(later >= 2 * earlier for earlier, later in itertools.pairwise(counts))


def after_each(monkeypatch, method, record):
    """Call ``record(state, result, *args)`` after each call of ``MinDistanceState.method``."""
    original = getattr(greedy_module.MinDistanceState, method)

    def wrapped(self, *args):
        result = original(self, *args)
        record(self, result, *args)
        return result

    monkeypatch.setattr(greedy_module.MinDistanceState, method, wrapped)


def assert_lazy_is_eager_from(features, labelled, doubt):
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    for weight in (None, doubt):
        assert_lazy_is_eager(space, start, labelled, 120, weight)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["gaussian", "far", "vgg-like", "ties"])
def test_compacted_hot_sets_store_what_eager_updates_store(monkeypatch, kind, dtype):
    # hot sets of 64 rows that live long (a labelled start): their rows fall below the floor
    # one by one, and the sets shed them every 4 picks once they are half
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 64)
    monkeypatch.setattr(greedy_module, "_COMPACT_EVERY", 4)
    sizes = []

    def record(state, compact, hot, score):
        if compact is not None:
            sizes.append((hot.rows.shape[0], compact.rows.shape[0]))

    after_each(monkeypatch, "_compact_hot", record)
    assert_lazy_is_eager_from(*lazy_inputs(kind, dtype, seed=6))
    assert sizes and all(2 * kept <= rows for rows, kept in sizes)  # sets were halved


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["gaussian", "far", "vgg-like", "ties"])
def test_rows_that_stop_short_store_what_eager_updates_store(monkeypatch, kind, dtype):
    # refreshes in steps of 2, 4, 8... picks: rows falling below a rebuild's floor stop
    # short of the latest picks, and come back later for the rest
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 8)
    monkeypatch.setattr(greedy_module, "_STOP_PICKS", 2)
    short = []

    def record(state, result, rows, *stop):
        short.append(int((state.seen[rows] < state.count).sum()))

    after_each(monkeypatch, "refresh", record)
    features, _, doubt = lazy_inputs(kind, dtype, seed=7)
    assert_lazy_is_eager_from(features, single_start(features.shape[0], 5), doubt)
    assert sum(short) > 0  # rows stopped short
