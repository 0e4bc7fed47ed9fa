"""The interface every alcore model has: ``forward(x) = head(embed(x))``.

``embed`` returns the features the core-set selection measures distances on (the input of the
final linear layer), ``head`` is that final ``nn.Linear``, and `logits_and_features` gets both
from one pass.
"""

from __future__ import annotations

from torch import Tensor, nn


class EmbeddingClassifier(nn.Module):
    """Base class: subclasses set ``self.head`` and implement `embed`."""

    head: nn.Linear  # (B, feature_dim) -> (B, num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """Features: (B, *input_shape) -> (B, feature_dim), the input of ``head``."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """Logits: (B, *input_shape) -> (B, num_classes)."""
        logits: Tensor = self.head(self.embed(x))
        return logits

    @property
    def feature_dim(self) -> int:
        """F, the width of `embed`'s output."""
        return int(self.head.in_features)

    @property
    def num_classes(self) -> int:
        """C, the width of the logits."""
        return int(self.head.out_features)


def logits_and_features(model: EmbeddingClassifier, x: Tensor) -> tuple[Tensor, Tensor]:
    """Logits and features from ONE forward pass.

    Args:
        model: any `EmbeddingClassifier`; put it in eval mode first when dropout must be off.
        x: (B, *input_shape) float32.

    Returns:
        ``(logits, features)``: (B, num_classes) and (B, feature_dim), with
        ``logits == model.head(features)``.
    """
    features = model.embed(x)  # (B, F)
    return model.head(features), features
