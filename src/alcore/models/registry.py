"""The model registry and `build_model`, the one entry point the pipeline calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch

from alcore.models.base import EmbeddingClassifier
from alcore.models.mlp import MLP
from alcore.models.small import SmallCNN
from alcore.models.vgg import build_vgg16


class ModelBuilder(Protocol):
    """Builds an untrained (or pretrained) model; `build_model` seeds the RNG around the call."""

    def __call__(
        self,
        *,
        num_classes: int,
        input_shape: tuple[int, ...],
        pretrained: bool,
        weights_dir: str | Path | None,
        allow_download: bool,
    ) -> EmbeddingClassifier: ...


@dataclass(frozen=True)
class ModelEntry:
    """One registry entry."""

    build: ModelBuilder
    summary: str  # one line for listings


def _without_weights(
    name: str, model: Callable[[tuple[int, ...], int], EmbeddingClassifier]
) -> ModelBuilder:
    """A builder for a model that has no pretrained weights (``pretrained=True`` is refused)."""

    def build(
        *,
        num_classes: int,
        input_shape: tuple[int, ...],
        pretrained: bool,
        weights_dir: str | Path | None,
        allow_download: bool,
    ) -> EmbeddingClassifier:
        if pretrained:
            raise ValueError(f"model {name!r} has no pretrained weights; set pretrained=False")
        return model(input_shape, num_classes)

    return build


MODELS: dict[str, ModelEntry] = {
    "vgg16": ModelEntry(build_vgg16, "torchvision VGG16, optional ImageNet weights, 4096 features"),
    "small_cnn": ModelEntry(
        _without_weights("small_cnn", SmallCNN), "3 conv layers + 64-unit hidden layer, fast on CPU"
    ),
    "mlp": ModelEntry(
        _without_weights("mlp", MLP), "2 hidden layers of 64 with ReLU, for the 2-D toys"
    ),
}


def available_models() -> tuple[str, ...]:
    """Registered model names, sorted."""
    return tuple(sorted(MODELS))


def build_model(
    name: str,
    *,
    num_classes: int,
    input_shape: tuple[int, ...],
    seed: int,
    pretrained: bool = False,
    weights_dir: str | Path | None = None,
    allow_download: bool = False,
) -> EmbeddingClassifier:
    """Build a registered model whose initial weights depend only on ``seed``.

    The RNG is forked and seeded inside this call (CPU generator only), so the caller's global
    RNG state is left exactly as it was and the result does not depend on it.

    Args:
        name: one of `available_models()`.
        num_classes: C >= 2, the width of the logits.
        input_shape: the shape of one input item, e.g. (3, 32, 32), (1, 8, 8) or (2,).
        seed: fixes every randomly initialised weight.
        pretrained: load published weights (vgg16 only) for everything but the head.
        weights_dir: searched for the checkpoint before torch hub's cache.
        allow_download: fetch a missing checkpoint from the internet; off by default so that an
            offline machine fails at once with a message saying where to put the file.

    Returns:
        An `EmbeddingClassifier` in train mode, on the CPU.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {list(available_models())}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes={num_classes!r} must be an integer >= 2")
    shape = tuple(input_shape)
    if not shape or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in shape):
        raise ValueError(f"input_shape={input_shape!r} must be a non-empty tuple of positive ints")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer")
    with torch.random.fork_rng(devices=[]):
        # Seed only the CPU generator (torch.manual_seed would also reseed CUDA's, which
        # fork_rng(devices=[]) does not restore); models are initialised on the CPU.
        torch.default_generator.manual_seed(seed)
        return MODELS[name].build(
            num_classes=num_classes,
            input_shape=shape,
            pretrained=pretrained,
            weights_dir=weights_dir,
            allow_download=allow_download,
        )
