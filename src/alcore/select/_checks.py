"""Input validation shared by the public selection functions.

Every check raises ``ValueError`` with a message that names the offending value, so a bad call
fails at the boundary instead of deep inside a kernel.
"""

from __future__ import annotations

import torch
from torch import Tensor


def check_features(features: Tensor) -> None:
    """Require a finite (N, D) floating tensor with N >= 1 and D >= 1."""
    if not isinstance(features, Tensor):
        raise ValueError(f"features must be a torch.Tensor, got {type(features).__name__}")
    if features.dim() != 2:
        raise ValueError(f"features must have shape (N, D), got shape {tuple(features.shape)}")
    if features.shape[0] == 0 or features.shape[1] == 0:
        raise ValueError(f"features must be non-empty, got shape {tuple(features.shape)}")
    if not features.is_floating_point():
        raise ValueError(f"features must be a floating tensor, got dtype {features.dtype}")
    # a row sum is NaN or inf iff the row holds one (or overflows, which is as bad): one cheap
    # pass over the features instead of a full boolean copy of them
    # (summed in float32 at least: a float16 row sum would overflow long before the features)
    sums = features.sum(dim=1, dtype=torch.promote_types(features.dtype, torch.float32))
    if not bool(torch.isfinite(sums).all()):
        bad = int((~torch.isfinite(features)).any(dim=1).sum())
        if bad == 0:
            raise ValueError("features are too large: their row sums overflow; rescale them")
        raise ValueError(f"features contain NaN or inf in {bad} row(s); clean the embedding first")


def check_labelled(labelled: Tensor, n_points: int, device: torch.device) -> None:
    """Require an (N,) bool mask on ``device`` with at least one True."""
    if not isinstance(labelled, Tensor) or labelled.dtype != torch.bool:
        kind = labelled.dtype if isinstance(labelled, Tensor) else type(labelled).__name__
        raise ValueError(f"labelled must be a bool tensor mask, got {kind}")
    if labelled.shape != (n_points,):
        raise ValueError(
            f"labelled must have shape ({n_points},) to match features, got {tuple(labelled.shape)}"
        )
    if labelled.device != device:
        raise ValueError(f"labelled is on {labelled.device} but features are on {device}")
    if not bool(labelled.any()):
        raise ValueError("the labelled set is empty: core-set selection needs at least one label")


def check_budget(budget: int, n_unlabelled: int) -> None:
    """Require 0 <= budget <= number of unlabelled points."""
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise ValueError(f"budget must be an int, got {type(budget).__name__}")
    if budget < 0:
        raise ValueError(f"budget={budget} must be >= 0")
    if budget > n_unlabelled:
        raise ValueError(f"budget={budget} exceeds the {n_unlabelled} unlabelled points")


def check_doubt(doubt: Tensor, n_points: int, device: torch.device) -> None:
    """Require an (N,) finite floating tensor with values in [0, 1) on ``device``."""
    if not isinstance(doubt, Tensor) or not doubt.is_floating_point():
        kind = doubt.dtype if isinstance(doubt, Tensor) else type(doubt).__name__
        raise ValueError(f"doubt must be a floating tensor, got {kind}")
    if doubt.shape != (n_points,):
        raise ValueError(
            f"doubt must have shape ({n_points},) to match features, got {tuple(doubt.shape)}"
        )
    if doubt.device != device:
        raise ValueError(f"doubt is on {doubt.device} but features are on {device}")
    if not bool(torch.isfinite(doubt).all()):
        raise ValueError("doubt contains NaN or inf")
    low, high = float(doubt.min()), float(doubt.max())
    if low < 0.0 or high >= 1.0:
        raise ValueError(
            f"doubt must lie in [0, 1) (doubt = 1 - max P(y|x)), got values in [{low}, {high}]"
        )


def check_beam_width(beam_width: int) -> None:
    """Require an int beam width >= 1."""
    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"beam_width={beam_width!r} must be an int >= 1")


def check_block_size(block_size: int) -> None:
    """Require an int block size >= 1."""
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"block_size={block_size!r} must be an int >= 1")
