import numpy as np
import pytest
import torch
from cases import clustered, integer_ties, labelled_mask, vgg_like
from reference import min_distance as reference_min_distance
from reference import squared_to_centers
from torch import Tensor

from alcore.select import distances, min_distances
from alcore.select.distances import (
    error_bound,
    exact_pairs64,
    expanded_squared,
    in_feature_units,
    kept_norms,
    lower_distances,
    lower_gap,
    lower_squared,
    lower_squared_to_one,
    make_workspace,
    nearest_anchor,
)


def test_points_on_a_line_by_hand():
    features = torch.tensor([[0.0], [1.0], [2.5], [10.0], [4.0]])
    labelled = torch.tensor([True, False, False, False, True])
    result = min_distances(features, labelled)
    assert result.distance.tolist() == pytest.approx([0.0, 1.0, 1.5, 6.0, 0.0], abs=1e-5)
    assert result.nearest.tolist() == [0, 0, 4, 4, 4]


@pytest.mark.parametrize("block_size", [1, 3, 7, 64, 2048])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blocks_agree_with_reference(block_size, seed):
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(150, 6, generator=g)
    labelled = labelled_mask(150, 11, seed)
    result = min_distances(features, labelled, block_size=block_size)
    expected = reference_min_distance(features.numpy(), labelled.numpy())
    np.testing.assert_allclose(result.distance.numpy(), expected, rtol=1e-5, atol=1e-5)
    # the reported nearest centre is labelled and attains the distance
    assert bool(labelled[result.nearest].all())
    attained = (features - features[result.nearest]).norm(dim=1)
    np.testing.assert_allclose(attained.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_far_from_origin_stays_accurate():
    # a big common offset ruins the naive |x|^2 + |c|^2 - 2 x.c expansion in float32
    features = clustered(300, 32, 4, seed=3) + 1e4
    labelled = labelled_mask(300, 20, 3)
    result = min_distances(features, labelled, block_size=64)
    expected = reference_min_distance(features.double().numpy(), labelled.numpy())
    np.testing.assert_allclose(result.distance.numpy(), expected, rtol=1e-4, atol=1e-3)


def test_input_is_not_modified():
    features = torch.randn(40, 3)
    copy = features.clone()
    min_distances(features, labelled_mask(40, 4, 0))
    assert torch.equal(features, copy)


def brute_force(features: torch.Tensor, labelled: torch.Tensor) -> tuple[Tensor, Tensor]:
    """Direct float64 distances of every (point, centre) pair of the working points, with the
    engine's own direct kernel: (N,) the smallest, rounded to the features' dtype (in the
    features' units), and (N,) the smallest labelled index attaining it."""
    space = make_workspace(features)
    centers = labelled.nonzero().squeeze(1)
    n, n_centers = features.shape[0], centers.shape[0]
    rows = torch.arange(n).repeat_interleave(n_centers)
    cols = centers.repeat(n)
    direct = exact_pairs64(space.points, rows, space.points, cols).view(n, n_centers)
    distance = direct.min(dim=1).values
    first = (direct == distance[:, None]).int().argmax(dim=1)  # first minimum
    nearest = centers[first]
    distance[centers], nearest[centers] = 0.0, centers
    return in_feature_units(space, distance.to(space.points.dtype)), nearest


def old_screen_ambiguous_fraction(features: torch.Tensor, labelled: torch.Tensor) -> float:
    """Share of rows whose runner-up the plain expansion and its margin cannot rule out."""
    space = make_workspace(features)
    centers = labelled.nonzero().squeeze(1)
    sq, center_sq = space.sq_norms, space.sq_norms[centers]
    screened = expanded_squared(space.points, sq, space.points[centers], center_sq)
    margin = error_bound(space, sq[:, None], center_sq[None, :])
    upper = (screened + margin).min(dim=1, keepdim=True).values
    return float(((screened - margin <= upper).sum(dim=1) > 1).float().mean())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("dim", "block_size"), [(2048, 64), (4096, 1024)])
