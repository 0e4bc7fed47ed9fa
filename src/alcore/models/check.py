"""`check_model`: will model ``name`` take items of ``input_shape``? Decided before any job runs.

Builtins and torchvision models are built on the meta device (shapes only: no memory for
weights, no arithmetic) and run once on a meta tensor of shape (2, *input_shape) in train mode;
whatever fails there (a ViT's fixed image size, a 3-channel stem fed 1-channel images, a pooling
window larger than the feature map) fails the same way on real tensors. Families whose
construction itself computes with tensors (torchvision's regnet sizes its stages with
``.tolist()``) are built with real parameter creation moved to the meta device instead.
A user's ``"package.module:function"`` is built for real and run on two random CPU items, since
user code need not support meta tensors (`alcore.models.user.check_user_model`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

from alcore.catalog.models import known_models_hint, model_kind, pretrained_problem
from alcore.models.base import EmbeddingClassifier
from alcore.models.registry import builtin_builder
from alcore.models.torchvision_models import torchvision_architecture
from alcore.models.user import check_user_model


def check_model(
    name: str, input_shape: tuple[int, ...], num_classes: int, *, pretrained: bool = False
) -> int:
    """Check that model ``name`` builds and runs on items of ``input_shape``; return F.

    Costs no real compute for builtins and torchvision models (~0.1-0.5 s on the meta device,
    plus ~1.5 s to import torchvision once for a torchvision name); a user model costs one
    construction and three batch-2 CPU forwards.

    Args:
        name: a builtin, a torchvision classification model name or
            ``"package.module:function"``.
        input_shape: one item's shape, e.g. (3, 32, 32).
        num_classes: C, the width of the logits.
        pretrained: check the architecture the published weights need (and that there are
            such weights); whether their file is on disk is `alcore.workflow.preflight`'s.

    Returns:
        F, the feature dimension (``embed``'s output width).

    Raises:
        ValueError: naming the model, the input shape, the reason and a fix.
    """
    shape = tuple(input_shape)
    kind = model_kind(name)
    if kind is None:
        raise ValueError(f"unknown model {name!r}; {known_models_hint()}")
    if pretrained:
        problem = pretrained_problem(name)
        if problem is not None:
            raise ValueError(problem)
    if kind == "user":
        model = check_user_model(name, shape, num_classes)
        x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(1))  # (2, *shape)
    else:

        def build() -> EmbeddingClassifier:
            if kind == "torchvision":
                return torchvision_architecture(name, num_classes, pretrained=pretrained)
            return builtin_builder(name)(
                num_classes=num_classes,
                input_shape=shape,
                pretrained=False,  # same architecture, nothing loaded
                weights_dir=None,
                allow_download=False,
            )

        model = _on_meta(name, shape, build)
        x = torch.empty(2, *shape, device="meta")  # (2, *shape), no data
    return _trial_forward(name, model, x, num_classes)


def _on_meta(
    name: str, shape: tuple[int, ...], build: Callable[[], EmbeddingClassifier]
) -> EmbeddingClassifier:
    """``build()`` with every tensor on the meta device; failing that, with real tensors for the
    construction's arithmetic and only parameters and buffers moved to the meta device."""
    try:
        with torch.device("meta"):
            return build()
    except Exception:  # e.g. regnet: .tolist() of a meta tensor; retried below
        pass
    try:
        with _parameters_on_meta():
            return build()
    except ValueError as err:  # the builder's own refusal names the fix already
        raise ValueError(f"model {name!r} cannot take input_shape {shape}: {err}") from err
    except Exception as err:
        raise ValueError(_cannot_take(name, shape, f"{type(err).__name__}: {err}")) from err


@contextmanager
def _parameters_on_meta() -> Iterator[None]:
    """Within the block, parameters and buffers move to the meta device as modules register
    them, so that initialisation (which runs after registration) costs nothing."""
    register_parameter = nn.Module.register_parameter
    register_buffer = nn.Module.register_buffer

    def parameter_on_meta(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        if param is not None:
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        register_parameter(module, name, param)

    def buffer_on_meta(
        module: nn.Module, name: str, tensor: Tensor | None, persistent: bool = True
    ) -> None:
        register_buffer(module, name, None if tensor is None else tensor.to("meta"), persistent)

    nn.Module.register_parameter = parameter_on_meta  # type: ignore[method-assign, assignment]
    nn.Module.register_buffer = buffer_on_meta  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        nn.Module.register_parameter = register_parameter  # type: ignore[method-assign]
        nn.Module.register_buffer = register_buffer  # type: ignore[method-assign]


class _ChannelMismatchError(Exception):
    def __init__(self, path: str, expected: int, got: int, first: bool) -> None:
        super().__init__(f"convolution {path!r} expects {expected} channels, got {got}")
        self.path, self.expected, self.got, self.first = path, expected, got, first


def _trial_forward(name: str, model: EmbeddingClassifier, x: Tensor, num_classes: int) -> int:
    """One train-mode pass of ``x`` (2, *input_shape); checks features (2, F), logits (2, C)."""
    shape = tuple(x.shape[1:])
    convs = [
        (path, m)
        for path, m in model.named_modules()
        if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d)
    ]
    reached: list[str] = []

    def make_hook(path: str) -> Callable[[nn.Module, tuple[Any, ...]], None]:
        def hook(module: nn.Module, args: tuple[Any, ...]) -> None:
            first = not reached
            reached.append(path)
            inputs = args[0]
            if isinstance(inputs, Tensor) and inputs.dim() >= 2:
                channels = int(inputs.shape[1])
                expected = int(module.in_channels)  # type: ignore[arg-type]
                if channels != expected:
                    raise _ChannelMismatchError(path, expected, channels, first)

        return hook

    handles = [m.register_forward_pre_hook(make_hook(path)) for path, m in convs]
    try:
        with torch.no_grad():
            model.train()
            features = model.embed(x)
            logits = model.head(features)
    except _ChannelMismatchError as err:
        if err.first:
            raise ValueError(
                f"model {name!r} cannot take input_shape {shape}: its first convolution "
                f"({err.path!r}) expects {err.expected}-channel images, these have {err.got}. "
                f"Fix: give it {err.expected}-channel images (e.g. repeat a grayscale channel), "
                "or choose a model that takes the images as they are (small_cnn takes any "
                "channel count)"
            ) from None
        raise ValueError(_cannot_take(name, shape, str(err))) from None
    except Exception as err:
        raise ValueError(_cannot_take(name, shape, f"{type(err).__name__}: {err}")) from err
    finally:
        for handle in handles:
            handle.remove()
    F = model.feature_dim
    if not isinstance(features, Tensor) or tuple(features.shape) != (2, F):
        got = tuple(features.shape) if isinstance(features, Tensor) else type(features).__name__
        raise ValueError(
            f"model {name!r}: its features (embed(x), the input of the final nn.Linear) must "
            f"have shape (B, F) = (2, {F}) for x of shape {tuple(x.shape)} (F = "
            f"head.in_features), got {got}; flatten before the final linear layer"
        )
    if tuple(logits.shape) != (2, num_classes):
        raise ValueError(
            f"model {name!r}: the logits have shape {tuple(logits.shape)}, expected "
            f"(2, {num_classes})"
        )
    return F


def _cannot_take(name: str, shape: tuple[int, ...], reason: str) -> str:
    end = "" if reason.endswith((".", "!", "?")) else "."
    return (
        f"model {name!r} cannot take input_shape {shape}: {reason}{end} Fix: resize the images "
        "to a size the model is made for (for imagefolder, e.g. options: image_size: 224, the size "
        "of torchvision's ImageNet models) or choose another model (e.g. resnet18 or small_cnn "
        "take 32x32 images; mlp and linear take flat features)"
    )
