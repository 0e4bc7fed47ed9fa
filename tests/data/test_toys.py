"""The 2-D toys: shapes, labels that follow their definition, and seeding by data_seed only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alcore.data import load_dataset
from alcore.data.toys import blob_centres, quadrant_of


def test_quadrant_labels_follow_the_signs_of_the_coordinates():
    points = np.array([[0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.5, -0.5], [0.0, 0.0]])
    assert quadrant_of(points).tolist() == [0, 1, 2, 3, 0]


def test_quadrants_bundle():
    b = load_dataset("quadrants", data_dir="unused")
    assert b.pool_inputs.shape == (2000, 2)
    assert b.test_inputs.shape == (1000, 2)
    assert b.input_shape == (2,)
    assert b.num_classes == 4
    assert float(b.pool_inputs.abs().max()) <= 1.0  # raw [-1, 1]^2 coordinates
    np.testing.assert_array_equal(b.pool_labels.numpy(), quadrant_of(b.pool_inputs.numpy()))
    # uniform: every quadrant gets roughly a quarter of 2000 points
    counts = np.bincount(b.pool_labels.numpy(), minlength=4)
    assert counts.min() > 400


def test_blob_centres_for_four_clusters_are_square_corners():
    centres = blob_centres(4, 2.0)
    s = np.sqrt(2.0)
    np.testing.assert_allclose(centres, [[s, s], [-s, s], [-s, -s], [s, -s]], atol=1e-12)


def test_blobs_are_balanced_and_gather_around_their_centres():
    b = load_dataset("blobs", data_dir="unused", options={"spread": 0.5})
    assert b.pool_inputs.shape == (1000, 2) and b.test_inputs.shape == (1000, 2)
    assert np.bincount(b.pool_labels.numpy()).tolist() == [250] * 4
    centres = torch.from_numpy(blob_centres(4, 2.0)).float()
    offsets = b.pool_inputs - centres[b.pool_labels]  # (N, 2)
    assert float(offsets.std()) == pytest.approx(0.5, rel=0.1)
    assert float(offsets.mean(dim=0).abs().max()) < 0.1


def test_spread_option_widens_the_clusters():
    narrow = load_dataset("blobs", data_dir="unused", options={"spread": 0.5})
    wide = load_dataset("blobs", data_dir="unused", options={"spread": 1.0})
    assert torch.equal(narrow.pool_labels, wide.pool_labels)  # same draws, scaled noise
    assert float(wide.pool_inputs.std()) > float(narrow.pool_inputs.std())


@pytest.mark.parametrize("name", ["blobs", "quadrants"])
def test_identical_reloads_whatever_the_global_rng(name):
    torch.manual_seed(0)
    np.random.seed(0)
    a = load_dataset(name, data_dir="unused")
    torch.manual_seed(7)
    np.random.seed(7)
    b = load_dataset(name, data_dir="unused")
    assert torch.equal(a.pool_inputs, b.pool_inputs)
    assert torch.equal(a.test_inputs, b.test_inputs)
    assert torch.equal(a.pool_labels, b.pool_labels)


@pytest.mark.parametrize("name", ["blobs", "quadrants"])
def test_data_seed_changes_the_data_and_pool_differs_from_test(name):
    a = load_dataset(name, data_dir="unused")
    b = load_dataset(name, data_dir="unused", options={"data_seed": 1})
    assert not torch.equal(a.pool_inputs, b.pool_inputs)
    assert not torch.equal(a.pool_inputs[:100], a.test_inputs[:100])


def test_bad_option_values_name_the_option():
    with pytest.raises(ValueError, match=r"option centers=1 must be an integer >= 2"):
        load_dataset("blobs", data_dir="unused", options={"centers": 1})
    with pytest.raises(ValueError, match=r"option n_pool=True"):
        load_dataset("quadrants", data_dir="unused", options={"n_pool": True})
