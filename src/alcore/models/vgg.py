"""`VGG16Classifier`: torchvision's VGG16 (the paper's model) with a fresh ``num_classes`` head.

Features are the 4096-d input of the last linear layer (after the second hidden layer's ReLU and
dropout: call ``model.eval()`` before extracting them). Optional ImageNet weights
(``VGG16_Weights.IMAGENET1K_V1``, file ``vgg16-397923af.pth``) are read offline-first; see
`alcore.models.pretrained`. 32x32 inputs work: the convolutions reduce them to 1x1 and
torchvision's adaptive average pool brings that back to the 7x7 the classifier expects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from alcore.models.base import EmbeddingClassifier
from alcore.models.pretrained import WeightsSource, load_checkpoint

VGG16_FILE = "vgg16-397923af.pth"  # torchvision's VGG16_Weights.IMAGENET1K_V1 file
VGG16_FETCH = "python -c \"import torchvision; torchvision.models.vgg16(weights='IMAGENET1K_V1')\""


class VGG16Classifier(EmbeddingClassifier):
    """features -> avgpool(7x7) -> flatten -> [Linear-ReLU-Dropout] x 2 -> head."""

    def __init__(self, backbone: Any, num_classes: int) -> None:
        super().__init__()
        last = backbone.classifier[-1]
        self.features: nn.Module = backbone.features  # (B, 3, H, W) -> (B, 512, H/32, W/32)
        self.avgpool: nn.Module = backbone.avgpool  # -> (B, 512, 7, 7)
        self.body = nn.Sequential(*list(backbone.classifier.children())[:-1])  # -> (B, 4096)
        self.head = nn.Linear(last.in_features, num_classes)
        nn.init.normal_(self.head.weight, 0.0, 0.01)  # torchvision's VGG init for linear layers
        nn.init.zeros_(self.head.bias)

    def embed(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) with H, W >= 32 -> (B, 4096) features."""
        x = self.avgpool(self.features(x))  # (B, 512, 7, 7)
        features: Tensor = self.body(torch.flatten(x, 1))  # (B, 25088) -> (B, 4096)
        return features


def build_vgg16(
    *,
    num_classes: int,
    input_shape: tuple[int, ...],
    pretrained: bool,
    weights_dir: str | Path | None,
    allow_download: bool,
) -> VGG16Classifier:
    """Build VGG16 for (3, H, W) inputs, H, W >= 32, optionally with ImageNet weights.

    The pretrained checkpoint is located before anything is built, so a missing file fails fast.
    """
    if len(input_shape) != 3 or input_shape[0] != 3 or min(input_shape[1:]) < 32:
        raise ValueError(
            f"vgg16 needs input_shape (3, H, W) with H, W >= 32, got {input_shape}; "
            "use 'small_cnn' for smaller images or 'mlp' for flat inputs"
        )
    state = (
        load_checkpoint(
            "VGG16",
            vgg16_url(),
            weights_dir=weights_dir,
            allow_download=allow_download,
            fetch_command=VGG16_FETCH,
        )
        if pretrained
        else None
    )
    backbone = vgg16(weights=None)
    if state is not None:
        backbone.load_state_dict(state)
    return VGG16Classifier(backbone, num_classes)


def vgg16_url() -> str:
    """Where torchvision downloads the ImageNet weights from (ends in ``VGG16_FILE``)."""
    from torchvision.models import VGG16_Weights

    url: str = VGG16_Weights.IMAGENET1K_V1.url
    return url


def vgg16_weights() -> WeightsSource:
    """Where VGG16's ImageNet weights come from."""
    return WeightsSource("VGG16", vgg16_url(), VGG16_FETCH)


def vgg16(**kwargs: Any) -> Any:
    """torchvision's ``vgg16``, imported on first use (torchvision costs a second to import)."""
    from torchvision.models import vgg16 as torchvision_vgg16

    return torchvision_vgg16(**kwargs)
