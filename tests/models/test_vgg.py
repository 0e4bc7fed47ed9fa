"""VGG16: 32x32 forward pass, 4096-d features, and pretrained weights read offline-first."""

from __future__ import annotations

import pytest
import torch

from alcore.models import WeightsUnavailableError, build_model, logits_and_features
from alcore.models import pretrained as pretrained_mod
from alcore.models import vgg as vgg_mod


@pytest.fixture(scope="module")
def vgg():
    return build_model("vgg16", num_classes=10, input_shape=(3, 32, 32), seed=0).eval()


def test_cifar_sized_forward_pass(vgg):
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits, features = logits_and_features(vgg, x)
        assert logits.shape == (2, 10)
        assert features.shape == (2, 4096)
        assert vgg.feature_dim == 4096
        torch.testing.assert_close(logits, vgg(x))
    assert bool(torch.isfinite(logits).all())


def test_features_are_the_input_of_the_last_linear(vgg):
    assert isinstance(vgg.head, torch.nn.Linear)
    assert (vgg.head.in_features, vgg.head.out_features) == (4096, 10)
    assert isinstance(vgg.body[-3], torch.nn.Linear) and vgg.body[-3].out_features == 4096


def test_too_small_inputs_are_refused():
    with pytest.raises(ValueError, match=r"vgg16 needs input_shape \(3, H, W\).*\(1, 8, 8\)"):
        build_model("vgg16", num_classes=10, input_shape=(1, 8, 8), seed=0)


def _no_network_no_build(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("must not download or build before finding the weights")

    monkeypatch.setattr(pretrained_mod.torch.hub, "load_state_dict_from_url", forbidden)
    monkeypatch.setattr(vgg_mod, "vgg16", forbidden)


def test_missing_weights_raise_before_any_download(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    _no_network_no_build(monkeypatch)
    weights_dir = tmp_path / "weights"
    with pytest.raises(WeightsUnavailableError) as info:
        build_model(
            "vgg16",
            num_classes=10,
            input_shape=(3, 32, 32),
            seed=0,
            pretrained=True,
            weights_dir=weights_dir,
        )
    message = str(info.value)
    assert "vgg16-397923af.pth" in message
    assert str((tmp_path / "torch_home" / "hub" / "checkpoints").resolve()) in message
    assert str(weights_dir.resolve() / "vgg16-397923af.pth") in message
    assert "allow_download=True" in message
    assert isinstance(info.value, FileNotFoundError)


def test_failed_download_is_reported_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(pretrained_mod.torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(WeightsUnavailableError, match="downloading failed"):
        build_model(
            "vgg16",
            num_classes=10,
            input_shape=(3, 32, 32),
            seed=0,
            pretrained=True,
            allow_download=True,
        )


@pytest.mark.slow
def test_pretrained_weights_are_loaded_and_head_is_fresh(vgg, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_home"))
    # an ImageNet-shaped checkpoint built from the fixture's weights (keys as torchvision names)
    state = {f"features.{k}": v for k, v in vgg.features.state_dict().items()}
    state |= {f"classifier.{k}": v for k, v in vgg.body.state_dict().items()}
    state["classifier.6.weight"] = torch.zeros(1000, 4096)
    state["classifier.6.bias"] = torch.zeros(1000)
    torch.save(state, tmp_path / "vgg16-397923af.pth")
    model = build_model(
        "vgg16",
        num_classes=10,
        input_shape=(3, 32, 32),
        seed=5,
        pretrained=True,
        weights_dir=tmp_path,
    )
    assert torch.equal(model.features[0].weight, vgg.features[0].weight)
    assert torch.equal(model.body[3].weight, vgg.body[3].weight)
    assert not torch.equal(model.head.weight, vgg.head.weight)  # seed 5, not the fixture's 0
    assert model.head.weight.shape == (10, 4096)
