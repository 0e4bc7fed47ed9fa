import numpy as np
import pytest
import torch

from alcore.select import coreset, coreset_radii, min_distances


def valid():
    features = torch.randn(10, 3, generator=torch.Generator().manual_seed(0))
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
        ({"budget": 2.0}, r"budget=2\.0 \(float\) must be an integer.*int\(budget\)"),
        ({"budget": np.float32(2.0)}, r"must be an integer"),
        ({"budget": torch.tensor(2.0)}, r"must be an integer"),
        ({"budget": True}, "budget=True is a bool; pass an integer count"),
        ({"budget": torch.tensor(True)}, "is a bool"),
        ({"features": torch.randn(10)}, r"shape \(N, D\), got shape \(10,\); add a feature axis"),
        ({"features": torch.randn(10, 3, 2)}, r"shape \(N, D\).*flatten"),
        ({"features": torch.randn(10, 0)}, "no columns"),
        ({"features": torch.ones(10, 3, dtype=torch.int64)}, r"floating.*features\.float\(\)"),
        ({"features": torch.ones(10, 3, dtype=torch.uint8)}, r"floating.*features\.float\(\)"),
        ({"features": np.ones((10, 3))}, r"torch\.Tensor.*torch\.as_tensor"),
        ({"labelled": torch.zeros(9, dtype=torch.bool)}, r"shape \(10,\)"),
        ({"labelled": torch.zeros(10, dtype=torch.int64)}, r"bool tensor mask.*mask\[indices\]"),
        # a list of labelled pool indices (repeated, out of range) is not a mask: refused
        ({"labelled": torch.tensor([0, 1, 1, 12])}, r"bool tensor mask.*mask\[indices\] = True"),
        ({"labelled": [0, 1]}, "bool tensor mask"),
        ({"doubt": torch.full((9,), 0.5)}, r"doubt must have shape \(10,\)"),
        ({"doubt": torch.full((10,), 1.0)}, r"in \[0, 1\)"),
        ({"doubt": torch.full((10,), -0.1)}, r"in \[0, 1\)"),
        ({"doubt": torch.full((10,), float("nan"))}, "doubt contains NaN"),
        ({"doubt": None}, r"weighted=True needs doubt.*doubt_from_probs"),
        ({"doubt": None, "weighted": False}, "beam_width=2 ranks beams by confidence"),
        ({"beam_width": 0}, r"beam_width=0 must be >= 1"),
        ({"beam_width": 1.5}, r"beam_width=1\.5 \(float\) must be an integer"),
        ({"beam_width": np.float64(2.0)}, "must be an integer"),
        ({"beam_width": False}, "is a bool"),
        ({"weighted": "yes"}, "weighted='yes' must be True or False"),
    ],
)
def test_bad_input_raises_a_helpful_error(changes, message):
    with pytest.raises(ValueError, match=message):
        call(**changes)


@pytest.mark.parametrize(
    "count", [3, np.int64(3), np.int32(3), np.uint8(3), torch.tensor(3), torch.tensor([3])]
)
def test_integer_types_are_accepted_as_budget_and_beam_width(count):
    # numpy integers and integer tensors are integers: the same picks as a Python int
    expected = call(budget=3, beam_width=3)
    assert torch.equal(call(budget=count, beam_width=count), expected)
    assert torch.equal(call(budget=count, beam_width=1), call(budget=3, beam_width=1))


def test_the_empty_pool_is_refused():
    with pytest.raises(ValueError, match=r"the pool is empty.*nothing to select from"):
        coreset(torch.zeros(0, 3), torch.zeros(0, dtype=torch.bool), 0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_non_finite_features(bad, dtype):
    features, labelled, _ = valid()
    features = features.to(dtype)
    features[4, 1] = bad
    features[7, 0] = bad
    with pytest.raises(ValueError, match=r"NaN or inf in 2 row\(s\) \(first: row 4\).*embedding"):
        coreset(features, labelled, 2)
    with pytest.raises(ValueError, match=r"NaN or inf in 2 row"):
        coreset_radii(features, labelled)


def test_device_mismatch_is_named():
    features, _, _ = valid()
    fake = torch.zeros(10, dtype=torch.bool, device="meta")
    with pytest.raises(ValueError, match=r"labelled is on meta but features are on cpu.*move"):
        min_distances(features, fake)


def test_block_size_must_be_positive():
    features, labelled, _ = valid()
    with pytest.raises(ValueError, match="block_size=0 must be >= 1"):
        coreset_radii(features, labelled, block_size=0)
    expected = coreset_radii(features, labelled, block_size=4)
    assert coreset_radii(features, labelled, block_size=np.int64(4)) == expected
