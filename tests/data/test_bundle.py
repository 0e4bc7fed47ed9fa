"""`DatasetBundle.__post_init__` refuses inconsistent tensors with a message naming them."""

from __future__ import annotations

import dataclasses

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
        (
            {"pool_inputs": torch.zeros(5, 2, dtype=torch.float64)},
            "must be torch.float32 without pixel statistics",
        ),
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


def test_the_checks_cannot_be_bypassed_after_construction():
    # the checks run once, in __post_init__: a field swapped afterwards would skip them, so a
    # bundle's fields cannot be reassigned, and a changed copy is checked again
    b = make()
    labels = b.pool_labels
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.pool_labels = torch.tensor([0, 1, 2, 0])  # type: ignore[misc]
    assert b.pool_labels is labels and b.n_pool == 5
    with pytest.raises(ValueError, match="4 pool labels for 5 inputs"):
        dataclasses.replace(b, pool_labels=torch.tensor([0, 1, 2, 0]))


def image_bundle(**changes):
    fields = dict(
        name="img",
        pool_inputs=torch.tensor([[[[0, 255]], [[51, 102]]]], dtype=torch.uint8),  # (1, 2, 1, 2)
        pool_labels=torch.tensor([0]),
        test_inputs=torch.zeros(1, 2, 1, 2, dtype=torch.uint8),
        test_labels=torch.tensor([1]),
        num_classes=2,
        input_shape=(2, 1, 2),
        class_names=("a", "b"),
        pixel_mean=(0.5, 0.2),
        pixel_std=(0.5, 0.1),
    )
    fields.update(changes)
    return DatasetBundle(**fields)


def test_prepare_normalises_uint8_pixels_by_hand():
    b = image_bundle()
    out = b.prepare(b.pool_inputs)
    assert out.dtype == torch.float32
    # channel 0: (0/255 - .5)/.5 = -1, (255/255 - .5)/.5 = 1
    # channel 1: (51/255 - .2)/.1 = 0, (102/255 - .2)/.1 = 2
    torch.testing.assert_close(out.flatten(), torch.tensor([-1.0, 1.0, 0.0, 2.0]))


def test_prepare_passes_float_inputs_through():
    b = make()
    assert b.prepare(b.pool_inputs) is b.pool_inputs


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"pool_inputs": torch.zeros(1, 2, 1, 2)}, "must be torch.uint8 with pixel_mean"),
        ({"pixel_std": None}, "both pixel_mean and pixel_std"),
        ({"pixel_std": (0.5, 0.0)}, "pixel_std must be positive"),
        ({"pixel_mean": (0.5,), "pixel_std": (0.5,)}, "one value per channel"),
    ],
)
def test_inconsistent_pixel_statistics_are_refused(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        image_bundle(**changes)
