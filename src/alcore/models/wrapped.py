"""`LastLinearClassifier`: a classifier whose features are the input of its last ``nn.Linear``.

Wraps a torchvision model or a user's module: its last registered ``nn.Linear`` becomes ``head``
and is replaced by ``nn.Identity`` inside the module (kept as ``backbone``), so
``backbone(x)`` returns what that Linear received and ``forward(x) = head(backbone(x))`` is the
original forward, provided the Linear was the model's last operation (`alcore.models.registry.
check_model` verifies that before any job runs).
"""

from __future__ import annotations

from torch import Tensor, nn

from alcore.models.base import EmbeddingClassifier


def last_linear(module: nn.Module) -> tuple[str, nn.Linear] | None:
    """The last ``nn.Linear`` in registration order (``named_modules``) and its dotted path."""
    found = None
    for path, child in module.named_modules():
        if isinstance(child, nn.Linear):
            found = (path, child)
    return found


class LastLinearClassifier(EmbeddingClassifier):
    """``backbone`` (the module with its last Linear made an identity), then ``head``."""

    def __init__(self, module: nn.Module, what: str) -> None:
        """Take ``module`` over (it is modified in place); ``what`` names it in errors.

        Raises:
            ValueError: ``module`` holds no ``nn.Linear``, or it is the module itself.
        """
        super().__init__()
        found = last_linear(module)
        if found is None or not found[0]:
            raise ValueError(
                f"{what} has no final nn.Linear layer (alcore's features are the input of the "
                "final linear layer, e.g. a 1x1-convolution classifier has none); end the model "
                "with an nn.Linear, give it alcore's interface (an embed(x) method and a head "
                "nn.Linear), or choose another model"
            )
        path, linear = found
        parent_path, _, child = path.rpartition(".")
        parent = module.get_submodule(parent_path)
        setattr(parent, child, nn.Identity())  # Sequential children are named "0", "1", ...
        self.backbone = module  # (B, *input_shape) -> (B, F)
        self.head = linear  # (B, F) -> (B, C)
        self.head_path = path  # where the head sat in the original module, e.g. "fc"

    def embed(self, x: Tensor) -> Tensor:
        """(B, *input_shape) -> (B, F), the input the original model's last Linear received."""
        features: Tensor = self.backbone(x)
        return features
