"""The triangle-inequality pruning shared by greedy and beam search (alcore.select._prune)."""

import numpy as np
import pytest
import torch
from cases import clustered, labelled_mask, vgg_like

from alcore.select import _prune
from alcore.select._backoff import Backoff
from alcore.select._prune import center_lower_limits, rows_to_update
from alcore.select.distances import _min_distances, make_workspace


@pytest.mark.parametrize("offset", [0.0, 300.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_center_lower_limits_never_exceed_the_distances(dtype, offset):
    # tight clusters far from the origin: the screened products alone are off by more
    features = (clustered(300, 64, 6, seed=1, spread=0.02) + offset).to(dtype)
    space = make_workspace(features)
    points, sq = space.points[:200], space.sq_norms[:200]
    lower = center_lower_limits(space, points, sq, space.points[200:], space.sq_norms[200:])
    exact = torch.cdist(points.double(), space.points[200:].double())  # (200, 100)
    assert lower.shape == (200, 100) and lower.dtype == dtype
    assert bool((lower.double() <= exact).all())
    if offset == 0.0:  # near the origin they are tight for centres of other clusters
        far = exact > 1.0
        assert bool(far.any()) and bool((lower.double()[far] >= exact[far] * 0.999).all())


def test_rows_to_update_keeps_every_row_a_beam_may_lower():
    # 2 beams x 20 rows; rows 6.. are far from every new centre (bound 9 >= 2 m = 2)
    bound = torch.full((2, 20), 9.0)
    min_distance = torch.ones(2, 20)
    bound[0, :6] = torch.tensor([1.0, 5.0, 2.0, 9.0, 0.0, 4.0])
    min_distance[0, :6] = torch.tensor([1.0, 2.0, 1.0, 4.0, 0.0, 3.0])
    bound[1, 5] = 1.0
    # beam 0: 1 < 2 kept, 5 >= 4, 2 = 2 m kept (the margin covers m's rounding), 9 >= 8,
    # 0 < 0 is false (a centre), 4 < 6 kept; beam 1: row 5 only (1 < 2)
    rows = rows_to_update(bound, min_distance, Backoff(enabled=True))
    assert rows is not None and rows.tolist() == [0, 2, 5]
    strict = (bound < 2.0 * min_distance).any(dim=0).nonzero().squeeze(1).tolist()
    assert strict == [0, 5]  # without the margin row 2 would be skipped


def test_rows_to_update_falls_back_to_dense_and_backs_off(monkeypatch):
    monkeypatch.setattr(_prune, "_DENSE_FRACTION", 0.3)
    backoff = Backoff(enabled=True)
    m = torch.ones(1, 10)
    few = torch.full((1, 10), 5.0)
    few[0, 3] = 0.0
    assert rows_to_update(few, m, backoff).tolist() == [3]  # 1 row in 10: prune
    assert rows_to_update(torch.zeros(1, 10), m, backoff) is None  # every row: dense
    assert not backoff.should_try()  # and skip the next try
    assert backoff.should_try()


@pytest.mark.parametrize("kind", ["clustered", "vgg-like"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_bound_keeps_every_row_the_new_centre_lowers(kind, dtype):
    n = 1500
    features = clustered(n, 16, 8, seed=2) if kind == "clustered" else vgg_like(n, 256, seed=2)
    features = features.to(dtype)
    labelled = labelled_mask(n, 25, seed=2)
    space = make_workspace(features)
    centers = labelled.nonzero().squeeze(1)
    start = _min_distances(space, centers, 256)
    slot = torch.full((n,), -1, dtype=torch.int64)
    slot[centers] = torch.arange(centers.shape[0])
    kept_share = []
    for new in (~labelled).nonzero().squeeze(1)[::50].tolist():
        center, center_sq = space.points[new : new + 1], space.sq_norms[new : new + 1]
        lower = center_lower_limits(space, space.points[centers], space.sq_norms[centers],
                                    center, center_sq)  # fmt: skip
        bound = lower[slot[start.nearest], 0]  # (N,)
        backoff = Backoff(enabled=True)
        rows = rows_to_update(bound[None], start.distance[None], backoff)
        # the rows the new centre really lowers, by float64 direct distances
        direct = torch.cdist(space.points.double(), center.double()).squeeze(1)
        lowered = (direct < start.distance.double()).nonzero().squeeze(1)
        if rows is None:  # dense: nothing skipped
            continue
        assert set(lowered.tolist()) <= set(rows.tolist())
        kept_share.append(rows.shape[0] / n)
    if kind == "clustered":  # and on clustered data the bound rules most rows out
        assert kept_share and np.mean(kept_share) < 0.3
