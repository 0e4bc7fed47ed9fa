"""`build_model`: unknown names, argument checks, and seeded init that leaves the global RNG.

(That the registry holds the models the config accepts: tests/workflow/test_workflow_config.py.)
"""

from __future__ import annotations

import pytest
import torch

from alcore.models import build_model


def states_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize(("name", "shape"), [("mlp", (2,)), ("small_cnn", (1, 8, 8))])
def test_same_seed_same_weights_different_seed_different(name, shape):
    a = build_model(name, num_classes=4, input_shape=shape, seed=3)
    torch.rand(10)  # moving the global RNG must not matter
    b = build_model(name, num_classes=4, input_shape=shape, seed=3)
    c = build_model(name, num_classes=4, input_shape=shape, seed=4)
    assert states_equal(a, b)
    assert not states_equal(a, c)


def test_global_rng_state_is_untouched():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    expected_next = torch.rand(3)
    torch.set_rng_state(before)
    build_model("small_cnn", num_classes=10, input_shape=(1, 8, 8), seed=0)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(torch.rand(3), expected_next)


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown model 'resnet'.*'mlp'.*'vgg16'"):
        build_model("resnet", num_classes=3, input_shape=(2,), seed=0)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"num_classes": 1}, "num_classes=1 must be an integer >= 2"),
        ({"input_shape": (2, 0)}, r"input_shape=\(2, 0\)"),
        ({"seed": -1}, "seed=-1 must be a non-negative integer"),
    ],
)
def test_bad_arguments_are_named(kwargs, pattern):
    args = {"num_classes": 3, "input_shape": (2,), "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        build_model("mlp", **args)
