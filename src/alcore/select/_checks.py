"""Input validation shared by the public selection functions.

Every check raises ``ValueError`` with a message that names the offending value and the fix, so
a bad call fails at the boundary instead of deep inside a kernel (or, worse, returns picks that
look plausible). The kernels behind the public functions assume what these checks establish.
"""

from __future__ import annotations

import math
import operator

import numpy as np
import torch
from torch import Tensor

# How far a row of class probabilities may sum from 1. A bfloat16 softmax (even widened to
# float32 afterwards) is off by up to ~4e-3: each stored value carries 2^-9 relative rounding.
# Logits, log-probabilities, sigmoid outputs and forgotten normalisations are off by far more.
_SUM_TOLERANCE = 1e-2


class InputError(ValueError):
    """A ``ValueError`` about input data that keeps its two parts apart, so that a caller
    reading the data from a file can name the file and give its own fix.

    problem: what is wrong with the values. fix: what the caller of the function should do.
    """

    def __init__(self, problem: str, fix: str):
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


def as_count(value: object, name: str) -> int:
    """``value`` as a Python int: accepts int, numpy integers and integer tensors of one
    element (anything :func:`operator.index` takes) but refuses bools and floats."""
    is_bool_tensor = isinstance(value, Tensor) and value.dtype == torch.bool
    if isinstance(value, bool | np.bool_) or is_bool_tensor:
        raise ValueError(f"{name}={value!r} is a bool; pass an integer count")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(
            f"{name}={value!r} ({type(value).__name__}) must be an integer (int, numpy integer "
            f"or integer tensor of one element); convert a whole number with int({name})"
        ) from None


def working_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype the kernels compute in for features of ``dtype``: float64 stays, the rest
    (float32, float16, bfloat16) is widened to float32."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def check_features(features: Tensor) -> None:
    """Require a finite (N, D) floating tensor with N >= 1 and D >= 1 whose distances fit the
    working dtype (see :func:`working_dtype`)."""
    if not isinstance(features, Tensor):
        raise ValueError(
            f"features must be a torch.Tensor (N, D), got {type(features).__name__}; "
            "convert with torch.as_tensor(features)"
        )
    if features.dim() != 2:
        fix = "add a feature axis with features[:, None]" if features.dim() == 1 else (
            "flatten each point's features into one row: features.reshape(len(features), -1)"
        )  # fmt: skip
        raise ValueError(
            f"features must have shape (N, D), got shape {tuple(features.shape)}; {fix}"
        )
    if features.shape[0] == 0:
        raise ValueError(
            f"the pool is empty (features of shape {tuple(features.shape)}): there is nothing "
            "to select from; pass at least one pool point"
        )
    if features.shape[1] == 0:
        raise ValueError(
            f"features have no columns (shape {tuple(features.shape)}); pass at least one "
            "feature per point"
        )
    if not features.is_floating_point():
        raise ValueError(
            f"features must be a floating tensor, got dtype {features.dtype}; convert with "
            "features.float() (or features.double(), exact for integers up to 2^53)"
        )
    # one pass, no copy: NaN propagates into both ends, inf into one of them
    low, high = (float(v) for v in torch.aminmax(features))
    if not (math.isfinite(low) and math.isfinite(high)):
        bad = int((~torch.isfinite(features)).any(dim=1).sum())
        first = int((~torch.isfinite(features)).any(dim=1).nonzero()[0, 0])
        raise InputError(
            f"features contain NaN or inf in {bad} row(s) (first: row {first})",
            "the model's features are not finite: clean or recompute the embedding",
        )
    # the kernels rescale by a power of two (exact), so only distances in the caller's units
    # can overflow: they are at most sqrt(D) * (high - low)
    dtype = working_dtype(features.dtype)
    largest = float(torch.finfo(dtype).max)
    if (high - low) * math.sqrt(features.shape[1]) > largest:
        raise InputError(
            f"features span [{low:.3g}, {high:.3g}]: distances between them can exceed the "
            f"largest {dtype} ({largest:.3g})",
            "divide the features by a constant (the picks do not change) or pass float64 features",
        )


