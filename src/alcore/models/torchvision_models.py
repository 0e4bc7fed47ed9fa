"""Any torchvision classification model (``resnet18``, ``vit_b_16``, ...) as an alcore model.

The model is torchvision's, wrapped as a `LastLinearClassifier`: its final ``nn.Linear``
(resnet's ``fc``, vit's ``heads.head``, efficientnet's ``classifier.1``, ...) is the ``head`` and
the features are that layer's input. From scratch it is torchvision's model with ``num_classes``
outputs, initialised as torchvision initialises it (head included). With ``pretrained=True``
torchvision's ``DEFAULT`` ImageNet weights (``get_model_weights(name).DEFAULT``) are read
offline-first through `alcore.models.pretrained`, torchvision's own builder loads them into its
1000-class model (so every family's loading quirks are torchvision's), and the final Linear is
then replaced by a fresh ``nn.Linear(F, num_classes)`` (PyTorch's default init).

googlenet and inception_v3 are built without their auxiliary classifiers (in training mode they
would make the output a tuple). squeezenet has no final Linear (its classifier is a 1x1
convolution) and is refused. torchvision is imported on first use (it costs ~1.5 s).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from alcore.catalog.models import pretrained_problem
from alcore.models.pretrained import WeightsSource, load_checkpoint
from alcore.models.wrapped import LastLinearClassifier

# Constructor arguments torchvision's builders take for a model trained from scratch.
_SCRATCH_KWARGS: dict[str, dict[str, Any]] = {
    "googlenet": {"aux_logits": False, "init_weights": True},  # init_weights: silence a warning
    "inception_v3": {"aux_logits": False, "init_weights": True},
}


def torchvision_weights(name: str) -> WeightsSource | None:
    """The ``DEFAULT`` weights torchvision publishes for model ``name``; None when it has none."""
    import torchvision.models as tvm

    try:
        weights = tvm.get_model_weights(name).DEFAULT
    except (ValueError, KeyError, AttributeError):
        return None
    command = (
        f"python -c \"import torchvision; torchvision.models.get_model('{name}', "
        "weights='DEFAULT')\""
    )
    return WeightsSource(str(weights), str(weights.url), command)


def torchvision_architecture(
    name: str, num_classes: int, *, pretrained: bool
) -> LastLinearClassifier:
    """The model ``build_torchvision`` returns, with random weights (or none, on the meta
    device): with ``pretrained``, the architecture the published weights need (vit_h_14's
    DEFAULT weights are for 518x518 images, for example) and a fresh PyTorch-default head."""
    import torchvision.models as tvm

    if not pretrained:
        module = tvm.get_model(name, weights=None, num_classes=num_classes, **_scratch(name))
        return LastLinearClassifier(module, f"torchvision model {name!r}")
    weights = tvm.get_model_weights(name).DEFAULT
    # what torchvision's builders set when given weights (and a state dict cannot restore)
    kwargs = dict(_scratch(name))
    if name in ("googlenet", "inception_v3"):
        kwargs["transform_input"] = True  # the published weights expect it
    elif name.startswith("vit_"):
        kwargs["image_size"] = weights.meta["min_size"][0]
    elif name.startswith("maxvit_"):
        kwargs["input_size"] = weights.meta["min_size"]
    module = tvm.get_model(
        name, weights=None, num_classes=len(weights.meta["categories"]), **kwargs
    )
    return _fresh_head(LastLinearClassifier(module, f"torchvision model {name!r}"), num_classes)


def build_torchvision(
    name: str,
    *,
    num_classes: int,
    input_shape: tuple[int, ...],
    pretrained: bool,
    weights_dir: str | Path | None,
    allow_download: bool,
) -> LastLinearClassifier:
    """Build torchvision model ``name`` with a ``num_classes`` head; see the module docstring.

    ``input_shape`` is not checked here (`alcore.models.registry.check_model` does that
    without computing). The pretrained checkpoint is located before anything is built.

    Raises:
        ValueError: ``pretrained`` for a model without published weights, or a model without
            a final ``nn.Linear``.
        WeightsUnavailableError: the weights file is not on disk and may not be downloaded.
    """
    import torchvision.models as tvm

    if not pretrained:
        return torchvision_architecture(name, num_classes, pretrained=False)
    problem = pretrained_problem(name)
    if problem is not None:
        raise ValueError(problem)
    source = torchvision_weights(name)
    assert source is not None
    state = load_checkpoint(
        source.what,
        source.url,
        weights_dir=weights_dir,
        allow_download=allow_download,
        fetch_command=source.fetch_command,
    )
    weights = tvm.get_model_weights(name).DEFAULT
    with _serving(weights, state):  # torchvision's builder loads `state`, strictly
        module = tvm.get_model(name, weights=weights)
    return _fresh_head(LastLinearClassifier(module, f"torchvision model {name!r}"), num_classes)


def _scratch(name: str) -> dict[str, Any]:
    return _SCRATCH_KWARGS.get(name, {})


def _fresh_head(model: LastLinearClassifier, num_classes: int) -> LastLinearClassifier:
    """Replace the (1000-class) head by a new ``nn.Linear(F, num_classes)``."""
    old = model.head
    model.head = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    return model


@contextmanager
def _serving(weights: Any, state: dict[str, Tensor]) -> Iterator[None]:
    """Make ``weights.get_state_dict()`` return ``state`` (already read offline-first) instead
    of downloading, for the duration of the block (the enum member is shared: restored after)."""
    vars(weights)["get_state_dict"] = lambda *args, **kwargs: state
    try:
        yield
    finally:
        del vars(weights)["get_state_dict"]
