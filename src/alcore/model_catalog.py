"""What is known of a model name without building it: its kind and whether it has weights.

A config's ``model:`` takes three forms, resolved in this order:

1. an alcore builtin, a key of `BUILTIN_PRETRAINED` (``vgg16``, ``small_cnn``, ``mlp``,
   ``linear``, ...);
2. any torchvision classification model (``resnet18``, ``wide_resnet50_2``, ``vit_b_16``, ...:
   ``torchvision.models.list_models(module=torchvision.models)``);
3. a user's own model, ``"package.module:function"`` (`USER_MODEL_FORM`).

Outside `alcore.models` and free of torch, so that the Snakefile checks a config before any job
starts without importing torch; only a torchvision name makes `pretrained_problem` import
torchvision.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path
from typing import Literal

# name -> whether it has published (ImageNet) weights for ``pretrained: true``. The registry
# (alcore.models.registry.MODELS) must hold exactly these names; it checks at import.
BUILTIN_PRETRAINED: dict[str, bool] = {
    "vgg16": True,
    "small_cnn": False,
    "small_cnn_dropout": False,
    "mlp": False,
    "linear": False,
}

USER_MODEL_FORM = "package.module:function"
_USER_MODEL = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

ModelKind = Literal["builtin", "torchvision", "user"]


def is_user_model(name: str) -> bool:
    """Whether ``name`` has the form ``"package.module:function"`` (dotted names, one colon)."""
    return bool(_USER_MODEL.match(name))


def model_kind(name: str) -> ModelKind | None:
    """``builtin``, ``torchvision`` or ``user``; None for an unknown name.

    Imports torchvision only for a name that is neither a builtin nor of the user form.
    """
    if name in BUILTIN_PRETRAINED:
        return "builtin"
    if ":" not in name:
        from alcore.models.torchvision_models import torchvision_model_names

        return "torchvision" if name in torchvision_model_names() else None
    return "user" if is_user_model(name) else None


def known_models_hint() -> str:
    """The sentence an unknown-name error ends with: which names work."""
    return (
        f"known models: {sorted(BUILTIN_PRETRAINED)} (alcore's builtins), any torchvision "
        "classification model name (e.g. 'resnet18', 'wide_resnet50_2', 'efficientnet_b0', "
        "'convnext_tiny', 'vit_b_16'; `alcore models` lists them), or your own model as "
        f"'{USER_MODEL_FORM}' (a function called as function(num_classes=C, input_shape=shape) "
        "that returns an nn.Module)"
    )


def pretrained_problem(name: str) -> str | None:
    """Why ``pretrained: true`` cannot work for model ``name``, or None when it can.

    Torch-free for builtins and user models; for other names imports torchvision to ask whether
    the model publishes weights. Says nothing of whether the weights file is on disk.
    """
    if name in BUILTIN_PRETRAINED:
        if BUILTIN_PRETRAINED[name]:
            return None
        with_weights = sorted(k for k, v in BUILTIN_PRETRAINED.items() if v)
        return (
            f"model {name!r} has no pretrained weights; set pretrained: false, or pick "
            f"{with_weights} or a torchvision model with published ImageNet weights "
            "(e.g. resnet18)"
        )
    if is_user_model(name):
        return (
            f"model {name!r} is your own model: pretrained applies to vgg16 and torchvision "
            "models only; set pretrained: false and load your weights inside your function"
        )
    from alcore.models.torchvision_models import torchvision_pretrained_problem

    return torchvision_pretrained_problem(name)


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