@pytest.mark.parametrize("kind", ["vgg-like", "two tight clusters"])
def test_high_dimension_concentrated_distances(kind, dim, block_size, dtype):
    if kind == "vgg-like":
        features = vgg_like(400, dim, seed=dim)
    else:  # distances of ~1 between points of norm ~500: float32 products are off by more
        features = clustered(400, dim, 2, seed=dim, spread=0.01)
    features = features.to(dtype)
    labelled = labelled_mask(400, 100, seed=1)
    # the case is hard: the plain float32 screen leaves most rows undecided
    assert old_screen_ambiguous_fraction(features.float(), labelled) > 0.5
    result = min_distances(features, labelled, block_size=block_size)
    # exactly what float64 direct distances to every centre give, ties to the smallest index
    distance, nearest = brute_force(features, labelled)
    assert torch.equal(result.distance, distance)
    assert torch.equal(result.nearest, nearest)
    # and what float64 on the input decides (the working copy is centred in float32)
    x = features.double().numpy()
    expected = np.sqrt(squared_to_centers(x, labelled.numpy()).min(axis=1))
    rtol = 1e-5 if dtype == torch.float32 else 1e-12
    np.testing.assert_allclose(result.distance.numpy(), expected, rtol=rtol)
    attained = np.linalg.norm(x - x[result.nearest.numpy()], axis=1)
    np.testing.assert_allclose(attained, expected, rtol=rtol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("block_size", [16, 100, 1024])
def test_exact_ties_and_near_ties(block_size, dtype):
    features = integer_ties(512, 2048, seed=3).to(dtype)  # every step exact in float32
    labelled = labelled_mask(512, 128, seed=3)
    centers = labelled.nonzero().squeeze(1)
    # a duplicated centre in a later block, an unlabelled copy of it and a point next to it
    free = (~labelled).nonzero().squeeze(1)
    features[centers[100]] = features[centers[3]]
    features[free[0]] = features[centers[3]]
    features[free[1]] = features[centers[3]]
    features[free[1], 0] += 1.0
    exact_sq = squared_to_centers(features.double().numpy(), labelled.numpy())
    np.testing.assert_array_equal(exact_sq, np.rint(exact_sq))  # integers, computed exactly
    lowest = exact_sq.min(axis=1)
    assert ((exact_sq == lowest[:, None]).sum(axis=1) > 1).sum() > 30  # exact ties
    assert ((exact_sq <= lowest[:, None] + 1).sum(axis=1) > 1).sum() > 100  # gaps of 1
    result = min_distances(features, labelled, block_size=block_size)
    first = centers.numpy()[(exact_sq == lowest[:, None]).argmax(axis=1)]
    first[centers.numpy()] = centers.numpy()
    assert result.nearest.tolist() == first.tolist()
    expected = np.sqrt(np.where(labelled.numpy(), 0.0, lowest))
    assert result.distance.tolist() == expected.astype(result.distance.numpy().dtype).tolist()
    assert int(result.nearest[free[0]]) == int(result.nearest[free[1]]) == int(centers[3])


def record_anchor_groups(monkeypatch, anchors: int = 32) -> list[float]:
    """Let the first pass try ``anchors`` anchors whatever its size; returns, for each try
    that grouped the rows, the share of (row, centre) pairs the groups kept."""
    monkeypatch.setattr(distances, "_ANCHORS", anchors)
    monkeypatch.setattr(distances, "_ANCHOR_PAIRS", 0)
    original = distances._anchor_groups
    kept = []

    def recording(space, centers):
        groups = original(space, centers)
        if groups is not None:
            pairs = sum(rows.shape[0] * cols.shape[0] for rows, cols in groups)
            kept.append(pairs / (space.points.shape[0] * centers.shape[0]))
        return groups

    monkeypatch.setattr(distances, "_anchor_groups", recording)
    return kept


def ties_with_copies(n: int, d: int, labelled: Tensor) -> Tensor:
    """:func:`integer_ties` with a centre copied into a later one and into two free rows."""
    features = integer_ties(n, d, seed=3)
    centers, free = labelled.nonzero().squeeze(1), (~labelled).nonzero().squeeze(1)
    features[centers[60]] = features[centers[3]]
    features[free[:2]] = features[centers[3]].clone()
    return features


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("block_size", [16, 1024])
@pytest.mark.parametrize("kind", ["clustered", "vgg-like", "ties"])
def test_anchor_groups_give_what_direct_distances_give(monkeypatch, kind, block_size, dtype):
    labelled = labelled_mask(512, 100, seed=4)
    features = {
        "clustered": lambda: clustered(512, 64, 12, seed=4, spread=1.0),
        "vgg-like": lambda: vgg_like(512, 256, seed=4),
        "ties": lambda: ties_with_copies(512, 256, labelled),
    }[kind]().to(dtype)
    kept = record_anchor_groups(monkeypatch)
    result = min_distances(features, labelled, block_size=block_size)
    assert len(kept) == 1 and kept[0] < 0.5  # the anchors ruled most pairs out
    distance, nearest = brute_force(features, labelled)
    assert torch.equal(result.distance, distance)
    assert torch.equal(result.nearest, nearest)


def test_structureless_features_skip_the_anchors(monkeypatch):
    features = torch.randn(512, 512, generator=torch.Generator().manual_seed(5))
    labelled = labelled_mask(512, 100, seed=5)
    kept = record_anchor_groups(monkeypatch)
    tiles = []
    monkeypatch.setattr(distances, "_tile_min", counting_calls(distances._tile_min, tiles))
    result = min_distances(features, labelled, block_size=64)
    assert kept == []  # every anchor is about as far from every centre
    # the whole pool against every centre
    assert sum(points.shape[0] * block.cols.shape[0] for _, points, _, block, *_ in tiles) == (
        512 * 100
    )
    distance, nearest = brute_force(features, labelled)
    assert torch.equal(result.distance, distance) and torch.equal(result.nearest, nearest)


def counting_calls(function, calls: list):
    def counted(*args):
        calls.append(args)
        return function(*args)

    return counted


@pytest.mark.parametrize("few", [8, 0])
def test_only_candidate_pairs_are_computed_directly(monkeypatch, few):
    # few=0 forces the float64 re-screen of every row the float32 screen leaves undecided
    monkeypatch.setattr(distances, "_FEW_CANDIDATES", few)
    features = vgg_like(400, 4096, seed=5)
    labelled = labelled_mask(400, 100, seed=5)
    counted = []
    screened64 = []

    def counting(left, left_rows, right, right_rows):
        counted.append(left_rows.shape[0])
        return exact_pairs64(left, left_rows, right, right_rows)

    def float64_screen(tile, block, local_rows, earlier, slack):
        screened64.append(local_rows.shape[0])
        return float64_candidates(tile, block, local_rows, earlier, slack)

    float64_candidates = distances._float64_candidates
    monkeypatch.setattr(distances, "exact_pairs64", counting)
    monkeypatch.setattr(distances, "_float64_candidates", float64_screen)
    result = min_distances(features, labelled, block_size=1024)
    # the old pass recomputed each undecided row against the whole tile (100 pairs)
    assert counted and sum(counted) <= max(few, 2) * 400
    # the float64 screen runs only when the candidates are many, on the undecided rows only
    assert (0 < sum(screened64) < 400) if few == 0 else not screened64
    distance, nearest = brute_force(features, labelled)
    assert torch.equal(result.distance, distance) and torch.equal(result.nearest, nearest)


def test_progress_counts_tiles():
    features = torch.randn(100, 5, generator=torch.Generator().manual_seed(0))
    labelled = labelled_mask(100, 30, seed=0)
    calls = []
    with_progress = min_distances(
        features, labelled, block_size=16, progress=lambda *call: calls.append(call)
    )
    total = 7 * 2  # ceil(100 / 16) row blocks x ceil(30 / 16) blocks of centres
    assert calls == [("min-distance", done, total) for done in range(1, total + 1)]
    assert all(type(done) is int and type(t) is int for _, done, t in calls)
    without = min_distances(features, labelled, block_size=16)
    assert torch.equal(with_progress.distance, without.distance)
    assert torch.equal(with_progress.nearest, without.nearest)


@pytest.mark.parametrize("n_distinct", [1, 7, 60])
def test_copies_of_rows_give_what_direct_distances_give(n_distinct):
    # a collapsed model embeds many images identically: every such pair ties exactly
    g = torch.Generator().manual_seed(n_distinct)
    prototypes = torch.randn(n_distinct, 64, generator=g)
    features = prototypes[torch.randint(0, n_distinct, (300,), generator=g)]
    labelled = labelled_mask(300, 40, seed=n_distinct)
    assert distances._distinct_rows(make_workspace(features)) is not None  # the copies path
    result = min_distances(features, labelled, block_size=16)
    distance, nearest = brute_force(features, labelled)
    assert torch.equal(result.distance, distance) and torch.equal(result.nearest, nearest)
    copies = (features[:, None, :] == features[None, labelled, :]).all(dim=2)  # (N, L)
    centers = labelled.nonzero().squeeze(1)
    on_a_center = copies.any(dim=1) & ~labelled  # a centre itself is its own nearest
    smallest = centers[copies.int().argmax(dim=1)]  # the smallest identical centre index
    assert torch.equal(result.nearest[on_a_center], smallest[on_a_center])
    assert bool((result.distance[on_a_center] == 0).all())


def test_distinct_rows_are_not_deduplicated():
    features = torch.randn(200, 16, generator=torch.Generator().manual_seed(0))
    assert distances._distinct_rows(make_workspace(features)) is None


def test_at_most_finds_what_a_comparison_and_nonzero_find():
    g = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        values = torch.randn(37, 53, generator=g, dtype=dtype)
        limits = torch.randn(37, generator=g, dtype=dtype)
        values[3, 5] = limits[3]  # equality counts
        limits[7] = float("inf")  # a whole row
        for tile in (values, values[:, ::2]):  # contiguous and strided
            rows, cols = distances.at_most(tile, limits)
            expect = (tile <= limits[:, None]).nonzero(as_tuple=True)
            assert rows.dtype == cols.dtype == torch.int64
            assert torch.equal(rows, expect[0]) and torch.equal(cols, expect[1])
            assert (rows == 7).sum() == tile.shape[1]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["gaussian", "far clusters", "vgg-like", "copies"])
