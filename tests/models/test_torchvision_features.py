"""torchvision models, real forwards: the wrapper IS torchvision's model, features = the input
of its final Linear.

For one cheap model per family: built from the same seed, torchvision's own model (with the same
constructor arguments) has the same weights under the key mapping backbone.X -> X, head -> the
final Linear's path; in eval mode the wrapper's logits equal torchvision's exactly (the same
operations on the same weights) and ``embed`` equals the input a forward hook captures at
torchvision's final Linear.
"""

from __future__ import annotations

import pytest
import torch
import torchvision.models as tvm
from torch import nn

from alcore.models import build_model, check_model, logits_and_features
from alcore.models.wrapped import LastLinearClassifier

# (name, input shape, final Linear's path, F); googlenet without its auxiliary classifiers
CASES = [
    ("resnet18", (3, 32, 32), "fc", 512),
    ("mobilenet_v3_small", (3, 32, 32), "classifier.3", 1024),
    ("efficientnet_b0", (3, 32, 32), "classifier.1", 1280),
    ("densenet121", (3, 32, 32), "classifier", 1024),
    ("regnet_x_400mf", (3, 32, 32), "fc", 400),
    ("shufflenet_v2_x0_5", (3, 32, 32), "fc", 1024),
    ("convnext_tiny", (3, 32, 32), "classifier.2", 768),
    ("googlenet", (3, 32, 32), "fc", 1024),
]
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": True}}


def torchvision_reference(name: str, num_classes: int, seed: int) -> nn.Module:
    """torchvision's model built as build_model builds it: CPU generator seeded, RNG restored."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        return tvm.get_model(name, weights=None, num_classes=num_classes, **KWARGS.get(name, {}))


@pytest.mark.parametrize(("name", "shape", "path", "dim"), CASES)
def test_wrapper_is_torchvisions_model_with_features_at_its_final_linear(name, shape, path, dim):
    model = build_model(name, num_classes=7, input_shape=shape, seed=2).eval()
    reference = torchvision_reference(name, 7, seed=2).eval()
    assert isinstance(model, LastLinearClassifier)
    assert model.head_path == path
    assert (model.feature_dim, model.num_classes) == (dim, 7)
    assert isinstance(model.get_submodule(f"backbone.{path}"), nn.Identity)

    # same weights under the key mapping
    ours = model.state_dict()
    mapped = {k.removeprefix("backbone."): v for k, v in ours.items() if k.startswith("backbone.")}
    mapped |= {f"{path}.{k.removeprefix('head.')}": v for k, v in ours.items() if k[:5] == "head."}
    theirs = reference.state_dict()
    assert mapped.keys() == theirs.keys()
    assert all(torch.equal(mapped[k], theirs[k]) for k in theirs)

    captured = {}
    reference.get_submodule(path).register_forward_hook(
        lambda module, args, output: captured.update(features=args[0])
    )
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = reference(x)
        logits, features = logits_and_features(model, x)
        assert torch.equal(model(x), expected)
    assert torch.equal(logits, expected)
    assert torch.equal(features, captured["features"])
    assert features.shape == (2, dim)
    # the meta-device check agrees with the real forward on F
    assert check_model(name, shape, 7) == dim


def test_train_mode_output_is_a_tensor_and_gradients_reach_the_stem():
    model = build_model("googlenet", num_classes=3, input_shape=(3, 32, 32), seed=0).train()
    logits = model(torch.randn(2, 3, 32, 32))
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 3)  # no aux tuple
    logits.sum().backward()
    assert model.backbone.conv1.conv.weight.grad is not None
    assert bool(model.backbone.conv1.conv.weight.grad.abs().sum() > 0)
