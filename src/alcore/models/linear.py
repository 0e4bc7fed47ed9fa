"""`LinearClassifier`: one linear layer on the flattened input, for precomputed features.

``embed`` is the flattening itself, so the features ARE the inputs and core-set distances are
measured between the input vectors (e.g. embeddings of a frozen foundation model); ``head`` is
``nn.Linear(D, num_classes)`` with ``D = prod(input_shape)``: a linear probe.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from alcore.models.base import EmbeddingClassifier


class LinearClassifier(EmbeddingClassifier):
    """flatten -> head; ``feature_dim`` is ``prod(input_shape)``."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.head = nn.Linear(math.prod(input_shape), num_classes)  # PyTorch's default init

    def embed(self, x: Tensor) -> Tensor:
        """(B, *input_shape) -> (B, D) float, the inputs themselves (a view when possible)."""
        return x.flatten(1)