def check_mask(labelled: Tensor) -> None:
    """Require a 1-D bool tensor (a mask over the pool)."""
    if not isinstance(labelled, Tensor) or labelled.dtype != torch.bool or labelled.dim() != 1:
        kind = (
            f"{labelled.dtype} tensor of shape {tuple(labelled.shape)}"
            if isinstance(labelled, Tensor)
            else type(labelled).__name__
        )
        raise ValueError(
            f"labelled must be a bool tensor mask of shape (N,), one entry per pool point, got "
            f"{kind}; from pool indices build one: mask = torch.zeros(N, dtype=torch.bool); "
            "mask[indices] = True"
        )


def check_labelled(
    labelled: Tensor, n_points: int, device: torch.device, *, allow_empty: bool = False
) -> None:
    """Require an (N,) bool mask on ``device`` with at least one True (unless ``allow_empty``)."""
    check_mask(labelled)
    if labelled.shape != (n_points,):
        raise ValueError(
            f"labelled must have shape ({n_points},) to match the pool, got "
            f"{tuple(labelled.shape)}; pass one bool per pool point"
        )
    if labelled.device != device:
        raise ValueError(
            f"labelled is on {labelled.device} but features are on {device}; move both to "
            f"one device, e.g. labelled.to({str(device)!r})"
        )
    if n_points == 0:
        raise ValueError("the pool is empty (0 points): there is nothing to select from")
    if not allow_empty and not bool(labelled.any()):
        raise ValueError(
            "the labelled set is empty: core-set selection needs at least one labelled point "
            "(the distances are measured to it); label a random sample first"
        )


def check_budget(budget: object, n_unlabelled: int) -> int:
    """Require 0 <= budget <= number of unlabelled points; return it as a Python int."""
    count = as_count(budget, "budget")
    if count < 0:
        raise ValueError(f"budget={count} must be >= 0; pass the number of points to pick")
    if count > n_unlabelled:
        raise ValueError(
            f"budget={count} exceeds the {n_unlabelled} unlabelled points; pass a budget of "
            f"at most {n_unlabelled}"
        )
    return count


def check_doubt(doubt: Tensor, n_points: int, device: torch.device) -> None:
    """Require an (N,) finite floating tensor with values in [0, 1) on ``device``."""
    fix = "compute it with alcore.select.doubt_from_probs(probs)"
    if not isinstance(doubt, Tensor) or not doubt.is_floating_point():
        kind = doubt.dtype if isinstance(doubt, Tensor) else type(doubt).__name__
        raise ValueError(f"doubt must be a floating tensor, got {kind}; {fix}")
    if doubt.shape != (n_points,):
        raise ValueError(
            f"doubt must have shape ({n_points},) to match features, got "
            f"{tuple(doubt.shape)}; pass one value per pool point"
        )
    if doubt.device != device:
        raise ValueError(
            f"doubt is on {doubt.device} but features are on {device}; move both to one device"
        )
    if not bool(torch.isfinite(doubt).all()):
        raise ValueError(f"doubt contains NaN or inf; {fix} from finite probabilities")
    low, high = float(doubt.min()), float(doubt.max())
    if low < 0.0 or high >= 1.0:
        raise ValueError(
            f"doubt must lie in [0, 1) (doubt = 1 - max P(y|x)), got values in [{low}, {high}]; "
            f"{fix}"
        )


