import numpy as np
import pytest
import reference_clustering as ref
import torch
from cases import labelled_mask

from alcore.select import Options, Pool, select
from alcore.select.badge import _GradientSpace, badge, gradient_factors


def pool(n, f, c, seed, dtype=torch.float32, relu=False):
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(n, f, generator=g, dtype=torch.float64)
    if relu:
        features = features.clamp(min=0.0)
    probs = (2.0 * torch.randn(n, c, generator=g, dtype=torch.float64)).softmax(dim=1)
    return features.to(dtype), probs.to(dtype), labelled_mask(n, max(1, n // 10), seed)


def uniforms(seed, count):
    return torch.rand(count, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("n", "f", "c", "budget", "seed", "relu"),
    [(80, 6, 3, 25, 0, False), (120, 12, 5, 40, 1, True), (60, 3, 10, 54, 2, False)],
)
def test_matches_the_materialised_reference(n, f, c, budget, seed, relu, dtype):
    features, probs, labelled = pool(n, f, c, seed, dtype, relu)
    found = badge(features, probs, labelled, budget, torch.Generator().manual_seed(seed))
    expected, distances = ref.badge(
        features.numpy(), probs.numpy(), labelled.numpy(), budget, uniforms(seed, budget - 1)
    )
    assert found.picks.tolist() == expected
    np.testing.assert_allclose(found.distances.numpy(), distances, rtol=1e-10, atol=1e-12)


def test_direct_distances_survive_a_large_common_offset():
    # g_k - g_c is tiny next to |g|: the expansion cancels, the direct form does not
    g = torch.Generator().manual_seed(5)
    features = 1000.0 + 1e-3 * torch.randn(40, 64, generator=g, dtype=torch.float64)
    probs = torch.full((40, 3), 0.2, dtype=torch.float64)
    probs[:, 0] = 0.6
    probs[:, 1] += 1e-4 * torch.randn(40, generator=g, dtype=torch.float64)
    probs[:, 2] = 1.0 - probs[:, 0] - probs[:, 1]
    space = _GradientSpace.of(features, probs)
    direct = space._direct(torch.arange(40), 7)
    g_ref = ref.gradient_embeddings(features.numpy(), probs.numpy())
    expected = ref.sq_dist(g_ref, g_ref[7:8])[:, 0]
    np.testing.assert_allclose(direct.numpy(), expected, rtol=1e-10, atol=1e-20)
    g_sq = space.a_sq * space.h_sq
    screened = g_sq + g_sq[7] - 2 * (space.a @ space.a[7]) * (space.h @ space.h[7])
    assert (screened - torch.as_tensor(expected)).abs().max() > 1e-10 * expected.max()
    assert float(direct[7]) < 1e-20 < abs(float(screened[7]))  # itself


def test_gradient_factors_and_the_first_centre():
    probs = torch.tensor([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    expected = [[-0.5, 0.5], [-0.1, 0.1], [0.2, -0.2]]  # argmax ties to the first class
    np.testing.assert_allclose(gradient_factors(probs).numpy(), expected, atol=1e-7)
    features = torch.tensor([[1.0, 0.0], [10.0, 0.0], [3.0, 4.0]])
    labelled = torch.tensor([False, False, False])
    generator = torch.Generator().manual_seed(0)
    state = generator.get_state()
    found = badge(features, probs, labelled, 1, generator)
    # |g| = |a| |h|: 0.707, 1.414, 1.414: the tie goes to the smaller index, no draw
    assert found.picks.tolist() == [1]
    assert found.distances.tolist() == pytest.approx([2**0.5])
    assert torch.equal(generator.get_state(), state)


def test_determinism_and_invariants():
    features, probs, labelled = pool(150, 8, 4, 3)
    p = Pool(labelled, features, probs)
    first = select("badge", p, 30, Options(generator=torch.Generator().manual_seed(1)))
    again = select("badge", p, 30, Options(generator=torch.Generator().manual_seed(1)))
    other = select("badge", p, 30, Options(generator=torch.Generator().manual_seed(2)))
    assert torch.equal(first.picks, again.picks)
    assert first.picks.tolist() != other.picks.tolist()
    assert first.picks[0] == other.picks[0]  # the largest gradient, no draw
    for result in (first, other):
        assert len(set(result.picks.tolist())) == 30
        assert not labelled[result.picks].any()
    direct = badge(features, probs, labelled, 30, torch.Generator().manual_seed(1))
    assert torch.equal(first.scores, direct.distances)


def test_budget_edges():
    features, probs, labelled = pool(50, 4, 3, 4)
    every = int((~labelled).sum())
    found = badge(features, probs, labelled, every, torch.Generator().manual_seed(0))
    assert sorted(found.picks.tolist()) == (~labelled).nonzero().squeeze(1).tolist()
    assert badge(features, probs, labelled, 0, torch.Generator()).picks.shape == (0,)
    with pytest.raises(ValueError, match=f"budget={every + 1} exceeds"):
        badge(features, probs, labelled, every + 1, torch.Generator())


def test_copies_of_a_centre_come_last_by_index():
    # three distinct gradients, then copies: once every D^2 is 0, the smallest index remains
    features = torch.tensor([[1.0, 0.0]] * 3 + [[0.0, 2.0]] * 2 + [[3.0, 3.0]], dtype=torch.float64)
    probs = torch.tensor([[0.7, 0.3]] * 6, dtype=torch.float64)
    labelled = torch.zeros(6, dtype=torch.bool)
    found = badge(features, probs, labelled, 6, torch.Generator().manual_seed(0))
    assert found.picks[0] == 5  # largest |h|
    assert {tuple(features[i].tolist()) for i in found.picks[:3].tolist()} == {
        (1.0, 0.0),
        (0.0, 2.0),
        (3.0, 3.0),
    }
    rest = sorted(set(range(6)) - set(found.picks[:3].tolist()))
    assert found.picks[3:].tolist() == rest
    assert found.distances[3:].tolist() == [0.0, 0.0, 0.0]
