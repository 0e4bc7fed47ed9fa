"""`check_model`: accepted and refused input shapes decided on the meta device, with the reason
and a fix; the verdicts agree with real forwards; unknown names list the known ones."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from alcore.models import build_model, check_model

ACCEPTED = [
    ("resnet18", (3, 32, 32), 512),
    ("resnet18", (3, 8, 8), 512),  # adaptive pooling: any size the strides leave >= 1x1
    ("vit_b_16", (3, 224, 224), 768),
    ("inception_v3", (3, 299, 299), 2048),
    ("convnext_tiny", (3, 32, 32), 768),
    ("vgg16", (3, 32, 32), 4096),  # the builtin
    ("small_cnn", (1, 8, 8), 64),
    ("mlp", (2,), 64),
    ("linear", (7,), 7),
    ("linear", (2, 3), 6),
]


@pytest.mark.parametrize(("name", "shape", "dim"), ACCEPTED)
def test_accepted_shapes_give_the_feature_dim(name, shape, dim):
    assert check_model(name, shape, 10) == dim


REFUSED = [
    ("vit_b_16", (3, 32, 32), r"Wrong image height! Expected 224 but got 32!"),
    ("alexnet", (3, 32, 32), r"Output size is too small"),
    ("inception_v3", (3, 32, 32), r"Kernel size can't be greater than actual input size"),
    ("maxvit_t", (3, 32, 32), r"is invalid for input of size"),
    ("squeezenet1_0", (3, 32, 32), r"has no final nn.Linear layer"),
    ("small_cnn", (2,), r"small_cnn needs input_shape \(C, H, W\)"),
    ("vgg16", (1, 8, 8), r"vgg16 needs input_shape \(3, H, W\)"),
]


@pytest.mark.parametrize(("name", "shape", "reason"), REFUSED)
def test_refused_shapes_name_model_shape_and_reason(name, shape, reason):
    with pytest.raises(ValueError) as info:
        check_model(name, shape, 10)
    message = str(info.value)
    assert message.startswith(f"model {name!r} cannot take input_shape {shape}: ")
    assert re.search(reason, message), message


def test_a_resize_or_another_model_is_the_fix():
    with pytest.raises(ValueError, match=r"Fix: resize the images.*image_size: 224.*another model"):
        check_model("vit_b_16", (3, 32, 32), 10)


def test_one_channel_images_against_a_three_channel_stem():
    with pytest.raises(
        ValueError,
        match=r"model 'resnet18' cannot take input_shape \(1, 32, 32\): its first convolution "
        r"\('backbone.conv1'\) expects 3-channel images, these have 1\. Fix: give it 3-channel",
    ):
        check_model("resnet18", (1, 32, 32), 10)


def _real_verdict(name, shape):
    try:
        model = build_model(name, num_classes=4, input_shape=shape, seed=0)
        with torch.no_grad():
            features = model.embed(torch.zeros(2, *shape))
        return ("ok", features.shape[1])
    except Exception:
        return ("refused", None)


def _meta_verdict(name, shape):
    try:
        return ("ok", check_model(name, shape, 4))
    except ValueError:
        return ("refused", None)


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("resnet18", (3, 8, 8)),
        ("alexnet", (3, 32, 32)),
        ("alexnet", (3, 64, 64)),
        ("mobilenet_v3_small", (1, 32, 32)),
        ("mobilenet_v3_small", (3, 16, 16)),
        ("small_cnn", (1, 2, 2)),
    ],
)
def test_meta_verdicts_agree_with_real_forwards(name, shape):
    assert _meta_verdict(name, shape) == _real_verdict(name, shape)


def test_regnet_falls_back_to_parameters_on_meta():
    # regnet sizes its stages with .tolist(), which a meta tensor cannot do
    register_parameter = nn.Module.register_parameter
    assert check_model("regnet_x_400mf", (3, 32, 32), 10) == 400
    assert nn.Module.register_parameter is register_parameter  # restored


def test_pretrained_checks_the_architecture_of_the_published_weights():
    # vit_h_14's DEFAULT weights (SWAG) are for 518x518 images; from scratch it takes 224
    assert check_model("vit_h_14", (3, 224, 224), 10) == 1280
    with pytest.raises(ValueError, match="Expected 518 but got 224"):
        check_model("vit_h_14", (3, 224, 224), 10, pretrained=True)
    assert check_model("vit_h_14", (3, 518, 518), 10, pretrained=True) == 1280


def test_pretrained_without_weights_is_refused():
    with pytest.raises(ValueError, match="'small_cnn' has no pretrained weights"):
        check_model("small_cnn", (1, 8, 8), 10, pretrained=True)


@pytest.mark.parametrize("name", ["resnet", "resnet18:", "a:b:c", "ResNet18"])
def test_unknown_names_list_the_known_ones(name):
    for call in (
        lambda: check_model(name, (3, 32, 32), 10),
        lambda: build_model(name, num_classes=10, input_shape=(3, 32, 32), seed=0),
    ):
        with pytest.raises(ValueError) as info:
            call()
        message = str(info.value)
        assert message.startswith(f"unknown model {name!r}; known models: ")
        assert "'linear', 'mlp', 'small_cnn'" in message and "'vgg16'" in message
        assert "any torchvision classification model name" in message
        assert "'package.module:function'" in message
