"""The model registry and `build_model`, the one entry point the pipeline calls.

A name resolves, in this order, to an alcore builtin, a torchvision classification
model (`alcore.models.torchvision_models`) or a user's ``"package.module:function"``
(`alcore.models.user`); see `alcore.catalog.models`. `check_model` (in `alcore.models.check`)
verifies a name and an input shape before any job starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Protocol, cast

import torch

from alcore.catalog.models import (
    BUILTINS,
    known_models_hint,
    model_kind,
    pretrained_problem,
)
from alcore.catalog.refs import resolve
from alcore.models.base import EmbeddingClassifier
from alcore.models.pretrained import WeightsSource
from alcore.models.torchvision_models import (
    build_torchvision,
    torchvision_architecture,
    torchvision_weights,
)
from alcore.models.user import build_user

__all__ = ["ModelBuilder", "build_model", "builtin_builder", "resolve_builder", "weights_source"]


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


def _without_weights(
    name: str, model: Callable[..., EmbeddingClassifier], arguments: Mapping[str, object]
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
        return model(input_shape, num_classes, **arguments)

    return build


def builtin_builder(name: str) -> ModelBuilder:
    """The builder of the builtin ``name`` (:data:`alcore.catalog.models.BUILTINS`)."""
    entry = BUILTINS[name]
    built = resolve(entry.builder)
    if entry.weights is not None:
        return cast(ModelBuilder, built)
    return _without_weights(name, built, entry.arguments)


def resolve_builder(name: str) -> ModelBuilder:
    """The builder of model ``name``: builtin, then torchvision, then ``package.module:function``.

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    if name in BUILTINS:
        return builtin_builder(name)
    kind = model_kind(name)
    if kind == "torchvision":
        return partial(build_torchvision, name)
    if kind == "user":
        return partial(build_user, name)
    raise ValueError(f"unknown model {name!r}; {known_models_hint()}")


def weights_source(name: str) -> WeightsSource | None:
    """Where the pretrained weights of model ``name`` come from; None when it has none."""
    if name in BUILTINS:
        weights = BUILTINS[name].weights
        return None if weights is None else cast(WeightsSource, resolve(weights)())
    if model_kind(name) == "torchvision":
        return torchvision_weights(name)
    return None


def build_model(
    name: str,
    *,
    num_classes: int,
    input_shape: tuple[int, ...],
    seed: int,
    pretrained: bool = False,
    weights_dir: str | Path | None = None,
    allow_download: bool = False,
    load_weights: bool = True,
) -> EmbeddingClassifier:
    """Build model ``name`` with initial weights that depend only on ``seed``.

    The RNG is forked and seeded inside this call (CPU generator only), so the caller's global
    RNG state is left exactly as it was and the result does not depend on it.

    Args:
        name: a builtin (`alcore.catalog.models.BUILTINS`), a torchvision classification
            model name (`alcore.catalog.models.torchvision_model_names()`) or
            ``"package.module:function"``.
        num_classes: C >= 2, the width of the logits.
        input_shape: the shape of one input item, e.g. (3, 32, 32), (1, 8, 8) or (2,).
        seed: fixes every randomly initialised weight.
        pretrained: load published weights (vgg16, torchvision models) for everything but the
            head.
        weights_dir: searched for the checkpoint before torch hub's cache.
        allow_download: fetch a missing checkpoint from the internet; off by default so that an
            offline machine fails at once with a message saying where to put the file.
        load_weights: with ``pretrained``, False builds the architecture the published weights
            need (googlenet's input transform, vit_h_14's 518x518 size, ...) with random
            weights and reads no file: for rebuilding a model whose state a checkpoint holds.

    Returns:
        An `EmbeddingClassifier` in train mode, on the CPU.
    """
    build = resolve_builder(name)
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
        if pretrained and not load_weights:
            return _pretrained_architecture(name, num_classes, shape, build)
        return build(
            num_classes=num_classes,
            input_shape=shape,
            pretrained=pretrained,
            weights_dir=weights_dir,
            allow_download=allow_download,
        )


def _pretrained_architecture(
    name: str, num_classes: int, shape: tuple[int, ...], build: ModelBuilder
) -> EmbeddingClassifier:
    """The model ``pretrained=True`` gives, with random weights and no file read."""
    problem = pretrained_problem(name)
    if problem is not None:
        raise ValueError(problem)
    if name not in BUILTINS and model_kind(name) == "torchvision":
        return torchvision_architecture(name, num_classes, pretrained=True)
    # builtins (vgg16): loading weights does not change the architecture
    return build(
        num_classes=num_classes,
        input_shape=shape,
        pretrained=False,
        weights_dir=None,
        allow_download=False,
    )
