"""`DatasetBundle.__post_init__` refuses inconsistent tensors with a message naming them."""

from __future__ import annotations

import pytest
import torch

from alcore.data import DatasetBundle


def make(**changes):
    fields = dict(
        name="toy",
        pool_inputs=torch.zeros(5, 2),
        pool_labels=torch.tensor([0, 1, 2, 0, 1]),
        test_inputs=torch.zeros(3, 2),
        test_labels=torch.tensor([2, 1, 0]),
        num_classes=3,
        input_shape=(2,),
        class_names=("a", "b", "c"),
    )
    fields.update(changes)
    return DatasetBundle(**fields)


def test_valid_bundle():
    b = make()
    assert (b.n_pool, b.n_test) == (5, 3)


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"pool_inputs": torch.zeros(5, 3)}, r"pool_inputs has shape \(5, 3\), expected \(N, 2\)"),
        ({"pool_inputs": torch.zeros(5, 2, dtype=torch.float64)}, "must be float32"),
        ({"pool_labels": torch.tensor([0, 1, 2, 0])}, "4 pool labels for 5 inputs"),
        ({"test_labels": torch.tensor([0, 1, 3])}, r"test labels span \[0, 3\]"),
        ({"test_labels": torch.tensor([0, 1, 2], dtype=torch.int32)}, "int64"),
        ({"class_names": ("a", "b")}, "2 class_names for num_classes=3"),
        (
            {"test_inputs": torch.zeros(0, 2), "test_labels": torch.zeros(0, dtype=torch.int64)},
            "must both be non-empty",
        ),
    ],
)
def test_inconsistent_bundles_are_refused(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        make(**changes)


def test_bundle_is_frozen():
    b = make()
    with pytest.raises(AttributeError):
        b.name = "other"  # type: ignore[misc]
