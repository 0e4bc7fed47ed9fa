"""The model catalogue: alcore's builtin models, and how the other two forms of a name read.

A config's ``model:`` takes three forms, resolved in this order:

1. an alcore builtin, a key of :data:`BUILTINS` (``vgg16``, ``small_cnn``, ``mlp``, ...);
2. any torchvision classification model (``resnet18``, ``wide_resnet50_2``, ``vit_b_16``, ...:
   ``torchvision.models.list_models(module=torchvision.models)``);
3. a user's own model, ``"package.module:function"`` (:data:`USER_MODEL_FORM`).

Torch-free for builtins and user models; a torchvision name makes :func:`model_kind` and
:func:`pretrained_problem` import torchvision (and so torch).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Size:
    """What a job's memory estimate needs of a model (``tests/models`` holds these against the
    built model at ``shape``)."""

    parameters: int  # weights, the head excluded, on items of ``shape``
    feature_dim: int | None  # F, the width of the features; None: the flattened input's
    batch_mb: int  # activations and their gradients for a batch of 64 items
    shape: tuple[int, ...]  # the item shape ``parameters`` is counted at


@dataclass(frozen=True)
class Builtin:
    """One alcore model."""

    summary: str  # one line for listings
    # "module:callable". Without ``weights``: called as callable(input_shape, num_classes,
    # **arguments). With ``weights``: an alcore.models.registry.ModelBuilder.
    builder: str
    size: Size
    arguments: Mapping[str, object] = field(default_factory=dict)
    # "module:function" returning the published weights' alcore.models.WeightsSource; None: it
    # has no pretrained weights
    weights: str | None = None


BUILTINS: dict[str, Builtin] = {
    "vgg16": Builtin(
        "torchvision VGG16, optional ImageNet weights, 4096 features",
        "alcore.models.vgg:build_vgg16",
        Size(134_260_544, 4096, 500, (3, 32, 32)),
        weights="alcore.models.vgg:vgg16_weights",
    ),
    "small_cnn": Builtin(
        "3 conv layers + 64-unit hidden layer, fast on CPU",
        "alcore.models.small:SmallCNN",
        Size(45_088, 64, 20, (3, 32, 32)),
    ),
    "small_cnn_dropout": Builtin(
        "small_cnn with dropout 0.5 before the head (for the dropout passes of bald, batchbald)",
        "alcore.models.small:SmallCNN",
        Size(45_088, 64, 20, (3, 32, 32)),
        arguments={"dropout": 0.5},
    ),
    "lenet5": Builtin(
        "LeNet-5 (ReLU, max pooling), 84 features; ~26x less arithmetic than small_cnn",
        "alcore.models.lenet:LeNet5",
        Size(60_856, 84, 5, (1, 28, 28)),
    ),
    "mlp": Builtin(
        "2 hidden layers of 64 with ReLU, for the 2-D toys",
        "alcore.models.mlp:MLP",
        Size(4_352, 64, 5, (2,)),
    ),
    "linear": Builtin(
        "one linear layer on the flattened input; features = the inputs (precomputed features)",
        "alcore.models.linear:LinearClassifier",
        Size(0, None, 5, (2,)),
    ),
}

USER_MODEL_FORM = "package.module:function"
_USER_MODEL = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

ModelKind = Literal["builtin", "torchvision", "user"]


def is_user_model(name: str) -> bool:
    """Whether ``name`` has the form ``"package.module:function"`` (dotted names, one colon)."""
    return bool(_USER_MODEL.match(name))


def torchvision_model_names() -> tuple[str, ...]:
    """torchvision's classification models, sorted (``list_models(module=torchvision.models)``);
    detection, segmentation, video and quantized models are not among them. Imports
    torchvision."""
    import torchvision.models as tvm

    return tuple(sorted(tvm.list_models(module=tvm)))


def model_kind(name: str) -> ModelKind | None:
    """``builtin``, ``torchvision`` or ``user``; None for an unknown name.

    Imports torchvision (and so torch) only for a name that is neither a builtin nor of the
    user form.
    """
    if name in BUILTINS:
        return "builtin"
    if ":" not in name:
        return "torchvision" if name in torchvision_model_names() else None
    return "user" if is_user_model(name) else None


def known_models_hint() -> str:
    """The sentence an unknown-name error ends with: which names work."""
    return (
        f"known models: {sorted(BUILTINS)} (alcore's builtins), any torchvision "
        "classification model name (e.g. 'resnet18', 'wide_resnet50_2', 'efficientnet_b0', "
        "'convnext_tiny', 'vit_b_16'; `alcore models` lists them), or your own model as "
        f"'{USER_MODEL_FORM}' (a function called as function(num_classes=C, input_shape=shape) "
        "that returns an nn.Module)"
    )


def torchvision_has_weights(name: str) -> bool:
    """Whether torchvision publishes ``DEFAULT`` weights for model ``name``. Imports
    torchvision."""
    import torchvision.models as tvm

    try:
        tvm.get_model_weights(name).DEFAULT  # noqa: B018 (the lookup is the test)
    except (ValueError, KeyError, AttributeError):
        return False
    return True


def pretrained_problem(name: str) -> str | None:
    """Why ``pretrained: true`` cannot work for model ``name``, or None when it can.

    Torch-free for builtins and user models; for other names imports torchvision to ask whether
    the model publishes weights. Says nothing of whether the weights file is on disk.
    """
    with_weights = sorted(k for k, v in BUILTINS.items() if v.weights is not None)
    if name in BUILTINS:
        if BUILTINS[name].weights is not None:
            return None
        return (
            f"model {name!r} has no pretrained weights; set pretrained: false, or pick "
            f"{with_weights} or a torchvision model with published ImageNet weights "
            "(e.g. resnet18)"
        )
    if is_user_model(name):
        return (
            f"model {name!r} is your own model: pretrained applies to {', '.join(with_weights)} "
            "and torchvision models only; set pretrained: false and load your weights inside "
            "your function"
        )
    if name not in torchvision_model_names():
        return f"unknown model {name!r}; {known_models_hint()}"
    if not torchvision_has_weights(name):
        return (
            f"torchvision model {name!r} has no published weights; set pretrained: false or "
            "choose a model that has them"
        )
    return None


def model_source_hash(name: str) -> str | None:
    """The sha256 (hex) of the source file of a user model's module; None for other names.

    Identifies the user's code in a settings fingerprint: editing the module changes it. Only
    that one file counts (not modules it imports). The file is found with
    ``importlib.util.find_spec``, so the module is not executed (its parent packages are
    imported); torch-free.

    Raises:
        ValueError: the module cannot be found (not on ``sys.path``: see PYTHONPATH).
    """
    if not is_user_model(name):
        return None
    module_name = name.split(":")[0]
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError) as err:
        spec, reason = None, f" ({type(err).__name__}: {err})"
    else:
        reason = ""
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    if origin is None or not origin.is_file():
        raise ValueError(
            f"model {name!r}: cannot find the source file of module {module_name!r}{reason}; "
            f"put the folder that holds {module_name.split('.')[0]!r} on PYTHONPATH"
        )
    return hashlib.sha256(origin.read_bytes()).hexdigest()
