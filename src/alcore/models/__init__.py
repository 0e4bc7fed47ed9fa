"""Models for alcore: each is an `EmbeddingClassifier` with ``forward(x) = head(embed(x))``.

``embed`` gives the features core-set selection works on; `build_model` builds a registered model
deterministically from a seed; `logits_and_features` gets logits and features from one pass.
"""

from alcore.models.base import EmbeddingClassifier, logits_and_features
from alcore.models.pretrained import WeightsUnavailableError
from alcore.models.registry import MODELS, ModelEntry, available_models, build_model

__all__ = [
    "MODELS",
    "EmbeddingClassifier",
    "ModelEntry",
    "WeightsUnavailableError",
    "available_models",
    "build_model",
    "logits_and_features",
]
