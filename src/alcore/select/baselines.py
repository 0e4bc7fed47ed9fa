"""The paper's baselines: random, least confidence, entropy and margin sampling.

Each takes the labelled mask and returns ``budget`` unlabelled pool indices, best first; ties
go to the smaller index so that results never depend on sort internals.
"""

from __future__ import annotations

import torch
from torch import Tensor

from alcore.select._checks import check_budget


def check_probs(probs: Tensor, n_points: int) -> None:
    """Require (N, C) finite class probabilities whose rows sum to 1."""
    if not isinstance(probs, Tensor) or not probs.is_floating_point() or probs.dim() != 2:
        shape = tuple(probs.shape) if isinstance(probs, Tensor) else type(probs).__name__
        raise ValueError(f"probs must be an (N, C) floating tensor, got {shape}")
    if probs.shape[0] != n_points:
        raise ValueError(f"probs has {probs.shape[0]} rows but the pool has {n_points} points")
    if not bool(torch.isfinite(probs).all()):
        raise ValueError("probs contain NaN or inf")
    if float(probs.min()) < 0.0 or float(probs.max()) > 1.0:
        raise ValueError("probs must lie in [0, 1]: pass softmax outputs, not logits")
    worst = float((probs.sum(dim=1, dtype=torch.float64) - 1.0).abs().max())
    if worst > 1e-3:
        raise ValueError(f"probs rows must sum to 1 (worst row is off by {worst:.3g})")


def doubt_from_probs(probs: Tensor) -> Tensor:
    """Doubt ``1 - max_y P(y|x)``: (N, C) -> (N,), in [0, 1 - 1/C]."""
    return (1.0 - probs.max(dim=1).values).clamp_(min=0.0)


def entropy_of(probs: Tensor) -> Tensor:
    """Predictive entropy ``-sum_y p log p`` (0 log 0 = 0): (N, C) -> (N,)."""
    plogp: Tensor = torch.special.xlogy(probs, probs)
    return -plogp.sum(dim=1)


def margin_of(probs: Tensor) -> Tensor:
    """Gap between the two most probable classes ``p1 - p2``: (N, C) -> (N,), C >= 2."""
    top2 = torch.topk(probs, 2, dim=1).values
    return top2[:, 0] - top2[:, 1]


def top_unlabelled(values: Tensor, labelled: Tensor, budget: int) -> Tensor:
    """The ``budget`` unlabelled indices with the highest ``values`` (N,), ties to smaller index."""
    check_budget(budget, int((~labelled).sum()))
    candidates = (~labelled).nonzero().squeeze(1)  # ascending, so a stable sort keeps ties in order
    order = torch.sort(values[candidates], descending=True, stable=True).indices
    return candidates[order[:budget]]


def least_confidence(probs: Tensor, labelled: Tensor, budget: int) -> Tensor:
    """Top ``budget`` unlabelled points by doubt ``1 - max p``."""
    check_probs(probs, labelled.shape[0])
    return top_unlabelled(doubt_from_probs(probs), labelled, budget)


def entropy(probs: Tensor, labelled: Tensor, budget: int) -> Tensor:
    """Top ``budget`` unlabelled points by predictive entropy."""
    check_probs(probs, labelled.shape[0])
    return top_unlabelled(entropy_of(probs), labelled, budget)


def margin(probs: Tensor, labelled: Tensor, budget: int) -> Tensor:
    """The ``budget`` unlabelled points with the smallest top-two margin."""
    check_probs(probs, labelled.shape[0])
    if probs.shape[1] < 2:
        raise ValueError(f"margin sampling needs at least 2 classes, got {probs.shape[1]}")
    return top_unlabelled(-margin_of(probs), labelled, budget)


def random_selection(labelled: Tensor, budget: int, generator: torch.Generator) -> Tensor:
    """``budget`` unlabelled points uniformly without replacement.

    The permutation is drawn on the CPU from ``generator``, so the same seed gives the same
    picks on every device.
    """
    if not isinstance(generator, torch.Generator):
        raise ValueError("random selection needs an explicit torch.Generator (seeded per run)")
    check_budget(budget, int((~labelled).sum()))
    candidates = (~labelled).nonzero().squeeze(1).cpu()
    order = torch.randperm(candidates.shape[0], generator=generator)[:budget]
    return candidates[order].to(labelled.device)
