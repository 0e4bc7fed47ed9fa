"""A user's own model, ``"package.module:function"``: both feature contracts, each contract error
with its message, seeded init, source hash and checkpoint round trip (tests/models/user_models.py
holds the models)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
import torch

from alcore.catalog.models import model_source_hash
from alcore.files import save_checkpoint
from alcore.models import EmbeddingClassifier, build_model, check_model
from alcore.models.user import InterfaceAdapter
from alcore.models.wrapped import LastLinearClassifier
from alcore.stages.train import model_from_checkpoint

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def importable(monkeypatch):
    """tests/models on sys.path, as PYTHONPATH would put it; a fresh import per test."""
    monkeypatch.syspath_prepend(str(HERE))
    for name in ("user_models", "broken_user_model", "hashed_user_model"):
        monkeypatch.delitem(sys.modules, name, raising=False)


def states_equal(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_last_linear_contract_wraps_the_module():
    import user_models

    model = build_model("user_models:conv_net", num_classes=5, input_shape=(2, 6, 6), seed=1)
    assert isinstance(model, LastLinearClassifier) and model.head_path == "classifier.1"
    assert (model.feature_dim, model.num_classes) == (32, 5)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(1)
        original = user_models.conv_net(num_classes=5, input_shape=(2, 6, 6)).eval()
    captured = {}
    original.classifier[1].register_forward_hook(lambda m, a, o: captured.update(x=a[0]))
    x = torch.randn(3, 2, 6, 6, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(model.eval()(x), original(x))
        assert torch.equal(model.embed(x), captured["x"])
    assert check_model("user_models:conv_net", (2, 6, 6), 5) == 32


def test_interface_models_are_used_as_they_are():
    model = build_model("user_models:interface", num_classes=3, input_shape=(4,), seed=0)
    assert isinstance(model, InterfaceAdapter) and model.head is model.module.head
    x = torch.randn(5, 4)
    torch.testing.assert_close(model(x), model.module(x), rtol=0, atol=0)
    assert check_model("user_models:interface", (4,), 3) == 12

    subclass = build_model("user_models:subclass", num_classes=3, input_shape=(4,), seed=0)
    assert type(subclass).__name__ == "_Subclass" and isinstance(subclass, EmbeddingClassifier)
    assert check_model("user_models:subclass", (4,), 3) == 6


# (function, input shape, message): wrong for build_model and check_model alike
BUILD_ERRORS = [
    ("no_such_module_xyz:f", (4,), r"cannot import module 'no_such_module_xyz'.*on PYTHONPATH"),
    ("user_models:missing", (4,), r"module 'user_models' \(.*user_models.py\) has no attribute"),
    ("user_models:NOT_CALLABLE", (4,), r"'NOT_CALLABLE' is a int, not callable"),
    (
        "user_models:no_keywords",
        (4,),
        r"calls no_keywords\(num_classes=3, input_shape=\(4,\)\), "
        r"but its signature \(n_classes.*\) -> .* does not accept those keywords",
    ),
    ("user_models:not_a_module", (4,), r"returned a dict, not a torch.nn.Module"),
    ("user_models:raises", (4,), r"raised RuntimeError: this model is broken"),
    ("user_models:no_linear", (2, 4, 4), r"model 'user_models:no_linear' has no final nn.Linear"),
    (
        "user_models:wrong_classes",
        (4,),
        r"head \(the last nn.Linear, '1'\) has out_features=4, "
        r"but the dataset has 3 classes",
    ),
]
# wrong only in a forward pass, which check_model runs
CHECK_ERRORS = [
    (
        "user_models:softmax_after",
        (4,),
        r"its output is not the output of its last nn.Linear "
        r"\('1'\): something comes after it \(e.g. a softmax",
    ),
    ("user_models:unused_last_linear", (4,), r"last nn.Linear \('spare'.*is not called by forward"),
    (
        "user_models:forward_not_head_of_embed",
        (4,),
        r"forward\(x\) differs from head\(embed\(x\)\)",
    ),
    (
        "user_models:embed_not_2d",
        (4,),
        r"embed\(x\) must return \(B, F\) = \(2, 12\).*got \(2, 1, 12\)",
    ),
    ("user_models:needs_flat", (2, 4, 4), r"failed on input of shape \(2, 2, 4, 4\): RuntimeError"),
    (
        "user_models:unflattened",
        (2, 4, 4),
        r"features .* must have shape \(B, F\) = \(2, 4\).*"
        r"got \(2, 2, 4, 4\)",
    ),
]


@pytest.mark.parametrize(("name", "shape", "pattern"), BUILD_ERRORS)
def test_build_errors_say_what_is_missing(name, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        build_model(name, num_classes=3, input_shape=shape, seed=0)
    with pytest.raises(ValueError, match=pattern):
        check_model(name, shape, 3)


@pytest.mark.parametrize(("name", "shape", "pattern"), CHECK_ERRORS)
def test_check_errors_say_what_is_wrong(name, shape, pattern):
    build_model(name, num_classes=3, input_shape=shape, seed=0)  # builds: no forward there
    with pytest.raises(ValueError, match=pattern):
        check_model(name, shape, 3)


def test_a_module_that_fails_to_import_is_named(tmp_path, monkeypatch):
    (tmp_path / "broken_user_model.py").write_text("def f(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"importing module 'broken_user_model' raised SyntaxE"):
        check_model("broken_user_model:f", (4,), 3)


def test_pretrained_is_refused():
    with pytest.raises(ValueError, match=r"your own model: pretrained applies to vgg16 and"):
        build_model("user_models:mlp", num_classes=3, input_shape=(4,), seed=0, pretrained=True)
    with pytest.raises(ValueError, match=r"your own model: pretrained applies"):
        check_model("user_models:mlp", (4,), 3, pretrained=True)


def test_same_seed_same_weights_and_check_leaves_the_global_rng():
    a = build_model("user_models:mlp", num_classes=3, input_shape=(4,), seed=7)
    b = build_model("user_models:mlp", num_classes=3, input_shape=(4,), seed=7)
    c = build_model("user_models:mlp", num_classes=3, input_shape=(4,), seed=8)
    assert states_equal(a, b) and not states_equal(a, c)
    before = torch.get_rng_state()
    assert check_model("user_models:mlp", (4,), 3) == 16
    assert torch.equal(torch.get_rng_state(), before)


def test_source_hash_identifies_the_users_code(tmp_path, monkeypatch):
    expected = hashlib.sha256((HERE / "user_models.py").read_bytes()).hexdigest()
    assert model_source_hash("user_models:mlp") == expected
    assert model_source_hash("resnet18") is None and model_source_hash("mlp") is None
    module = tmp_path / "hashed_user_model.py"
    module.write_text("def f(num_classes, input_shape): ...\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = model_source_hash("hashed_user_model:f")
    module.write_text("def f(num_classes, input_shape): return None\n")
    assert model_source_hash("hashed_user_model:f") not in (first, None)
    with pytest.raises(ValueError, match=r"cannot find the source file of module 'nope_xyz'"):
        model_source_hash("nope_xyz:f")


@pytest.mark.parametrize("function", ["conv_net", "interface"])
def test_checkpoint_round_trip(tmp_path, function):
    shape = [2, 6, 6] if function == "conv_net" else [4]
    name = f"user_models:{function}"
    model = build_model(name, num_classes=3, input_shape=tuple(shape), seed=4)
    with torch.no_grad():
        model.head.bias.add_(1.0)  # not what seed 0 (model_from_checkpoint's) would give
    args = {"name": name, "num_classes": 3, "input_shape": shape, "pretrained": False}
    save_checkpoint({"model_args": args, "model_state": model.state_dict()}, tmp_path / "m.pt")
    loaded, _ = model_from_checkpoint(tmp_path / "m.pt")
    assert states_equal(loaded, model)
