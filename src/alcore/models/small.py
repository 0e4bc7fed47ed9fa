"""`SmallCNN`: a few conv layers and a hidden linear layer; trains in seconds on CPU.

Sized for the 1x8x8 digits but takes any (C, H, W) input with H, W >= 4: an adaptive average pool
fixes the size before the hidden layer.
"""

from __future__ import annotations

from torch import Tensor, nn

from alcore.models.base import EmbeddingClassifier


class SmallCNN(EmbeddingClassifier):
    """conv32-conv32-pool-conv64-pool-avgpool(2x2)-linear(feature_dim)-ReLU[-dropout], then
    the head. ``dropout`` > 0 adds ``nn.Dropout(dropout)`` before the head (for BALD)."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int,
        feature_dim: int = 64,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if len(input_shape) != 3 or min(input_shape[1:]) < 4:
            raise ValueError(
                f"small_cnn needs input_shape (C, H, W) with H, W >= 4, got {input_shape}; "
                "use the 'mlp' model for flat inputs"
            )
        channels = input_shape[0]
        self.conv = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 32, H/2, W/2)
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 64, H/4, W/4)
            nn.AdaptiveAvgPool2d(2),  # (B, 64, 2, 2)
            nn.Flatten(),  # (B, 256)
        )
        hidden: list[nn.Module] = [nn.Linear(64 * 2 * 2, feature_dim), nn.ReLU()]
        if dropout > 0:  # active in training and in BALD's passes; eval-mode features skip it
            hidden.append(nn.Dropout(dropout))
        self.hidden = nn.Sequential(*hidden)
        self.head = nn.Linear(feature_dim, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, feature_dim) non-negative features."""
        features: Tensor = self.hidden(self.conv(x))
        return features
