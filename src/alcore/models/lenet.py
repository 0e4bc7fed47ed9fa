"""`LeNet5`: LeCun et al.'s LeNet-5 with ReLU and max pooling; ~0.42 M multiply-adds on 28x28.

The CNN of the Fashion-MNIST protocols on a CPU (configs/fashion.yaml): about 26x less arithmetic
an image than `small_cnn` for a similar number of weights.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from alcore.models.base import EmbeddingClassifier


def _pooled(size: int) -> int:
    """A side after conv5 (padding 2) - pool2 - conv5 - pool2."""
    return (size // 2 - 4) // 2


class LeNet5(EmbeddingClassifier):
    """conv6(5x5, pad 2)-pool-conv16(5x5)-pool-linear120-linear84, ReLU after each; the 84
    units are the features. Takes (C, H, W) with H, W >= 12 (5x5 maps before the first linear
    layer on 28x28).

    The convolutions run channels-last (weights and inputs): on a CPU core that trains LeNet-5
    1.15-1.2x and runs its forward pass 1.3x as fast as the default layout (batch 64 and 1,024,
    one thread, measured side by side); the arithmetic is the same up to float rounding.
    Each convolution's ReLU comes after its pooling: max pooling and ReLU commute exactly, in
    the values and in the gradients, and the ReLU then touches a quarter of the values (training
    1.17x as fast, one thread, batch 64)."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        if len(input_shape) != 3 or min(input_shape[1:]) < 12:
            raise ValueError(
                f"lenet5 needs input_shape (C, H, W) with H, W >= 12, got {input_shape}; "
                "use the 'mlp' model for flat inputs"
            )
        channels, height, width = input_shape
        flat = 16 * _pooled(height) * _pooled(width)
        self.body = nn.Sequential(
            nn.Conv2d(channels, 6, 5, padding=2),
            nn.MaxPool2d(2),  # (B, 6, H/2, W/2)
            nn.ReLU(),
            nn.Conv2d(6, 16, 5),
            nn.MaxPool2d(2),  # (B, 16, (H/2-4)/2, (W/2-4)/2)
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(flat, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
        )
        self.head = nn.Linear(84, num_classes)
        self.to(memory_format=torch.channels_last)

    def embed(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, 84) non-negative features."""
        features: Tensor = self.body(x.contiguous(memory_format=torch.channels_last))
        return features
