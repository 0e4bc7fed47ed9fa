"""`MLP`: a small fully connected classifier for the 2-D toys (any input shape is flattened)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from torch import Tensor, nn

from alcore.models.base import EmbeddingClassifier


class MLP(EmbeddingClassifier):
    """Linear-ReLU blocks then a linear head; features = the last hidden layer after its ReLU."""

    def __init__(
        self, input_shape: tuple[int, ...], num_classes: int, hidden: Sequence[int] = (64, 64)
    ) -> None:
        super().__init__()
        if not hidden:
            raise ValueError("hidden must list at least one layer width, e.g. (64, 64)")
        widths = [math.prod(input_shape), *hidden]
        layers: list[nn.Module] = [nn.Flatten()]  # (B, *input_shape) -> (B, D)
        for w_in, w_out in itertools.pairwise(widths):
            layers += [nn.Linear(w_in, w_out), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(widths[-1], num_classes)

    def embed(self, x: Tensor) -> Tensor:
        """(B, *input_shape) -> (B, hidden[-1]) non-negative features."""
        features: Tensor = self.body(x)
        return features
