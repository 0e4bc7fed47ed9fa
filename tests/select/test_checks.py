import pytest
import torch

from alcore.select import coreset, coreset_radii, min_distances


def valid():
    features = torch.randn(10, 3)
    labelled = torch.zeros(10, dtype=torch.bool)
    labelled[:2] = True
    doubt = torch.full((10,), 0.5)
    return features, labelled, doubt


def call(**changes):
    features, labelled, doubt = valid()
    args = {
        "features": features,
        "labelled": labelled,
        "budget": 3,
        "doubt": doubt,
        "weighted": True,
        "beam_width": 2,
    }
    args.update(changes)
    return coreset(**args)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"labelled": torch.zeros(10, dtype=torch.bool)}, "labelled set is empty"),
        ({"budget": 9}, "budget=9 exceeds the 8 unlabelled points"),
        ({"budget": -1}, "budget=-1 must be >= 0"),
        ({"budget": 2.0}, "budget must be an int"),
        ({"features": torch.randn(10)}, r"shape \(N, D\)"),
        ({"features": torch.randn(0, 3)}, "non-empty"),
        ({"features": torch.ones(10, 3, dtype=torch.int64)}, "floating"),
        ({"labelled": torch.zeros(9, dtype=torch.bool)}, r"shape \(10,\)"),
        ({"labelled": torch.zeros(10, dtype=torch.int64)}, "bool tensor mask"),
        ({"doubt": torch.full((9,), 0.5)}, r"doubt must have shape \(10,\)"),
        ({"doubt": torch.full((10,), 1.0)}, r"in \[0, 1\)"),
        ({"doubt": torch.full((10,), -0.1)}, r"in \[0, 1\)"),
        ({"doubt": torch.full((10,), float("nan"))}, "doubt contains NaN"),
        ({"doubt": None}, "weighted=True needs doubt"),
        ({"doubt": None, "weighted": False}, "beam_width=2 ranks beams by confidence"),
        ({"beam_width": 0}, "beam_width=0 must be an int >= 1"),
        ({"beam_width": 1.5}, "beam_width=1.5"),
    ],
)
def test_bad_input_raises_a_helpful_error(changes, message):
    with pytest.raises(ValueError, match=message):
        call(**changes)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_features(bad):
    features, labelled, _ = valid()
    features[4, 1] = bad
    with pytest.raises(ValueError, match=r"NaN or inf in 1 row"):
        coreset(features, labelled, 2)


def test_device_mismatch_is_named():
    features, _, _ = valid()
    fake = torch.zeros(10, dtype=torch.bool, device="meta")
    with pytest.raises(ValueError, match="labelled is on meta but features are on cpu"):
        min_distances(features, fake)


def test_block_size_must_be_positive():
    features, labelled, _ = valid()
    with pytest.raises(ValueError, match="block_size=0"):
        coreset_radii(features, labelled, block_size=0)
