import math

import numpy as np
import pytest
import reference_clustering as ref
import torch
from cases import clustered, labelled_mask

from alcore.select import Options, Pool, select
from alcore.select import typiclust as module
from alcore.select.typiclust import _most_typical, cluster_order, typiclust


def uniforms(seed, count):
    return torch.rand(count, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("n", "d", "groups", "n_labelled", "budget", "seed"),
    [(150, 6, 5, 4, 6, 0), (200, 10, 8, 10, 15, 1), (120, 3, 3, 2, 40, 2)],
)
def test_matches_the_reference(n, d, groups, n_labelled, budget, seed, dtype):
    features = clustered(n, d, groups, seed=seed, spread=2.0).to(dtype)
    labelled = labelled_mask(n, n_labelled, seed)
    found = typiclust(features, labelled, budget, torch.Generator().manual_seed(seed))
    k = min(n_labelled + budget, 500)
    picks, values = ref.typiclust(features.numpy(), labelled.numpy(), budget, uniforms(seed, k))
    assert found.picks.tolist() == picks
    # float32: the normalised features are rounded to float32, the reference's are not
    rtol = 1e-4 if dtype == torch.float32 else 1e-10
    np.testing.assert_allclose(found.typicality.numpy(), values, rtol=rtol)


def test_most_typical_by_hand():
    # 0, 1, 2, 10 on a line: K = 2; mean squared distances to the 2 nearest:
    # 0: (1 + 4) / 2, 1: (1 + 1) / 2, 2: (1 + 4) / 2, 10: (64 + 81) / 2
    points = torch.tensor([[0.0], [1.0], [2.0], [10.0]], dtype=torch.float64)
    best, value = _most_typical(points, torch.arange(4))
    assert best == 1 and value == pytest.approx(1 / (1.0 + 1e-5))
    assert _most_typical(points, torch.tensor([3])) == (0, pytest.approx(float("nan"), nan_ok=True))
    # ties go to the first position: 0 and 2 are symmetric without 1
    assert _most_typical(points, torch.tensor([0, 2]))[0] == 0


def test_cluster_order():
    labels = torch.tensor([0] * 7 + [1] * 9 + [2] * 3 + [3] * 9 + [4] * 8)
    labelled = torch.zeros(36, dtype=torch.bool)
    labelled[[0, 7]] = True  # one in cluster 0, one in cluster 1
    kept, dropped = cluster_order(labels, labelled, 5)
    assert kept.tolist() == [3, 4, 1, 0]  # no labels first (larger first), then by size
    assert dropped.tolist() == [2]


def test_the_cluster_cap(monkeypatch):
    monkeypatch.setattr(module, "MAX_CLUSTERS", 4)
    features = clustered(100, 4, 6, seed=3, spread=1.0)
    labelled = labelled_mask(100, 5, 3)
    found = typiclust(features, labelled, 10, torch.Generator().manual_seed(0))
    assert found.clusters is not None and found.clusters.sizes.shape == (4,)
    # budget > clusters: the cycle comes back to the first cluster
    assert len(set(found.picks.tolist())) == 10


def test_determinism_invariants_and_every_point():
    features = clustered(160, 5, 6, seed=4, spread=1.5)
    labelled = labelled_mask(160, 8, 4)
    p = Pool(labelled, features)
    first = select("typiclust", p, 20, Options(generator=torch.Generator().manual_seed(1)))
    again = select("typiclust", p, 20, Options(generator=torch.Generator().manual_seed(1)))
    other = select("typiclust", p, 20, Options(generator=torch.Generator().manual_seed(2)))
    assert torch.equal(first.picks, again.picks)
    assert first.picks.tolist() != other.picks.tolist()
    for result in (first, other):
        assert len(set(result.picks.tolist())) == 20
        assert not labelled[result.picks].any()
    # every unlabelled point: small clusters dropped at first join at the end
    every = typiclust(features, labelled, 152, torch.Generator().manual_seed(0))
    assert sorted(every.picks.tolist()) == (~labelled).nonzero().squeeze(1).tolist()
    assert math.isnan(float(every.typicality[-1]))
    assert typiclust(features, labelled, 0, torch.Generator()).picks.shape == (0,)
