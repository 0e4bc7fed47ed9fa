import numpy as np
import pytest
import torch
from cases import clustered, integer_ties, labelled_mask, vgg_like
from reference import greedy as reference_greedy
from reference import pairwise
from reference import scores as reference_scores

from alcore.select import coreset, coreset_search
from alcore.select import greedy as greedy_module
from alcore.select.distances import (
    _distinct_rows,
    _min_distances,
    in_feature_units,
    make_workspace,
)
from alcore.select.greedy import greedy


def test_points_on_a_line_by_hand():
    features = torch.tensor([[0.0], [1.0], [2.0], [3.0], [10.0]])
    labelled = torch.tensor([True, False, False, False, False])
    # m = 1, 2, 3, 10: pick x=10; then m(3) = min(3, 7) = 3 is the largest; then x=1.5 -> x=1 or 2
    assert coreset(features, labelled, 3).tolist() == [4, 3, 1]


def test_doubt_weighting_changes_the_pick():
    features = torch.tensor([[0.0], [4.0], [6.0]])
    labelled = torch.tensor([True, False, False])
    doubt = torch.tensor([0.0, 0.9, 0.5])
    assert coreset(features, labelled, 1).tolist() == [2]  # plain: 6 > 4
    assert coreset(features, labelled, 1, doubt, weighted=True).tolist() == [1]  # 3.6 > 3.0


def test_ties_go_to_the_smallest_index():
    features = torch.tensor([[0.0], [-2.0], [2.0], [2.0], [-2.0]])
    labelled = torch.tensor([True, False, False, False, False])
    picks = coreset(features, labelled, 2)
    assert picks.tolist() == [1, 2]


def replay_is_optimal(features, labelled, picks, weight):
    """Every pick attains the max (weighted) min-distance of its step, up to 1e-5 relative."""
    distance = pairwise(features.double().numpy())
    centers = labelled.numpy().copy()
    m = distance[:, centers].min(axis=1)
    w = np.ones(len(m)) if weight is None else weight.double().numpy()
    for pick in picks.tolist():
        s = np.where(centers, -1.0, w * m)
        assert not centers[pick]
        assert s[pick] >= s.max() * (1 - 1e-5) - 1e-9, (pick, s[pick], s.max())
        centers[pick] = True
        m = np.minimum(m, distance[:, pick])


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_every_pick_attains_the_maximum(seed, weighted, lazy):
    g = torch.Generator().manual_seed(seed)
    kind = seed % 3
    if kind == 0:
        features = torch.randn(200, 8, generator=g)
    elif kind == 1:
        features = clustered(200, 8, 5, seed)
    else:
        features = clustered(200, 8, 3, seed) + 500.0  # far from the origin
    labelled = labelled_mask(200, 1 + seed, seed)
    doubt = torch.rand(200, generator=g) * 0.9
    result = coreset_search(features, labelled, 40, doubt, weighted, lazy=lazy)
    replay_is_optimal(features, labelled, result.picks, doubt if weighted else None)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_float64_equals_reference_exactly(seed, weighted):
    g = torch.Generator().manual_seed(100 + seed)
    features = torch.rand(120, 4, generator=g, dtype=torch.float64)
    labelled = labelled_mask(120, 5, seed)
    doubt = torch.rand(120, generator=g, dtype=torch.float64) * 0.8
    picks = coreset(features, labelled, 30, doubt, weighted)
    weight = doubt.numpy() if weighted else None
    assert picks.tolist() == reference_greedy(features.numpy(), labelled.numpy(), 30, weight)


@pytest.mark.parametrize("lazy", [False, True])
def test_tight_clusters_far_from_the_origin_stay_exact(lazy):
    # the matrix-product expansion alone is off by more than these distances here
    features = clustered(600, 64, 6, seed=11, spread=0.02) + 300.0
    labelled = labelled_mask(600, 10, 11)
    doubt = torch.rand(600, generator=torch.Generator().manual_seed(11)) * 0.9
    for weighted in (False, True):
        result = coreset_search(features, labelled, 200, doubt, weighted, lazy=lazy)
        replay_is_optimal(features, labelled, result.picks, doubt if weighted else None)


