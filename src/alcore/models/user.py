"""A user's own model, ``model: "package.module:function"``.

The function is called as ``function(num_classes=C, input_shape=shape)`` and returns an
``nn.Module`` that keeps one of two feature contracts:

* alcore's interface: an ``embed(x)`` method and a ``head`` ``nn.Linear`` with
  ``forward(x) == head(embed(x))`` (subclass `alcore.models.EmbeddingClassifier`, or just have
  both): used as it is;
* otherwise its features are the input of its last ``nn.Linear`` (in registration order), which
  must be the model's last operation (no softmax after it): wrapped as a `LastLinearClassifier`.

Either way the head has ``num_classes`` outputs. `check_user_model` verifies all of it with one
forward pass of two random items on the CPU, naming exactly what is missing.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from alcore.catalog.models import USER_MODEL_FORM, is_user_model
from alcore.models.base import EmbeddingClassifier
from alcore.models.wrapped import LastLinearClassifier


class InterfaceAdapter(EmbeddingClassifier):
    """A module with ``embed`` and ``head`` but not derived from `EmbeddingClassifier`.

    ``head`` is the module's own head, registered a second time (shared, not copied).
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        head = module.head
        assert isinstance(head, nn.Linear)  # has_interface checked it
        self.module = module
        self.head = head

    def embed(self, x: Tensor) -> Tensor:
        """(B, *input_shape) -> (B, F), the module's ``embed``."""
        embed: Callable[[Tensor], Tensor] = getattr(self.module, "embed")  # noqa: B009
        return embed(x)


def load_user_function(name: str) -> Callable[..., Any]:
    """The callable ``"package.module:function"`` names (``function`` may be dotted).

    Raises:
        ValueError: malformed name, module not importable, no such attribute, not callable.
    """
    if not is_user_model(name):
        raise ValueError(f"model {name!r} is not of the form {USER_MODEL_FORM!r}")
    module_name, attribute = name.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ValueError(
            f"model {name!r}: cannot import module {module_name!r} ({err}). It must be "
            "importable both where Snakemake starts and in every job: put the folder that holds "
            f"{module_name.split('.')[0]!r} on PYTHONPATH (e.g. `export PYTHONPATH=$PWD` when it "
            "lies in the working directory) or install it into the environment"
        ) from err
    except Exception as err:  # the user's module itself fails to import
        raise ValueError(
            f"model {name!r}: importing module {module_name!r} raised {type(err).__name__}: {err}"
        ) from err
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ValueError(
                f"model {name!r}: module {module_name!r} ({getattr(module, '__file__', '?')}) "
                f"has no attribute {attribute!r}; check the name after the colon"
            )
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(
            f"model {name!r}: {attribute!r} is a {type(target).__name__}, not callable; name a "
            "function (or class) called as function(num_classes=C, input_shape=shape)"
        )
    return target  # type: ignore[no-any-return]


def user_module(name: str, num_classes: int, input_shape: tuple[int, ...]) -> nn.Module:
    """Call the user's function and return its ``nn.Module``, unchanged.

    Raises:
        ValueError: any of `load_user_function`'s, the keywords are not accepted, the call
            raises, or it returns something else than an ``nn.Module``.
    """
    function = load_user_function(name)
    call = f"{name.split(':')[1]}(num_classes={num_classes}, input_shape={input_shape})"
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have no signature: just call
        signature = None
    if signature is not None:
        try:
            signature.bind(num_classes=num_classes, input_shape=input_shape)
        except TypeError as err:
            raise ValueError(
                f"model {name!r}: alcore calls {call}, but its signature {signature} does not "
                f"accept those keywords ({err}); add the parameters num_classes and input_shape"
            ) from err
    try:
        module = function(num_classes=num_classes, input_shape=input_shape)
    except Exception as err:
        raise ValueError(f"model {name!r}: {call} raised {type(err).__name__}: {err}") from err
    if not isinstance(module, nn.Module):
        raise ValueError(
            f"model {name!r}: {call} returned a {type(module).__name__}, not a torch.nn.Module"
        )
    return module


def has_interface(module: nn.Module) -> bool:
    """Whether ``module`` has alcore's interface: a callable ``embed`` and a ``head`` Linear."""
    return callable(getattr(module, "embed", None)) and isinstance(
        getattr(module, "head", None), nn.Linear
    )


def as_classifier(name: str, module: nn.Module, num_classes: int) -> EmbeddingClassifier:
    """``module`` as an `EmbeddingClassifier` (as is, adapted, or wrapped at its last Linear).

    Raises:
        ValueError: no ``nn.Linear`` at all, or the head's ``out_features != num_classes``.
    """
    if isinstance(module, EmbeddingClassifier):
        model = module
    elif has_interface(module):
        model = InterfaceAdapter(module)
    else:
        model = LastLinearClassifier(module, f"model {name!r}")
    where = getattr(model, "head_path", "head")
    if model.head.out_features != num_classes:
        raise ValueError(
            f"model {name!r}: its head (the last nn.Linear, {where!r}) has "
            f"out_features={model.head.out_features}, but the dataset has {num_classes} classes; "
            "build it as nn.Linear(..., num_classes) from the num_classes argument"
        )
    return model


