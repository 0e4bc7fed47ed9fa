"""Models for alcore: each is an `EmbeddingClassifier` with ``forward(x) = head(embed(x))``.

``embed`` gives the features core-set selection works on; `build_model` builds a model (an alcore
builtin, any torchvision classification model, or a user's ``"package.module:function"``)
deterministically from a seed; `check_model` checks a name and an input shape before any job;
`logits_and_features` gets logits and features from one pass.
"""

from alcore.models.base import EmbeddingClassifier, logits_and_features
from alcore.models.check import check_model
from alcore.models.pretrained import WeightsUnavailableError
from alcore.models.registry import build_model

__all__ = [
    "EmbeddingClassifier",
    "WeightsUnavailableError",
    "build_model",
    "check_model",
    "logits_and_features",
]