def test_screen_limits_hold_every_squared_distance(kind, dtype):
    # the screens' only promise: lower <= |x - c|^2 <= lower + gap, for the matrix form and
    # the one-centre form a pick uses, against float64 differences (exact up to ~D 2^-53)
    g = torch.Generator().manual_seed(7)
    if kind == "gaussian":
        features = torch.randn(300, 64, generator=g)
    elif kind == "far clusters":  # |x| ~ 300, distances ~ 0.1: the margin is what matters
        features = clustered(300, 256, 3, seed=7, spread=0.01) + 300.0
    elif kind == "vgg-like":
        features = vgg_like(300, 512, seed=7)
    else:  # exact copies: distances of 0
        features = integer_ties(300, 16, seed=7)[torch.randint(300, (300,), generator=g)]
    space = make_workspace(features.to(dtype))
    points, sq = space.points, space.sq_norms
    centers = torch.arange(0, 300, 7)
    exact = (points.double()[:, None, :] - points.double()[centers][None, :, :]).square()
    squared = exact.sum(dim=2)  # (N, C)
    slack = 1.0 + 4.0 * points.shape[1] * 2.0**-53
    lower = lower_squared(space, points, sq, points[centers] * -2.0, sq[centers]).double()
    gap = lower_gap(space, sq[:, None], sq[centers][None, :]).double()
    assert bool((lower <= squared * slack).all())
    assert bool((lower + gap >= squared / slack).all())
    kept = kept_norms(space, sq)
    for column, center in enumerate(centers.tolist()):
        one = lower_squared_to_one(
            space, points, kept, points[center] * -2.0, sq[center : center + 1]
        )
        assert bool((one.double() <= squared[:, column] * slack).all())
        assert bool((one.double() + gap[:, column] >= squared[:, column] / slack).all())
    # the anchors' forms: lower limits of the distances, and an upper limit of the distance
    # to the nearest anchor by those upper limits
    distance = squared.sqrt()
    apart = lower_distances(space, points, sq, points[centers] * -2.0, sq[centers])
    assert bool((apart <= distance * slack).all())
    anchor, reach = nearest_anchor(space, points, sq, points[centers] * -2.0, sq[centers])
    assert bool((reach >= distance[torch.arange(300), anchor] / slack).all())
    upper = (lower + gap).clamp(min=0.0).sqrt()
    assert torch.equal(anchor, upper.argmin(dim=1))
