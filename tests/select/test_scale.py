"""Feature scale: the engine rescales by a power of two, so picks never depend on it.

Squared distances of float32 features near 1e20 overflow (1e40 > 3.4e38) and near 1e-25
underflow (1e-50 < 1.4e-45): without the exact rescaling, both would give wrong picks.
"""

import numpy as np
import pytest
import torch
from cases import clustered, integer_ties, labelled_mask
from reference import beam as reference_beam
from reference import greedy as reference_greedy

from alcore.select import coreset_radii, coreset_search, min_distances
from alcore.select.distances import make_workspace


def dyadic_doubt(n: int, seed: int) -> torch.Tensor:
    """(n,) doubt in {0, 1/8, 1/4, 1/2}: its products with distances are exact in any dtype,
    so float32 and float64 order the weighted scores alike."""
    g = torch.Generator().manual_seed(seed)
    return torch.tensor([0.0, 0.125, 0.25, 0.5])[torch.randint(4, (n,), generator=g)]


def small_integer_case(seed: int):
    """256 float32 points of small integers (the distances are exact in float32 and float64,
    ties included), 8 labelled, dyadic doubt."""
    return integer_ties(256, 16, seed), labelled_mask(256, 8, seed), dyadic_doubt(256, seed)


# 2^66 ~ 7e19 (values up to 9: ~6e20), 2^-83 ~ 1e-25; 2^-140 makes float32 subnormals
@pytest.mark.parametrize("exponent", [66, -83, -140])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_extreme_float32_scales_give_the_float64_reference_picks(seed, weighted, exponent):
    base, labelled, doubt = small_integer_case(seed)
    features = (base.double() * 2.0**exponent).float()
    assert torch.equal(features.double() * 2.0**-exponent, base.double())  # exactly scaled
    if exponent == 66:
        assert bool(torch.isinf(features.square()).any())  # would overflow unscaled
    else:
        assert bool((features.square() == 0).any() & (features != 0).any())  # would underflow
    x, mask, weight = base.double().numpy(), labelled.numpy(), doubt.double().numpy()
    result = coreset_search(features, labelled, 40, doubt, weighted)
    assert result.picks.tolist() == reference_greedy(x, mask, 40, weight if weighted else None)
    beams = coreset_search(features, labelled, 12, doubt, weighted, beam_width=3)
    expected = reference_beam(x, mask, 12, weight, weighted, 3)
    assert beams.beams.tolist() == [b.picks for b in expected]


@pytest.mark.parametrize("exponent", [-1000, 1000])
def test_extreme_float64_scales_give_the_reference_picks(exponent):
    base, labelled, doubt = small_integer_case(seed=5)
    features = base.double() * 2.0**exponent  # 1e-301 and 1e301: squares under/overflow
    result = coreset_search(features, labelled, 40, doubt.double(), True)
    weight = doubt.double().numpy()
    expected = reference_greedy(base.double().numpy(), labelled.numpy(), 40, weight)
    assert result.picks.tolist() == expected


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("exponent", [-60, -7, 1, 5, 40])
def test_picks_are_invariant_to_a_power_of_two_and_values_scale_exactly(exponent, dtype):
    # general (non-integer) features: the working copy is the same, bit for bit
    features = clustered(500, 12, 5, seed=3).to(dtype)
    labelled = labelled_mask(500, 10, seed=3)
    doubt = torch.rand(500, generator=torch.Generator().manual_seed(3)) * 0.9
    scaled = features * 2.0**exponent
    assert torch.equal(scaled * 2.0**-exponent, features)  # exact scaling of the input
    assert torch.equal(make_workspace(scaled).points, make_workspace(features).points)
    factor = 2.0**exponent
    for weighted, width in ((False, 1), (True, 1), (True, 3)):
        ours = coreset_search(scaled, labelled, 60, doubt, weighted, width)
        theirs = coreset_search(features, labelled, 60, doubt, weighted, width)
        assert torch.equal(ours.beams, theirs.beams)
        assert torch.equal(ours.beam_u, theirs.beam_u)
        # values come back in the caller's units: exactly 2^k times as large
        assert torch.equal(ours.scores, theirs.scores * factor)
        assert ours.before.radius == theirs.before.radius * factor
        assert ours.after.weighted_radius == theirs.after.weighted_radius * factor
    found, base = min_distances(scaled, labelled), min_distances(features, labelled)
    assert torch.equal(found.distance, base.distance * factor)
    assert torch.equal(found.nearest, base.nearest)
    assert (
        coreset_radii(scaled, labelled).radius == coreset_radii(features, labelled).radius * factor
    )


def test_values_are_in_the_callers_units():
    # hand case at 1e20: distances 1e20 and 3e20 from the labelled point, exactly as float32
    unit = float(np.float32(1e20))
    features = torch.tensor([[0.0], [1.0], [3.0], [-2.0]]) * unit
    labelled = torch.tensor([True, False, False, False])
    result = coreset_search(features, labelled, 2)
    assert result.picks.tolist() == [2, 3]
    assert result.scores.tolist() == [3.0 * unit, 2.0 * unit]
    assert result.before.radius == 3.0 * unit and result.after.radius == 1.0 * unit
    small = float(np.float32(1e-25))
    tiny = torch.tensor([[0.0], [1.0], [3.0], [-2.0]]) * small
    assert coreset_search(tiny, labelled, 2).picks.tolist() == [2, 3]
    distance = min_distances(tiny, labelled).distance.tolist()
    assert distance == pytest.approx([0.0, small, 3 * small, 2 * small], rel=1e-6, abs=0.0)


def test_features_whose_distances_overflow_their_dtype_are_refused():
    features = torch.tensor([[3e38], [-3e38], [0.0]])  # distance 6e38: no float32 holds it
    labelled = torch.tensor([True, False, False])
    with pytest.raises(ValueError, match=r"distances between them can exceed.*divide the features"):
        coreset_search(features, labelled, 1)
    # each value fits, but sqrt(100) * (2e37 - -2e37) > 3.4e38 may not
    wide = torch.full((4, 100), 2e37) * torch.tensor([[1.0], [-1.0], [0.5], [0.0]])
    with pytest.raises(ValueError, match="or pass float64 features"):
        min_distances(wide, torch.tensor([True, False, False, False]))
    # the same values in float64 are fine
    result = coreset_search(features.double(), labelled, 2)
    assert result.picks.tolist() == [1, 2]
    assert result.scores.tolist() == [2 * float(np.float32(3e38)), float(np.float32(3e38))]
