"""BALD: Bayesian active learning by disagreement (Houlsby et al. 2011; Gal et al., ICML 2017).

The mutual information between a point's label and the model's weights, estimated from T
stochastic forward passes with dropout active (Monte Carlo dropout):

    BALD(x) = H[ mean_t p_t(y|x) ] - mean_t H[ p_t(y|x) ]

the entropy of the mean prediction minus the mean entropy of the passes: high where the passes
are each confident but disagree. It is >= 0 (entropy is concave) and <= log C. The passes come
from the round's model (:mod:`alcore.stages.mc_dropout` in the workflow); the selection takes
the ``budget`` unlabelled points of largest BALD, ties to the smaller index.
"""

from __future__ import annotations

import torch
from torch import Tensor

from alcore.select._checks import check_probs


def bald_scores(mc_probs: Tensor) -> Tensor:
    """BALD of every point from T passes: (T, N, C) softmax -> (N,) float64 in [0, log C].

    Computed in float64 whatever the input's dtype: the score is a small difference of two
    entropies, which float32 would round to noise for confident points. Raises ``ValueError``
    unless ``mc_probs`` is a (T, N, C) stack of class probabilities, T >= 1.
    """
    if not isinstance(mc_probs, Tensor) or mc_probs.dim() != 3 or mc_probs.shape[0] < 1:
        what = tuple(mc_probs.shape) if isinstance(mc_probs, Tensor) else type(mc_probs).__name__
        raise ValueError(
            f"mc_probs must be a (T, N, C) tensor of T >= 1 stochastic passes' softmax, got {what}"
        )
    check_probs(mc_probs.flatten(0, 1))
    return _bald_scores(mc_probs)


def _bald_scores(mc_probs: Tensor) -> Tensor:
    """:func:`bald_scores` without the checks."""
    passes = mc_probs.to(torch.float64)  # (T, N, C)
    mean = passes.mean(dim=0)  # (N, C)
    entropy_of_mean = -torch.special.xlogy(mean, mean).sum(dim=1)  # (N,)
    mean_entropy = -torch.special.xlogy(passes, passes).sum(dim=2).mean(dim=0)  # (N,)
    # >= 0 in exact arithmetic (Jensen); rounding can leave -1e-17 for identical passes
    scores: Tensor = (entropy_of_mean - mean_entropy).clamp_(min=0.0)
    return scores
