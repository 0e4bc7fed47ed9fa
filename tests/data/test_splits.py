"""`stratified_split`: invariants and a hand-checked case."""

from __future__ import annotations

import numpy as np
import pytest

from alcore.data.splits import stratified_split


def test_hand_computed_counts():
    labels = np.array([0] * 4 + [1] * 2 + [2] * 1)
    pool, test = stratified_split(labels, 0.25, seed=0)
    # class 0: floor(1.5)=1 test item; class 1: floor(1.0)=1; class 2: floor(0.75)=0
    assert np.bincount(labels[test], minlength=3).tolist() == [1, 1, 0]
    assert len(pool) == 5


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_partition_invariants(seed, fraction):
    labels = np.random.default_rng(seed).integers(0, 5, size=200)
    pool, test = stratified_split(labels, fraction, seed)
    assert np.all(np.diff(pool) > 0) and np.all(np.diff(test) > 0)  # sorted, no repeats
    assert np.intersect1d(pool, test).size == 0
    np.testing.assert_array_equal(np.union1d(pool, test), np.arange(200))
    again = stratified_split(labels, fraction, seed)
    np.testing.assert_array_equal(again[1], test)


def test_seed_changes_the_split():
    labels = np.arange(100) % 4
    assert not np.array_equal(
        stratified_split(labels, 0.3, 0)[1], stratified_split(labels, 0.3, 1)[1]
    )


def test_empty_side_is_refused():
    with pytest.raises(ValueError, match="both must be non-empty"):
        stratified_split(np.array([0, 1]), 0.25, seed=0)
