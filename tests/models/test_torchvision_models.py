"""torchvision models by name: shape contracts on the meta device, pretrained weights read
offline-first and loaded by torchvision's own builder, seeded init, checkpoint round trips.

(Real forwards against torchvision's own model: test_torchvision_features.py.)
"""

from __future__ import annotations

import re

import pytest
import torch
import torchvision.models as tvm
from torch import nn

from alcore.catalog import models as model_catalog
from alcore.catalog.models import BUILTINS, torchvision_model_names
from alcore.files import save_checkpoint
from alcore.models import WeightsUnavailableError, build_model
from alcore.models import pretrained as pretrained_mod
from alcore.models import torchvision_models as tv_mod
from alcore.models.torchvision_models import torchvision_architecture
from alcore.stages.train import model_from_checkpoint


def states_equal(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# (name, input shape, F): families too big for cheap real forwards, checked on the meta device
META_CASES = [
    ("vit_b_16", (3, 224, 224), 768),
    ("swin_t", (3, 32, 32), 768),
    ("wide_resnet50_2", (3, 32, 32), 2048),
    ("resnext50_32x4d", (3, 32, 32), 2048),
    ("efficientnet_v2_s", (3, 32, 32), 1280),
    ("maxvit_t", (3, 224, 224), 512),
    ("inception_v3", (3, 299, 299), 2048),
    ("vgg11_bn", (3, 32, 32), 4096),
    ("mnasnet0_5", (3, 32, 32), 1280),
]


@pytest.mark.parametrize(("name", "shape", "dim"), META_CASES)
def test_meta_contract_final_linear_is_last_and_features_are_its_input(name, shape, dim):
    with torch.device("meta"):
        model = torchvision_architecture(name, 5, pretrained=False)
        reference = tvm.get_model(name, weights=None, num_classes=5, **tv_mod._scratch(name))
    path, linear = [(p, m) for p, m in reference.named_modules() if isinstance(m, nn.Linear)][-1]
    assert model.head_path == path and isinstance(model.head, nn.Linear)
    assert (model.feature_dim, model.num_classes) == (dim, 5)
    seen = {}
    linear.register_forward_hook(lambda m, args, out: seen.update(inputs=args[0], out=out))
    x = torch.empty(2, *shape, device="meta")
    with torch.no_grad():
        output = reference.eval()(x)
        features = model.eval().embed(x)
        logits = model.head(features)
    assert output is seen["out"]  # the final Linear is torchvision's last operation
    assert features.shape == seen["inputs"].shape == (2, dim)
    assert logits.shape == output.shape == (2, 5)


def test_names_builtins_first_then_torchvision():
    names = torchvision_model_names()
    assert {"resnet18", "wide_resnet50_2", "efficientnet_b0", "convnext_tiny", "vit_b_16"} <= set(
        names
    )
    assert "fasterrcnn_resnet50_fpn" not in names  # detection models are not classifiers
    assert "vgg16" in names and "vgg16" in BUILTINS
    # the builtin wins: alcore's VGG16Classifier, not the generic wrapper
    with torch.device("meta"):  # shapes only: no need for real weights
        model = build_model("vgg16", num_classes=3, input_shape=(3, 32, 32), seed=0)
    assert type(model).__name__ == "VGG16Classifier"


def test_same_seed_same_weights_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = build_model("resnet18", num_classes=4, input_shape=(3, 32, 32), seed=3)
    assert torch.equal(torch.get_rng_state(), before)
    torch.rand(10)
    b = build_model("resnet18", num_classes=4, input_shape=(3, 32, 32), seed=3)
    c = build_model("resnet18", num_classes=4, input_shape=(3, 32, 32), seed=4)
    assert states_equal(a, b)
    assert not states_equal(a, c)


def test_squeezenet_has_no_final_linear_and_is_refused():
    with pytest.raises(ValueError, match=r"'squeezenet1_0' has no final nn.Linear"):
        build_model("squeezenet1_0", num_classes=3, input_shape=(3, 64, 64), seed=0)


def test_checkpoint_round_trip(tmp_path):
    model = build_model("resnet18", num_classes=6, input_shape=(3, 32, 32), seed=9)
    with torch.no_grad():
        model.head.weight.add_(1.0)  # not what seed 0 (model_from_checkpoint's) would give
    args = {"name": "resnet18", "num_classes": 6, "input_shape": [3, 32, 32], "pretrained": False}
    save_checkpoint({"model_args": args, "model_state": model.state_dict()}, tmp_path / "m.pt")
    loaded, _ = model_from_checkpoint(tmp_path / "m.pt")
    assert states_equal(loaded, model)
    assert not loaded.training


# pretrained weights ------------------------------------------------------------------------

RESNET18_FILE = "resnet18-f37072fd.pth"  # torchvision's ResNet18_Weights.IMAGENET1K_V1


def test_the_default_weights_file_is_torchvisions():
    source = tv_mod.torchvision_weights("resnet18")
    assert source is not None and source.file_name == RESNET18_FILE
    assert source.what == "ResNet18_Weights.IMAGENET1K_V1"
    assert source.url == tvm.get_model_weights("resnet18").DEFAULT.url


def _forbid(monkeypatch, *, build: bool) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("must not download (or build before finding the weights)")

    monkeypatch.setattr(pretrained_mod.torch.hub, "load_state_dict_from_url", forbidden)
    if build:
        monkeypatch.setattr(tvm, "get_model", forbidden)


def test_missing_weights_raise_before_any_download_or_build(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    _forbid(monkeypatch, build=True)
    weights_dir = tmp_path / "weights"
    with pytest.raises(WeightsUnavailableError) as info:
        build_model(
            "resnet18",
            num_classes=10,
            input_shape=(3, 32, 32),
            seed=0,
            pretrained=True,
            weights_dir=weights_dir,
        )
    message = str(info.value)
    assert "pretrained ResNet18_Weights.IMAGENET1K_V1 weights are not available" in message
    assert str(weights_dir.resolve() / RESNET18_FILE) in message
    assert str((tmp_path / "torch_home" / "hub" / "checkpoints").resolve()) in message
    assert "torchvision.models.get_model('resnet18', weights='DEFAULT')" in message
    assert "pretrained=False" in message


def test_published_weights_are_loaded_and_the_head_is_fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_home"))
    _forbid(monkeypatch, build=False)
    published = tvm.get_model("resnet18", weights=None)  # stands in for ImageNet's: 1000 classes
    torch.save(published.state_dict(), tmp_path / RESNET18_FILE)
    build = dict(num_classes=10, input_shape=(3, 32, 32), pretrained=True, weights_dir=tmp_path)
    model = build_model("resnet18", seed=5, **build)
    state = model.state_dict()
    for key, value in published.state_dict().items():
        if not key.startswith("fc."):
            assert torch.equal(state[f"backbone.{key}"], value), key
    assert model.head.weight.shape == (10, 512)
    assert states_equal(model, build_model("resnet18", seed=5, **build))  # fresh head: seeded
    assert not torch.equal(model.head.weight, build_model("resnet18", seed=6, **build).head.weight)
    # the shared weights enum is left as torchvision made it
    assert "get_state_dict" not in vars(tvm.get_model_weights("resnet18").DEFAULT)
    # the architecture check_model uses for pretrained=True has the same parameters
    with torch.device("meta"):
        meta = torchvision_architecture("resnet18", 10, pretrained=True)
    assert {k: v.shape for k, v in meta.state_dict().items()} == {
        k: v.shape for k, v in state.items()
    }


def test_torchvisions_own_loading_quirks_apply(tmp_path, monkeypatch):
    # densenet's published file uses old key names ("norm.1") and predates BatchNorm's
    # num_batches_tracked; torchvision's builder renames the keys, BatchNorm fills in the count
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_home"))
    _forbid(monkeypatch, build=False)
    published = tvm.get_model("densenet121", weights=None)
    old_style = {
        re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v
        for k, v in published.state_dict().items()
        if not k.endswith("num_batches_tracked")
    }
    assert "features.denseblock1.denselayer1.norm.1.weight" in old_style
    file_name = tvm.get_model_weights("densenet121").DEFAULT.url.rsplit("/", 1)[-1]
    torch.save(old_style, tmp_path / file_name)
    model = build_model(
        "densenet121",
        num_classes=3,
        input_shape=(3, 32, 32),
        seed=0,
        pretrained=True,
        weights_dir=tmp_path,
    )
    assert torch.equal(
        model.backbone.features.denseblock1.denselayer1.norm1.weight,
        published.features.denseblock1.denselayer1.norm1.weight,
    )


def test_a_model_without_published_weights_refuses_pretrained(monkeypatch):
    monkeypatch.setattr(model_catalog, "torchvision_has_weights", lambda name: False)
    with pytest.raises(ValueError, match="'resnet18' has no published weights; set pretrained"):
        build_model("resnet18", num_classes=3, input_shape=(3, 32, 32), seed=0, pretrained=True)


def test_rebuilding_a_pretrained_model_needs_its_architecture_not_its_file(tmp_path, monkeypatch):
    # googlenet's published weights come with an input transform (a flag, not in the state
    # dict): a rebuilt model must have it too, which load_weights=False gives without any file
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_home"))
    _forbid(monkeypatch, build=False)
    published = tvm.get_model("googlenet", weights=None, aux_logits=True, init_weights=True)
    file_name = tvm.get_model_weights("googlenet").DEFAULT.url.rsplit("/", 1)[-1]
    torch.save(published.state_dict(), tmp_path / file_name)
    shape = (3, 32, 32)
    trained = build_model(
        "googlenet", num_classes=3, input_shape=shape, seed=0, pretrained=True, weights_dir=tmp_path
    ).eval()
    rebuilt = build_model(
        "googlenet", num_classes=3, input_shape=shape, seed=0, pretrained=True, load_weights=False
    )
    scratch = build_model("googlenet", num_classes=3, input_shape=shape, seed=0)
    assert trained.backbone.transform_input and rebuilt.backbone.transform_input
    assert not scratch.backbone.transform_input
    rebuilt.load_state_dict(trained.state_dict())
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(rebuilt.eval()(x), trained(x))
    # vit_h_14's DEFAULT weights are for 518x518 images: another position embedding
    with torch.device("meta"):
        vit = build_model(
            "vit_h_14", num_classes=3, input_shape=(3, 518, 518), seed=0, pretrained=True,
            load_weights=False,
        )  # fmt: skip
    assert vit.backbone.encoder.pos_embedding.shape == (1, 37 * 37 + 1, 1280)
