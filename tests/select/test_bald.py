"""BALD against a slow, obvious reference: Python loops over points, passes and classes."""

import math

import numpy as np
import pytest
import torch

from alcore.select import Options, Pool, select
from alcore.select.bald import bald_scores


def reference_bald(mc_probs: np.ndarray) -> np.ndarray:
    """H[mean_t p_t] - mean_t H[p_t], point by point, in float64, 0 log 0 = 0."""
    passes, n_points, n_classes = mc_probs.shape

    def entropy(p: list[float]) -> float:
        return -sum(q * math.log(q) for q in p if q > 0)

    scores = []
    for i in range(n_points):
        mean = [sum(float(mc_probs[t, i, c]) for t in range(passes)) / passes
                for c in range(n_classes)]  # fmt: skip
        mean_entropy = sum(entropy([float(q) for q in mc_probs[t, i]]) for t in range(passes))
        scores.append(entropy(mean) - mean_entropy / passes)
    return np.maximum(np.array(scores), 0.0)


def random_passes(passes: int, n_points: int, n_classes: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(passes, n_points, n_classes, generator=g, dtype=torch.float64)
    return logits.softmax(dim=2)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("passes", "n_classes"), [(1, 3), (5, 2), (20, 10)])
def test_scores_match_the_reference(passes, n_classes, dtype):
    mc = random_passes(passes, 60, n_classes, seed=passes * 10 + n_classes).to(dtype)
    scores = bald_scores(mc)
    assert scores.dtype == torch.float64 and scores.shape == (60,)
    np.testing.assert_allclose(scores.numpy(), reference_bald(mc.double().numpy()), atol=1e-12)
    assert bool((scores >= 0).all()) and bool((scores <= math.log(n_classes) + 1e-12).all())
    if passes == 1:  # one pass cannot disagree with itself
        assert bool((scores == 0).all())


def test_known_values():
    confident_disagreeing = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])  # (2 passes, 1, 2)
    agreeing_unsure = torch.tensor([[[0.5, 0.5]], [[0.5, 0.5]]])
    assert bald_scores(confident_disagreeing).item() == pytest.approx(math.log(2), abs=1e-15)
    assert bald_scores(agreeing_unsure).item() == 0.0  # unsure, but the weights agree


def test_selection_takes_the_largest_scores_ties_to_the_smaller_index():
    mc = random_passes(8, 40, 4, seed=3)
    mc[:, 10] = mc[:, 20]  # a tie between points 10 and 20
    labelled = torch.zeros(40, dtype=torch.bool)
    labelled[[0, 5, 7]] = True
    result = select("bald", Pool(labelled, mc_probs=mc), 12)
    reference = reference_bald(mc.numpy())
    candidates = [i for i in range(40) if not labelled[i]]
    expected = sorted(candidates, key=lambda i: (-reference[i], i))[:12]
    assert result.picks.tolist() == expected
    np.testing.assert_allclose(result.scores.numpy(), reference[expected], atol=1e-12)
    # with features, the radii diagnostics are reported like every other kind's
    features = torch.randn(40, 3, generator=torch.Generator().manual_seed(1))
    with_radii = select("bald", Pool(labelled, features, mc_probs=mc), 12)
    assert torch.equal(with_radii.picks, result.picks)
    assert with_radii.after is not None and with_radii.before is not None
    assert with_radii.after.radius <= with_radii.before.radius


def test_refusals_name_the_problem():
    labelled = torch.tensor([True, False, False, False, False])
    with pytest.raises(ValueError, match="needs mc_probs"):
        select("bald", Pool(labelled, probs=torch.full((5, 2), 0.5)), 1)
    with pytest.raises(ValueError, match=r"\(T, N, C\)"):
        bald_scores(torch.full((5, 2), 0.5))
    with pytest.raises(ValueError, match="softmax"):
        bald_scores(torch.randn(3, 5, 2))  # logits
    with pytest.raises(ValueError, match=r"mc_probs must be \(T, N, C\)"):
        select("bald", Pool(labelled, mc_probs=torch.full((5, 2), 0.5)), 1)
    with pytest.raises(ValueError, match="rows"):  # passes over another pool
        select("bald", Pool(labelled, mc_probs=torch.full((3, 6, 2), 0.5)), 1)
    with pytest.raises(ValueError, match="coreset kind only"):
        select("bald", Pool(labelled, mc_probs=torch.full((3, 5, 2), 0.5)), 1,
               Options(weighted=True))  # fmt: skip
