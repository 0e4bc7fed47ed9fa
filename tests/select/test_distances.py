import numpy as np
import pytest
import torch
from cases import clustered, labelled_mask
from reference import min_distance as reference_min_distance

from alcore.select import min_distances


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