def build_user(
    name: str,
    *,
    num_classes: int,
    input_shape: tuple[int, ...],
    pretrained: bool,
    weights_dir: str | Path | None,
    allow_download: bool,
) -> EmbeddingClassifier:
    """Build the user's model (no forward pass; `check_user_model` runs one)."""
    if pretrained:
        raise ValueError(
            f"model {name!r} is your own model: pretrained applies to vgg16 and torchvision "
            "models only; set pretrained=False and load your weights inside your function"
        )
    return as_classifier(name, user_module(name, num_classes, input_shape), num_classes)


def check_user_model(
    name: str, input_shape: tuple[int, ...], num_classes: int
) -> EmbeddingClassifier:
    """Verify the user model's feature contract with one real forward of 2 items.

    Builds the model (under a fixed seed, leaving the global RNG as it was) and runs the
    original module in eval mode on ``randn(2, *input_shape)``: its output must be exactly its
    last Linear's output and ``embed`` that Linear's input (or, for alcore's interface,
    ``embed`` gives (2, F) and ``forward == head(embed(x))``). Costs one construction and two
    batch-2 forwards on the CPU.

    Returns:
        The model as alcore uses it, in eval mode (for a further trial forward).

    Raises:
        ValueError: naming exactly what is missing or wrong.
    """
    shape = tuple(input_shape)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(0)
        module = user_module(name, num_classes, shape)
    model = as_classifier(name, module, num_classes)  # for the last-Linear form: module changed
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))  # (2, *shape)
    with torch.no_grad():
        if isinstance(model, LastLinearClassifier):
            _check_last_operation(name, model, x)
        else:
            _check_interface(name, model, module, x)
    return model


def _forward(name: str, x: Tensor, call: Callable[[Tensor], Any]) -> Any:
    """``call(x)``, an exception turned into a ValueError naming the model and the shape."""
    try:
        return call(x)
    except Exception as err:
        raise ValueError(
            f"model {name!r} failed on input of shape {tuple(x.shape)}: {type(err).__name__}: {err}"
        ) from err


def _check_last_operation(name: str, model: LastLinearClassifier, x: Tensor) -> None:
    """The original forward (head put back) returns exactly what its last Linear returned."""
    path, head = model.head_path, model.head
    parent_path, _, child = path.rpartition(".")
    parent = model.backbone.get_submodule(parent_path)
    identity = getattr(parent, child)
    seen: dict[str, Tensor] = {}

    def capture(module: nn.Module, args: tuple[Any, ...], output: Tensor) -> None:
        seen["input"], seen["output"] = args[0], output

    setattr(parent, child, head)  # the module as the user built it
    handle = head.register_forward_hook(capture)
    try:
        output = _forward(name, x, model.backbone.eval())
    finally:
        handle.remove()
        setattr(parent, child, identity)
    if "output" not in seen:
        raise ValueError(
            f"model {name!r}: its last nn.Linear ({path!r}, the last one registered) is not "
            "called by forward; make the final linear layer the last one defined in __init__"
        )
    if not isinstance(output, Tensor) or not torch.equal(output, seen["output"]):
        raise ValueError(
            f"model {name!r}: its output is not the output of its last nn.Linear ({path!r}): "
            "something comes after it (e.g. a softmax or an activation). alcore's features are "
            "the input of the final linear layer and its logits that layer's output: end forward "
            "with the linear layer (alcore applies softmax itself), or give the model alcore's "
            "interface (an embed(x) method and a head nn.Linear, forward = head(embed(x)))"
        )
    features = _forward(name, x, model.embed)
    if not torch.equal(features, seen["input"]):
        raise ValueError(
            f"model {name!r}: with its last nn.Linear ({path!r}) replaced by nn.Identity the "
            "model does not return that layer's input; end forward with the linear layer"
        )


def _check_interface(name: str, model: EmbeddingClassifier, module: nn.Module, x: Tensor) -> None:
    """``embed`` gives (2, F) features and ``forward == head(embed(x))``."""
    module.eval()
    features = _forward(name, x, model.embed)
    F = model.feature_dim
    if not isinstance(features, Tensor) or tuple(features.shape) != (2, F):
        got = tuple(features.shape) if isinstance(features, Tensor) else type(features).__name__
        raise ValueError(
            f"model {name!r}: embed(x) must return (B, F) = (2, {F}) features for x of shape "
            f"{tuple(x.shape)} (F = head.in_features), got {got}"
        )
    output = _forward(name, x, module)
    if not isinstance(output, Tensor) or not torch.allclose(
        output, model.head(features), rtol=1e-5, atol=1e-6
    ):
        raise ValueError(
            f"model {name!r}: forward(x) differs from head(embed(x)); alcore computes logits "
            "as head(embed(x)), so forward must do exactly that"
        )
