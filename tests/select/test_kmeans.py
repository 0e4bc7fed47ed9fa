import pytest
import reference_clustering as ref
import torch
from cases import clustered, integer_ties, labelled_mask

from alcore.select import Options, Pool, select
from alcore.select.distances import make_workspace
from alcore.select.kmeans import (
    _assign,
    d2_sample,
    kmeans_plusplus,
    kmeans_selection,
    lloyd,
)


def uniforms(seed, count):
    return torch.rand(count, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def gaussian(n, d, seed, dtype):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed)).to(dtype)


def test_d2_sample_by_hand():
    weights = torch.tensor([0.0, 1.0, 0.0, 3.0], dtype=torch.float64)
    everyone = torch.ones(4, dtype=torch.bool)
    assert d2_sample(weights, everyone, 0.0) == 1  # weight 0 is never drawn
    assert d2_sample(weights, everyone, 0.2499) == 1
    assert d2_sample(weights, everyone, 0.25) == 3  # cumulative 1 does not exceed 0.25 * 4
    assert d2_sample(weights, everyone, 1.0 - 2**-53) == 3
    assert d2_sample(weights, torch.tensor([True, False, True, True]), 0.0) == 3
    assert (
        d2_sample(
            torch.zeros(4, dtype=torch.float64), everyone.flip(0) & (torch.arange(4) > 1), 0.7
        )
        == 2
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("features", "n_labelled", "budget", "seed"),
    [
        (clustered(120, 5, 6, seed=1), 12, 8, 0),
        (clustered(150, 16, 4, seed=2), 10, 20, 1),
        (gaussian(90, 3, 3, torch.float64), 5, 30, 2),
        (gaussian(60, 8, 4, torch.float64), 20, 40, 3),  # every unlabelled point
    ],
)
def test_matches_the_reference(features, n_labelled, budget, seed, dtype):
    features = features.to(dtype)
    labelled = labelled_mask(features.shape[0], n_labelled, seed)
    found = kmeans_selection(features, labelled, budget, torch.Generator().manual_seed(seed))
    picks, sizes = ref.kmeans(features.numpy(), labelled.numpy(), budget, uniforms(seed, budget))
    assert found.picks.tolist() == picks
    assert found.sizes.tolist() == sizes


def test_plusplus_matches_the_reference_and_takes_every_row():
    x = gaussian(70, 4, 5, torch.float32)
    space = make_workspace(x)
    u = uniforms(7, 70)
    seeds = kmeans_plusplus(space, 70, u)
    assert seeds.tolist() == ref.kmeans_plusplus(x.numpy(), 70, u.numpy())
    assert sorted(seeds.tolist()) == list(range(70))


def test_assignment_is_exact_on_ties():
    # small integers: every squared distance is exact, many tie; the float32 screen cannot
    # separate them, the direct float64 distances must (ties to the smaller centre)
    x = integer_ties(256, 24, seed=3)
    space = make_workspace(x)
    centers = space.points[torch.arange(0, 256, 9)].double()
    centers[1] = centers[0]  # a duplicate centre: never wins
    labels = _assign(space, centers)
    d2 = ((space.points.double()[:, None, :] - centers[None]) ** 2).sum(dim=2)
    assert torch.equal(labels, d2.argmin(dim=1))  # first minimum
    assert not bool((labels == 1).any())


def test_lloyd_ends_at_a_fixed_point():
    x = clustered(200, 6, 5, seed=4)
    space = make_workspace(x)
    result = lloyd(space, kmeans_plusplus(space, 5, uniforms(1, 5)))
    assert result.iterations < 100
    assert torch.equal(_assign(space, result.centers), result.labels)
    for c in range(5):
        members = space.points[result.labels == c].double()
        torch.testing.assert_close(result.centers[c], members.mean(dim=0))
    assert int(result.sizes.sum()) == 200


def test_determinism_and_invariants():
    x = clustered(200, 6, 8, seed=5)
    labelled = labelled_mask(200, 15, 5)
    p = Pool(labelled, x)
    first = select("kmeans", p, 25, Options(generator=torch.Generator().manual_seed(1)))
    again = select("kmeans", p, 25, Options(generator=torch.Generator().manual_seed(1)))
    other = select("kmeans", p, 25, Options(generator=torch.Generator().manual_seed(2)))
    assert torch.equal(first.picks, again.picks)
    assert first.picks.tolist() != other.picks.tolist()
    for result in (first, other):
        assert len(set(result.picks.tolist())) == 25
        assert not labelled[result.picks].any()
        assert bool((result.scores[:-1] >= result.scores[1:]).all())  # sizes, descending


def test_copies_give_distinct_picks():
    # 3 distinct rows, each copied: k = 6 centres share nearest rows; picks stay distinct
    x = torch.tensor([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]).repeat(3, 1)
    labelled = torch.zeros(9, dtype=torch.bool)
    labelled[0] = True
    found = kmeans_selection(x, labelled, 6, torch.Generator().manual_seed(0))
    assert len(set(found.picks.tolist())) == 6
    assert not bool(labelled[found.picks].any())
    every = kmeans_selection(x, labelled, 8, torch.Generator().manual_seed(0))
    assert sorted(every.picks.tolist()) == list(range(1, 9))


def test_budget_zero_and_too_large():
    x = clustered(30, 3, 2, seed=6)
    labelled = labelled_mask(30, 5, 6)
    generator = torch.Generator().manual_seed(0)
    assert kmeans_selection(x, labelled, 0, generator).picks.shape == (0,)
    with pytest.raises(ValueError, match="budget=26 exceeds the 25 unlabelled points"):
        kmeans_selection(x, labelled, 26, generator)
