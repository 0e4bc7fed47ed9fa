"""The torch-free model catalogue (its sizes against the built models), the `linear` builtin,
and the config and preflight checks that ask the catalogue about pretrained weights."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import torch

from alcore.catalog.models import BUILTINS, model_kind, pretrained_problem
from alcore.models import build_model, logits_and_features
from alcore.workflow.config import ConfigError, parse_config
from alcore.workflow.preflight import _check_weights


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_each_entry_gives_the_built_models_size(name):
    size = BUILTINS[name].size
    with torch.device("meta"):
        model = build_model(name, num_classes=10, input_shape=size.shape, seed=0)
    head = sum(p.numel() for p in model.head.parameters())
    assert sum(p.numel() for p in model.parameters()) - head == size.parameters
    width = (
        size.feature_dim if size.feature_dim is not None else int(torch.tensor(size.shape).prod())
    )
    assert model.feature_dim == width
    assert (BUILTINS[name].weights is not None) == (pretrained_problem(name) is None)


def test_builtin_and_user_names_are_resolved_without_torch():
    code = (
        "import sys; import alcore.catalog.models as c; "
        "assert c.model_kind('mlp') == 'builtin' and c.model_kind('pkg.mod:fn') == 'user'; "
        "assert c.pretrained_problem('vgg16') is None; "
        "assert 'no pretrained weights' in c.pretrained_problem('small_cnn'); "
        "assert c.model_source_hash('mlp') is None; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("small_cnn", "builtin"),
        ("vgg16", "builtin"),  # also a torchvision name: the builtin comes first
        ("resnet18", "torchvision"),
        ("squeezenet1_0", "torchvision"),
        ("my_pkg.models:build", "user"),
        ("my_pkg.models:Factory.create", "user"),
        ("resnet", None),
        ("a:b:c", None),
        (":f", None),
    ],
)
def test_model_kind(name, kind):
    assert model_kind(name) == kind


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("vgg16", None),
        ("resnet18", None),
        ("mlp", r"model 'mlp' has no pretrained weights; set pretrained: false"),
        ("pkg.mod:fn", r"is your own model: pretrained applies to vgg16 and torchvision"),
        ("resnett18", r"unknown model 'resnett18'; known models:"),
    ],
)
def test_pretrained_problem(name, pattern):
    problem = pretrained_problem(name)
    if pattern is None:
        assert problem is None
    else:
        assert problem is not None
        assert re.search(pattern, problem), problem


def test_linear_features_are_the_inputs():
    model = build_model("linear", num_classes=3, input_shape=(2, 5), seed=0).eval()
    assert (model.feature_dim, model.num_classes) == (10, 3)
    x = torch.randn(4, 2, 5, generator=torch.Generator().manual_seed(0))
    logits, features = logits_and_features(model, x)
    assert torch.equal(features, x.reshape(4, 10))
    torch.testing.assert_close(logits, x.reshape(4, 10) @ model.head.weight.T + model.head.bias)
    with pytest.raises(ValueError, match="'linear' has no pretrained weights"):
        build_model("linear", num_classes=3, input_shape=(4,), seed=0, pretrained=True)


def _config(model, pretrained):
    dataset = {"model": model, "pretrained": pretrained, "initial": 10, "budget": 10,
               "rounds": 1, "epochs": {"first": 1, "thereafter": 1}, "lr": 0.01}  # fmt: skip
    return {
        "strategies": {"greedy": {"kind": "coreset"}},
        "experiments": {
            "e": {"datasets": {"blobs": dataset}, "strategies": ["greedy"], "seeds": [0]}
        },
    }


def test_config_accepts_any_model_form_and_asks_the_catalog_about_pretrained():
    for model in ("resnet18", "my_pkg.models:build", "linear"):
        assert parse_config(_config(model, False)).dataset("e", "blobs").train.model == model
    assert parse_config(_config("resnet18", True)).dataset("e", "blobs").train.pretrained
    with pytest.raises(ConfigError, match=r"blobs\.pretrained: model 'small_cnn' has no pre"):
        parse_config(_config("small_cnn", True))
    with pytest.raises(ConfigError, match=r"blobs\.pretrained: model 'a.b:c' is your own model"):
        parse_config(_config("a.b:c", True))


def test_preflight_looks_for_the_models_own_weights_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    with pytest.raises(ConfigError) as info:
        _check_weights("experiments.e.datasets.x", tmp_path, "resnet18")
    message = str(info.value)
    assert message.startswith("experiments.e.datasets.x.pretrained: pretrained ResNet18_Weights")
    assert str((tmp_path / "weights" / "resnet18-f37072fd.pth").resolve()) in message
    assert "get_model('resnet18', weights='DEFAULT')" in message
    with pytest.raises(ConfigError, match=r"vgg16-397923af\.pth"):
        _check_weights("x", tmp_path, "vgg16")
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "resnet18-f37072fd.pth").touch()
    _check_weights("x", tmp_path, "resnet18")  # found: no error
    _check_weights("x", tmp_path, "mlp")  # no weights at all: nothing to look for
