"""The paper's baselines: random, least confidence, entropy and margin sampling, and the one
doubt formula every stage uses.

Each selection takes the labelled mask and returns ``budget`` unlabelled pool indices, best
first; ties go to the smaller index so that results never depend on sort internals. Every
public function validates its class probabilities (:func:`check_probs`): logits, rows that do
not sum to 1 and NaN are refused with the fix, never turned into plausible picks. The
``_``-prefixed kernels assume valid input.
"""

from __future__ import annotations

from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.select._checks import check_budget, check_mask, check_probs

__all__ = [
    "check_probs",
    "doubt_from_probs",
    "entropy",
    "entropy_of",
    "least_confidence",
    "margin",
    "margin_of",
    "random_selection",
    "top_unlabelled",
]


def doubt_from_probs(probs: Tensor) -> Tensor:
    """Doubt ``I(x) = 1 - max_y P(y|x)`` (docs/method.md section 1): (N, C) -> (N,) in [0, 1 - 1/C].

    The single implementation of the formula. Computed in the probabilities' dtype, at least
    float32 (half precision cannot tell 1 - 1/5000 from 1), and clamped to [0, 1 - 1/C]: the
    bounds valid probabilities guarantee, which rounding can cross by an ulp (a max that
    rounds above 1, or a near-uniform row whose max rounds below 1/C). Raises ``ValueError``
    unless ``probs`` are class probabilities (:func:`check_probs`).
    """
    check_probs(probs)
    return _doubt(probs)


def _doubt(probs: Tensor) -> Tensor:
    """:func:`doubt_from_probs` without the checks."""
    dtype = torch.promote_types(probs.dtype, torch.float32)
    top = probs.max(dim=1).values.to(dtype)  # (N,)
    return (1.0 - top).clamp_(min=0.0, max=1.0 - 1.0 / probs.shape[1])


def entropy_of(probs: Tensor) -> Tensor:
    """Predictive entropy ``-sum_y p log p`` (0 log 0 = 0): (N, C) -> (N,), in the probs'
    dtype (at least float32). Raises ``ValueError`` unless ``probs`` are class probabilities."""
    check_probs(probs)
    return _entropy(probs)


def _entropy(probs: Tensor) -> Tensor:
    wide = probs.to(torch.promote_types(probs.dtype, torch.float32))
    plogp: Tensor = torch.special.xlogy(wide, wide)
    return -plogp.sum(dim=1)


def margin_of(probs: Tensor) -> Tensor:
    """Gap between the two most probable classes ``p1 - p2``: (N, C) -> (N,), C >= 2, in the
    probs' dtype (at least float32). Raises ``ValueError`` unless ``probs`` are class
    probabilities of at least 2 classes."""
    check_probs(probs, min_classes=2)
    return _margin(probs)


def _margin(probs: Tensor) -> Tensor:
    top2 = torch.topk(probs, 2, dim=1).values.to(torch.promote_types(probs.dtype, torch.float32))
    return top2[:, 0] - top2[:, 1]


def top_unlabelled(values: Tensor, labelled: Tensor, budget: SupportsIndex) -> Tensor:
    """The ``budget`` unlabelled indices with the highest ``values`` (N,), ties to smaller index."""
    count = check_budget(budget, int((~labelled).sum()))
    candidates = (~labelled).nonzero().squeeze(1)  # ascending, so a stable sort keeps ties in order
    order = torch.sort(values[candidates], descending=True, stable=True).indices
    return candidates[order[:count]]


def least_confidence(probs: Tensor, labelled: Tensor, budget: SupportsIndex) -> Tensor:
    """Top ``budget`` unlabelled points by doubt ``1 - max p``.

    probs: (N, C) class probabilities. labelled: (N,) bool on the same device (may be all
    False). Returns (budget,) int64 pool indices, most doubtful first.
    """
    _check_pool(probs, labelled)
    return top_unlabelled(_doubt(probs), labelled, budget)


def entropy(probs: Tensor, labelled: Tensor, budget: SupportsIndex) -> Tensor:
    """Top ``budget`` unlabelled points by predictive entropy (shapes as
    :func:`least_confidence`)."""
    _check_pool(probs, labelled)
    return top_unlabelled(_entropy(probs), labelled, budget)


def margin(probs: Tensor, labelled: Tensor, budget: SupportsIndex) -> Tensor:
    """The ``budget`` unlabelled points with the smallest top-two margin (shapes as
    :func:`least_confidence`; needs C >= 2)."""
    _check_pool(probs, labelled, min_classes=2)
    return top_unlabelled(-_margin(probs), labelled, budget)


def random_selection(labelled: Tensor, budget: SupportsIndex, generator: torch.Generator) -> Tensor:
    """``budget`` unlabelled points uniformly without replacement.

    The permutation is drawn on the CPU from ``generator``, so the same seed gives the same
    picks on every device.
    """
    if not isinstance(generator, torch.Generator):
        raise ValueError(
            "random selection needs an explicit torch.Generator (seeded per run); pass "
            "torch.Generator().manual_seed(seed)"
        )
    check_mask(labelled)
    count = check_budget(budget, int((~labelled).sum()))
    candidates = (~labelled).nonzero().squeeze(1).cpu()
    order = torch.randperm(candidates.shape[0], generator=generator)[:count]
    return candidates[order].to(labelled.device)


def _check_pool(probs: Tensor, labelled: Tensor, min_classes: int = 1) -> None:
    """Require a bool mask (N,) and class probabilities (N, C) on its device."""
    check_mask(labelled)
    check_probs(probs, labelled.shape[0], device=labelled.device, min_classes=min_classes)
