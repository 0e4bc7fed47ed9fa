"""The scikit-learn digits: fixed stratified split, standardised 1x8x8 inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from alcore.data import load_dataset
from alcore.data.splits import stratified_split


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", data_dir="unused")


def test_shapes_and_counts(digits):
    assert digits.pool_inputs.shape == (1346, 1, 8, 8)
    assert digits.test_inputs.shape == (451, 1, 8, 8)
    assert digits.input_shape == (1, 8, 8)
    assert digits.num_classes == 10
    assert digits.class_names[7] == "7"


def test_pool_is_standardised_and_test_uses_pool_statistics(digits):
    assert abs(float(digits.pool_inputs.mean())) < 1e-5
    assert float(digits.pool_inputs.std(correction=0)) == pytest.approx(1.0, abs=1e-4)
    # the test set was scaled with the pool's statistics, so its mean is near but not exactly 0
    assert 0 < abs(float(digits.test_inputs.mean())) < 0.1


def test_split_is_stratified_and_covers_the_data(digits):
    raw = load_digits()
    pool_counts = np.bincount(digits.pool_labels.numpy(), minlength=10)
    test_counts = np.bincount(digits.test_labels.numpy(), minlength=10)
    np.testing.assert_array_equal(pool_counts + test_counts, np.bincount(raw.target))
    np.testing.assert_array_equal(test_counts, np.floor(0.25 * np.bincount(raw.target) + 0.5))


def test_rows_are_the_raw_images_of_the_fixed_split(digits):
    raw = load_digits()
    pool, test = stratified_split(raw.target, 0.25, seed=0)
    scaled = raw.data[pool].reshape(-1, 1, 8, 8) / 16.0
    expected = (scaled - scaled.mean()) / scaled.std()
    np.testing.assert_allclose(digits.pool_inputs.numpy(), expected, atol=1e-5)
    np.testing.assert_array_equal(digits.pool_labels.numpy(), raw.target[pool])
    np.testing.assert_array_equal(digits.test_labels.numpy(), raw.target[test])


def test_identical_reloads_whatever_the_global_rng(digits):
    torch.manual_seed(7)
    np.random.seed(7)
    again = load_dataset("digits", data_dir="unused")
    assert torch.equal(digits.pool_inputs, again.pool_inputs)
    assert torch.equal(digits.pool_labels, again.pool_labels)
    assert torch.equal(digits.test_inputs, again.test_inputs)


def test_test_fraction_option(digits):
    half = load_dataset("digits", data_dir="unused", options={"test_fraction": 0.5})
    assert half.n_test > digits.n_test
    assert half.n_pool + half.n_test == 1797
    with pytest.raises(ValueError, match=r"test_fraction=1\.5"):
        load_dataset("digits", data_dir="unused", options={"test_fraction": 1.5})


def test_reading_the_bundled_csv_equals_scikit_learn():
    from sklearn.datasets import load_digits

    from alcore.bundled import read_digits

    pixels, target = read_digits()
    raw = load_digits()
    assert np.array_equal(pixels, raw.data) and np.array_equal(target, raw.target)