def check_probs(
    probs: Tensor,
    n_points: int | None = None,
    *,
    device: torch.device | None = None,
    min_classes: int = 1,
) -> None:
    """Require (N, C) finite class probabilities in [0, 1] whose rows sum to 1.

    n_points: the pool size N to match (None: any). device: where the labelled mask lives
    (None: any). min_classes: the fewest columns C allowed. Rows may sum to 1 within 0.01,
    which half-precision softmax outputs need.
    """
    fix = "pass softmax outputs: probs = logits.softmax(dim=1)"
    if not isinstance(probs, Tensor) or not probs.is_floating_point() or probs.dim() != 2:
        what = (
            f"{probs.dtype} tensor of shape {tuple(probs.shape)}"
            if isinstance(probs, Tensor)
            else type(probs).__name__
        )
        raise ValueError(f"probs must be an (N, C) floating tensor, got {what}; {fix}")
    if n_points is not None and probs.shape[0] != n_points:
        raise ValueError(
            f"probs has {probs.shape[0]} rows but the pool has {n_points} points; pass one row "
            "per pool point"
        )
    if probs.shape[1] < min_classes:
        raise ValueError(
            f"probs has {probs.shape[1]} class column(s), this needs at least {min_classes}; "
            "pass one column per class (with a single class every point is certain: use "
            "least_confidence or entropy, which then pick the smallest indices)"
        )
    if device is not None:
        check_same_device(probs, "probs", device, "the labelled mask")
    if probs.shape[0] == 0:
        return
    finite = torch.isfinite(probs).all(dim=1)
    if not bool(finite.all()):
        bad = (~finite).nonzero().squeeze(1)
        raise InputError(
            f"probs contain NaN or inf in {bad.shape[0]} row(s) (first: row {int(bad[0])}): the "
            "model's outputs are not finite (did training diverge?)",
            "retrain the model or recompute the probabilities",
        )
    low, high = float(probs.min()), float(probs.max())
    if low < 0.0 or high > 1.0:
        raise InputError(
            f"probs must lie in [0, 1], got values in [{low:.4g}, {high:.4g}] (logits or "
            "log-probabilities?)",
            fix,
        )
    sums = probs.sum(dim=1, dtype=torch.float64)  # (N,)
    off = (sums - 1.0).abs()
    worst = int(off.argmax())
    if float(off[worst]) > _SUM_TOLERANCE:
        raise InputError(
            f"probs rows must sum to 1 (within {_SUM_TOLERANCE:g}), row {worst} sums to "
            f"{float(sums[worst]):.6g}",
            f"{fix} (or normalise: probs / probs.sum(dim=1, keepdim=True))",
        )


def check_same_device(tensor: Tensor, name: str, device: torch.device, other: str) -> None:
    """Require ``tensor`` to live on ``device`` (where ``other`` lives)."""
    if tensor.device != device:
        raise ValueError(
            f"{name} live on {tensor.device} but {other} on {device}; move both to one device, "
            f"e.g. {name}.to({str(device)!r})"
        )


def check_beam_width(beam_width: object) -> int:
    """Require an integer beam width >= 1; return it as a Python int."""
    width = as_count(beam_width, "beam_width")
    if width < 1:
        raise ValueError(f"beam_width={width} must be >= 1 (1 = greedy)")
    return width


def check_flag(value: object, name: str) -> bool:
    """Require a bool (Python or numpy) and return it as a Python bool."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name}={value!r} must be True or False")
    return bool(value)


def check_block_size(block_size: object) -> int:
    """Require an integer block size >= 1; return it as a Python int."""
    size = as_count(block_size, "block_size")
    if size < 1:
        raise ValueError(f"block_size={size} must be >= 1")
    return size


def check_seeded_pool(features: Tensor, labelled: Tensor, generator: object, strategy: str) -> None:
    """The inputs of a seeded strategy over features: a ``torch.Generator``, (N, D) features
    and an (N,) bool mask of the same N."""
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"{strategy} needs a torch.Generator; pass Options(generator=...)")
    check_features(features)
    check_mask(labelled)
    if labelled.shape != (features.shape[0],):
        raise ValueError(
            f"labelled must have shape ({features.shape[0]},) to match features, got "
            f"{tuple(labelled.shape)}"
        )