@pytest.mark.parametrize("seed", range(4))
def test_lazy_gives_the_same_picks_as_the_eager_pass(seed):
    features = clustered(2000, 16, 10, seed).double()
    labelled = labelled_mask(2000, 30, seed)
    doubt = torch.rand(2000, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    for weighted in (False, True):
        eager = coreset_search(features, labelled, 300, doubt * 0.9, weighted, lazy=False)
        lazy = coreset_search(features, labelled, 300, doubt * 0.9, weighted, lazy=True)
        assert torch.equal(eager.picks, lazy.picks)
        np.testing.assert_allclose(eager.scores.numpy(), lazy.scores.numpy(), rtol=1e-12)


def test_min_distance_after_matches_reference():
    features = clustered(500, 8, 6, seed=9)
    labelled = labelled_mask(500, 7, 9)
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 64)
    trace = greedy(space, start, labelled, 50, None, lazy=True)
    centers = labelled.clone()
    centers[trace.picks] = True
    expected = reference_scores(features.double().numpy(), centers.numpy(), None)
    expected = np.where(centers.numpy(), 0.0, expected)
    found = in_feature_units(space, trace.distances.exact())  # the kernels work in scaled units
    np.testing.assert_allclose(found.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("beam_width", [1, 3])
def test_invariants_and_determinism(weighted, beam_width):
    g = torch.Generator().manual_seed(7)
    features = clustered(400, 12, 4, seed=7)
    labelled = labelled_mask(400, 25, 7)
    doubt = torch.rand(400, generator=g) * 0.7
    picks = coreset(features, labelled, 60, doubt, weighted, beam_width)
    assert picks.dtype == torch.int64 and picks.shape == (60,)
    assert len(set(picks.tolist())) == 60
    assert int(picks.min()) >= 0 and int(picks.max()) < 400
    assert not bool(labelled[picks].any())
    again = coreset(features.clone(), labelled.clone(), 60, doubt.clone(), weighted, beam_width)
    assert torch.equal(picks, again)


def test_zero_budget_and_whole_pool():
    features = torch.randn(10, 2)
    labelled = labelled_mask(10, 3, 0)
    assert coreset(features, labelled, 0).shape == (0,)
    every = coreset(features, labelled, 7)
    assert sorted(every.tolist()) == sorted((~labelled).nonzero().squeeze(1).tolist())


def test_radii_before_and_after():
    features = torch.tensor([[0.0], [1.0], [2.0], [3.0], [10.0]])
    labelled = torch.tensor([True, False, False, False, False])
    doubt = torch.tensor([0.0, 0.5, 0.5, 0.5, 0.1])
    result = coreset_search(features, labelled, 1, doubt)
    assert result.picks.tolist() == [4]
    assert result.before.radius == pytest.approx(10.0)
    assert result.before.weighted_radius == pytest.approx(1.5)  # max(0.5, 1.0, 1.5, 1.0)
    assert result.after.radius == pytest.approx(3.0)
    assert result.after.weighted_radius == pytest.approx(1.5)
    assert result.u == pytest.approx(-np.log(0.9))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("beam_width", [1, 4])
def test_cuda_matches_cpu(beam_width):
    features = clustered(3000, 64, 10, seed=5)
    labelled = labelled_mask(3000, 50, 5)
    doubt = torch.rand(3000, generator=torch.Generator().manual_seed(5)) * 0.9
    cpu = coreset(features, labelled, 200, doubt, True, beam_width)
    gpu = coreset(features.cuda(), labelled.cuda(), 200, doubt.cuda(), True, beam_width)
    assert gpu.device.type == "cuda"
    assert torch.equal(cpu, gpu.cpu())


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(("weighted", "beam_width"), [(False, 1), (True, 1), (True, 4)])
def test_progress_is_reported_and_changes_nothing(weighted, beam_width, lazy):
    features = clustered(700, 12, 5, seed=8)
    labelled = labelled_mask(700, 40, 8)
    doubt = torch.rand(700, generator=torch.Generator().manual_seed(8)) * 0.9
    calls = []
    reported = coreset_search(
        features, labelled, 50, doubt, weighted, beam_width,
        block_size=128, lazy=lazy, progress=lambda *call: calls.append(call),
    )  # fmt: skip
    silent = coreset_search(
        features, labelled, 50, doubt, weighted, beam_width, block_size=128, lazy=lazy
    )
    assert torch.equal(reported.beams, silent.beams)
    assert torch.equal(reported.scores, silent.scores)
    tiles = 6 * 1  # ceil(700 / 128) row blocks x one block of 40 centres
    assert calls == [("min-distance", done, tiles) for done in range(1, tiles + 1)] + [
        ("picks", done, 50) for done in range(1, 51)
    ]
    assert all(type(done) is int and type(total) is int for _, done, total in calls)


def test_progress_with_no_picks():
    features = torch.randn(30, 3, generator=torch.Generator().manual_seed(0))
    calls = []
    coreset_search(features, labelled_mask(30, 5, 0), 0, progress=lambda *c: calls.append(c))
    assert calls == [("min-distance", 1, 1)]


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_duplicate_rows_give_the_reference_picks(seed, weighted, dtype, lazy):
    # a third of the rows are exact copies of others (and of labelled points): every copy
    # ties, so the smallest index must win, as the float64 brute force decides
    g = torch.Generator().manual_seed(seed)
    base = integer_ties(256, 16, seed)  # distances exact in float32 too
    source = torch.randint(256, (256,), generator=g)
    copies = torch.rand(256, generator=g) < 0.35
    features = torch.where(copies[:, None], base[source], base).to(dtype)
    labelled = labelled_mask(256, 6, seed)
    # doubt in {0, 1/8, 1/4, 1/2}: products with distances are exact in both dtypes
    doubt = torch.tensor([0.0, 0.125, 0.25, 0.5])[torch.randint(4, (256,), generator=g)]
    assert len({tuple(row) for row in features.tolist()}) < 0.8 * 256  # many copies
    assert _distinct_rows(make_workspace(features)) is not None  # the first pass dedups them
    weight = doubt.double().numpy() if weighted else None
    expected = reference_greedy(features.double().numpy(), labelled.numpy(), 60, weight)
    result = coreset_search(features, labelled, 60, doubt.to(dtype), weighted, lazy=lazy)
    assert result.picks.tolist() == expected
    again = coreset_search(features.clone(), labelled, 60, doubt.to(dtype), weighted, lazy=lazy)
    assert torch.equal(again.picks, result.picks) and torch.equal(again.scores, result.scores)


def test_zero_doubt_everywhere_ties_to_the_smallest_indices():
    # pweighted with a certain model: every score is 0, every pick a tie (smallest index first)
    features = clustered(300, 8, 4, seed=1)
    labelled = labelled_mask(300, 20, seed=1)
    doubt = torch.zeros(300)
    result = coreset_search(features, labelled, 50, doubt, weighted=True)
    unlabelled = (~labelled).nonzero().squeeze(1)
    assert torch.equal(result.picks, unlabelled[:50])
    assert result.scores.tolist() == [0.0] * 50
    assert result.before.weighted_radius == 0.0 and result.u == 0.0
    expected = reference_greedy(features.double().numpy(), labelled.numpy(), 50, doubt.numpy())
    assert result.picks.tolist() == expected


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_lazy_gives_the_same_picks_as_the_eager_pass_in_float32(seed, weighted):
    # float32 is what production runs: lazy and eager must store the same values
    features = clustered(2000, 16, 10, seed)
    labelled = labelled_mask(2000, 30, seed)
    doubt = torch.rand(2000, generator=torch.Generator().manual_seed(seed)) * 0.9
    eager = coreset_search(features, labelled, 300, doubt, weighted, lazy=False)
    lazy = coreset_search(features, labelled, 300, doubt, weighted, lazy=True)
    assert torch.equal(eager.picks, lazy.picks)
    assert torch.equal(eager.scores, lazy.scores)
    assert eager.after == lazy.after


@pytest.mark.parametrize("weighted", [False, True])
def test_budget_of_every_unlabelled_point(weighted):
    features = clustered(120, 4, 3, seed=2).double()
    labelled = labelled_mask(120, 7, seed=2)
    doubt = torch.rand(120, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    result = coreset_search(features, labelled, 113, doubt * 0.9, weighted)
    weight = (doubt * 0.9).numpy() if weighted else None
    expected = reference_greedy(features.numpy(), labelled.numpy(), 113, weight)
    assert result.picks.tolist() == expected
    assert result.after.radius == 0.0 and result.after.weighted_radius == 0.0
    with pytest.raises(ValueError, match="budget=114 exceeds the 113 unlabelled points"):
        coreset_search(features, labelled, 114, doubt * 0.9, weighted)


def lazy_inputs(kind, dtype, seed):
    """Inputs on which lazy and eager updates must agree bit for bit: structureless, clustered
    far from the origin (screening is loose there), concentrated ReLU features, exact ties."""
    g = torch.Generator().manual_seed(seed)
    n = 512
    if kind == "gaussian":
        features = torch.randn(n, 24, generator=g)
    elif kind == "far":
        features = clustered(n, 32, 5, seed, spread=0.05) + 300.0
    elif kind == "vgg-like":
        features = vgg_like(n, 256, seed)
    else:
        base = integer_ties(n, 16, seed)
        copies = torch.rand(n, generator=g) < 0.3
        features = torch.where(copies[:, None], base[torch.randint(n, (n,), generator=g)], base)
    doubt = torch.tensor([0.0, 0.125, 0.25, 0.5, 0.75])[torch.randint(5, (n,), generator=g)]
    if kind != "ties":
        doubt = torch.rand(n, generator=g) * 0.9
    return features.to(dtype), labelled_mask(n, 9, seed), doubt.to(dtype)


def refresh_route(monkeypatch, route):
    """Send every refresh one way: "direct" distances, "screened" by one product, or
    "anchored" (screened group by group, the anchors ruling pairs out)."""
    monkeypatch.setattr(greedy_module, "_DIRECT_PAIRS", 1 << 30 if route == "direct" else 0)
    anchored = route == "anchored"
    monkeypatch.setattr(greedy_module, "_ANCHORS", 4)
    monkeypatch.setattr(greedy_module, "_ANCHOR_WORK", 1 if anchored else 1 << 62)
    monkeypatch.setattr(greedy_module, "_ANCHOR_KEEP", 1.0)  # never back to one product


@pytest.mark.parametrize("route", ["direct", "screened", "anchored"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["gaussian", "far", "vgg-like", "ties"])
def test_lazy_updates_store_what_eager_updates_store(monkeypatch, kind, dtype, route):
    # a hot set of 8 rows runs dry every few picks: rows come back after many unseen picks,
    # through every refresh route
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 8)
    refresh_route(monkeypatch, route)
    features, labelled, doubt = lazy_inputs(kind, dtype, seed=3)
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    for weight in (None, doubt):
        eager = greedy(space, start, labelled, 150, weight, lazy=False)
        lazy = greedy(space, start, labelled, 150, weight, lazy=True)
        assert torch.equal(lazy.picks, eager.picks)
        assert torch.equal(lazy.scores, eager.scores)
        for radius_weight in (None, doubt):  # the rows attaining the radii, brought up to date
            at = lazy.distances.largest(radius_weight)
            assert at == eager.distances.largest(radius_weight)
            assert lazy.distances.upper[at] == eager.distances.upper[at]
        assert torch.equal(lazy.distances.exact(), eager.distances.exact())


@pytest.mark.slow
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_lazy_picks_equal_the_reference_in_float64_and_float32(monkeypatch, seed, weighted):
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 16)
    features, labelled, doubt = lazy_inputs("ties", torch.float64, seed)
    weight = doubt.numpy() if weighted else None
    expected = reference_greedy(features.numpy(), labelled.numpy(), 120, weight)
    for dtype in (torch.float64, torch.float32):  # the ties are exact in both
        found = coreset(features.to(dtype), labelled, 120, doubt.to(dtype), weighted)
        assert found.tolist() == expected


def test_lazy_hot_set_is_rebuilt_as_it_runs_dry(monkeypatch):
    # the test above only means something if the hot set really runs dry and refreshes
    monkeypatch.setattr(greedy_module, "HOT_ROWS", 8)
    features, labelled, _ = lazy_inputs("gaussian", torch.float32, seed=1)
    space = make_workspace(features)
    start = _min_distances(space, labelled.nonzero().squeeze(1), 128)
    rebuilds = []
    original = greedy_module.MinDistanceState._rebuild_hot

    def counting(self, weight):
        rebuilds.append(int((self.seen[self.available] < self.count).sum()))
        return original(self, weight)

    monkeypatch.setattr(greedy_module.MinDistanceState, "_rebuild_hot", counting)
    trace = greedy(space, start, labelled, 100, None, lazy=True)
    assert len(rebuilds) > 5 and max(rebuilds) > 0  # rebuilt, with stale rows to refresh
    assert int((trace.distances.seen[trace.distances.available] < 100).sum()) > 0  # still lazy


@pytest.mark.parametrize("beam_width", [1, 3])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_overwriting_the_features_gives_the_same_selection(dtype, beam_width):
    features = (clustered(400, 12, 5, seed=6) * 3.0e5 + 7.0).to(dtype)  # scaled and offset
    labelled = labelled_mask(400, 10, 6)
    doubt = torch.rand(400, generator=torch.Generator().manual_seed(6)).to(dtype) * 0.9
    kept = coreset_search(features, labelled, 50, doubt, True, beam_width)
    overwritten = features.clone()
    found = coreset_search(
        overwritten, labelled, 50, doubt, True, beam_width, overwrite_features=True
    )
    assert torch.equal(found.beams, kept.beams) and torch.equal(found.scores, kept.scores)
    assert found.before == kept.before and found.after == kept.after
    # the tensor now holds the working copy: the features scaled by 2^k and centred
    assert torch.equal(overwritten, make_workspace(features).points)


def test_overwriting_features_of_another_dtype_is_refused():
    features = clustered(50, 4, 3, seed=0).half()
    labelled = labelled_mask(50, 5, 0)
    with pytest.raises(ValueError, match=r"overwriting torch.float16 features is impossible"):
        coreset_search(features, labelled, 5, overwrite_features=True)
    with pytest.raises(ValueError, match="overwrite_features=1 must be True or False"):
        coreset_search(features.float(), labelled, 5, overwrite_features=1)
