"""BatchBALD: the mutual information of a whole batch's labels and the weights, grown greedily
(Kirsch, van Amersfoort & Gal, NeurIPS 2019).

BALD scores each point alone, so a batch of its top points is often a batch of near-copies
that each tell the model the same thing. BatchBALD scores the batch jointly,

    a({x_1..x_n}) = I(y_1..y_n; w) = H(y_1..y_n) - sum_i E_w H(y_i | w),

with the expectations over the T stochastic passes (Monte Carlo dropout): pass t is one draw
of the weights, p(y_1..y_n) = (1/T) sum_t prod_i p_t(y_i | x_i), the labels independent given
the weights. The greedy (``1 - 1/e`` of the best batch: ``a`` is submodular) adds, at step n,
the unlabelled point not yet picked with the largest gain

    a(picks + x) - a(picks) = H(y_x | y_picks) - E_w H(y_x | w) = I(y_x; w | y_picks),

ties to the smaller pool index. Step 1 is BALD, computed by BALD's own function
(:func:`alcore.select.bald._bald_scores`), so the first pick and its score are BALD's. Later
gains are computed in the conditional form, never as a difference of two joint entropies
(which grow to n log C and would cancel): for every configuration ``y`` of the picks' labels,
the passes' posterior ``r_t(y) = prod_i p_t(y_i) / sum_s prod_i p_s(y_i)`` (from
log-probabilities, so long batches do not underflow) gives ``p(y_x | y) = sum_t r_t(y)
p_t(y_x)``, and

    H(y_x | y_picks) = sum_y weight(y) H(p(. | y)).

**Exact** while the picks have at most :data:`SAMPLED_CONFIGURATIONS` (M) configurations,
``C^(n-1) <= M``: every configuration possible under some pass, ``weight(y) = p(y)``.

**Sampled** beyond, where the paper's code switches too: ``K = T * S`` configurations,
``S = max(1, M // T)``, drawn afresh at every step from the picks' joint (as both reference
implementations do: not extended from the previous step's), ``weight = 1/K``. This is the
paper's importance-weighted joint entropy ``-(1/K) sum_m sum_c [p(y_m, c) / p(y_m)] log
p(y_m, c)`` less the same draws' estimate ``-(1/K) sum_m log p(y_m)`` of ``H(y_picks)``, a
constant over the candidates (the two are equal when the passes' rows sum to 1), evaluated
exactly for the drawn configurations. The draw, replayable: S configurations under each pass
``t`` (stratified by pass, as both reference implementations draw, rather than a pass drawn
uniformly per configuration: the same expectation, less variance); for each pick, in pick
order, one ``torch.rand((T, S), dtype=float64)`` from the generator, and configuration
``(t, s)`` takes for that pick the label ``min(#{c : F_t(c) <= u F_t(C-1)}, last_t)``, with
``u`` its uniform, ``F_t`` the running sums of ``p_t(. | pick)`` in class order and ``last_t``
the largest class of positive probability (the inverse CDF; a class of probability 0 is never
drawn, even when ``u F_t(C-1)`` rounds up to the total). Exact steps draw nothing.

Memory: the candidates' passes in float64 (T x U x C), the configurations (K x T, K <= M) and
one block of at most ``max(BLOCK_ELEMENTS, K C)`` conditional probabilities (K x candidates x
C, and its entropy terms); never all candidates at once. Time per step: O(K T U C).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import SupportsIndex

import torch
from torch import Tensor

from alcore.select._checks import check_budget, check_labelled, check_probs
from alcore.select.bald import _bald_scores
from alcore.select.distances import ProgressFn
from alcore.select.pool import Options, Pool, Selection, need, with_diagnostics

__all__ = [
    "BLOCK_ELEMENTS",
    "SAMPLED_CONFIGURATIONS",
    "BatchBALDSelection",
    "batchbald_selection",
    "batchbald_strategy",
]

# M: the picks' label configurations are enumerated while there are at most M of them, and
# T * (M // T) of them are drawn beyond. The value of the paper's own code (BlackHC/BatchBALD,
# src/multi_bald.py: num_samples_per_ws = 40000 // k, num_samples = num_samples_per_ws * k for
# k passes, exact while num_classes ** i <= num_samples). The re-implementation
# BlackHC/batchbald_redux leaves M to the caller (get_batchbald_batch's num_samples: its
# example experiment passes 100,000; 10,000 appears only in a notebook demo).
SAMPLED_CONFIGURATIONS = 40_000
# Conditional probabilities (configurations x candidates x classes) per block: 32 MB of
# float64, the candidates of a block chosen to fit.
BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class BatchBALDSelection:
    """picks: (b,) int64 pool indices in pick order. scores: (b,) float64 each pick's gain
    ``I(y_pick; w | y_earlier picks)`` in nats (>= 0; exact, or the sampled estimate). In the
    exact regime they sum to ``a_BatchBALD`` of the batch."""

    picks: Tensor
    scores: Tensor


@dataclass(frozen=True)
class Configurations:
    """Label configurations of the picks so far, each with its weight in the conditional
    entropy.

    log_joint: (K, T) float64 ``log prod_i p_t(y_i)`` of each configuration under each pass.
    weights: (K,) float64 ``p(y)`` (exact: every configuration possible under some pass) or
    ``1/K`` (sampled).
    sampled: whether they were drawn (K = T * S) rather than enumerated (K <= C^k).
    """

    log_joint: Tensor
    weights: Tensor
    sampled: bool

    def posteriors(self) -> Tensor:
        """(K, T) the passes' posterior given each configuration (rows sum to 1)."""
        return torch.softmax(self.log_joint, dim=1)

    def log_probs(self) -> Tensor:
        """(K,) ``log p(y) = log mean_t prod_i p_t(y_i)``."""
        return torch.logsumexp(self.log_joint, dim=1) - math.log(self.log_joint.shape[1])

    def entropy(self) -> Tensor:
        """() H(y_picks): exact, or the sampled estimate ``-(1/K) sum log p(y)``."""
        if self.sampled:
            return -self.log_probs().mean()
        entropy: Tensor = -torch.special.xlogy(self.weights, self.weights).sum()
        return entropy


def batchbald_strategy(pool: Pool, budget: int, options: Options) -> Selection:
    """The ``batchbald`` kind: reads ``pool.mc_probs`` and ``options.generator``."""
    mc_probs = need(pool.mc_probs, "batchbald", "mc_probs")  # checked in select
    assert options.generator is not None  # checked in select
    found = _batchbald(
        mc_probs, pool.labelled, budget, options.generator, progress=options.progress
    )
    return with_diagnostics(pool, found.picks, found.scores, options.progress)


def batchbald_selection(
    mc_probs: Tensor,
    labelled: Tensor,
    budget: SupportsIndex,
    generator: torch.Generator,
    *,
    progress: ProgressFn | None = None,
) -> BatchBALDSelection:
    """Greedy BatchBALD: ``budget`` unlabelled points, each maximising the batch's joint
    mutual information with the weights given the points before it (see the module).

    mc_probs: (T, N, C) softmax of T stochastic passes, T >= 1 (any floating dtype; computed in
    float64). labelled: (N,) bool on the same device (may be all False). generator: a seeded
    CPU ``torch.Generator`` (read only at sampled steps). progress: ``("picks", done, budget)``
    after every pick. Raises ``ValueError`` on anything else.
    """
    if not isinstance(mc_probs, Tensor) or mc_probs.dim() != 3 or mc_probs.shape[0] < 1:
        what = tuple(mc_probs.shape) if isinstance(mc_probs, Tensor) else type(mc_probs).__name__
        raise ValueError(
            f"mc_probs must be a (T, N, C) tensor of T >= 1 stochastic passes' softmax, got {what}"
        )
    check_probs(mc_probs.flatten(0, 1))
    if not isinstance(generator, torch.Generator) or generator.device.type != "cpu":
        raise ValueError(
            "batchbald selection needs a seeded CPU torch.Generator; pass "
            "torch.Generator().manual_seed(seed)"
        )
    if isinstance(labelled, Tensor) and labelled.device != mc_probs.device:
        raise ValueError(
            f"labelled is on {labelled.device} but mc_probs are on {mc_probs.device}; move both "
            "to one device"
        )
    check_labelled(labelled, mc_probs.shape[1], mc_probs.device, allow_empty=True)
    count = check_budget(budget, int((~labelled).sum()))
    return _batchbald(mc_probs, labelled, count, generator, progress=progress)


def _batchbald(
    mc_probs: Tensor,
    labelled: Tensor,
    budget: int,
    generator: torch.Generator,
    *,
    samples: int = SAMPLED_CONFIGURATIONS,
    block_elements: int = BLOCK_ELEMENTS,
    progress: ProgressFn | None = None,
) -> BatchBALDSelection:
    """:func:`batchbald_selection` without the checks; ``samples`` is M."""
    device = mc_probs.device
    candidates = (~labelled).nonzero().squeeze(1)  # (U,) ascending pool indices
    passes = mc_probs.index_select(1, candidates).to(torch.float64)  # (T, U, C)
    expected = -torch.special.xlogy(passes, passes).sum(dim=2).mean(dim=0)  # (U,) E_w H(y|w)
    local = torch.empty(budget, dtype=torch.int64, device=device)
    scores = torch.empty(budget, dtype=torch.float64, device=device)
    taken = torch.zeros(candidates.shape[0], dtype=torch.bool, device=device)
    for step in range(budget):
        if step == 0:  # no picks to condition on: BALD itself
            gains = _bald_scores(passes)
        else:
            configurations = _configurations(passes[:, local[:step]], samples, generator)
            conditional = _conditional_entropies(configurations, passes, block_elements)
            # >= 0 exactly (conditioning on the weights cannot add entropy), but rounding (exact
            # regime) or the draw (sampled regime) can leave it below: clamped, as BALD's is
            gains = (conditional - expected).clamp_(min=0.0)
        gains[taken] = -math.inf
        best = int(torch.argmax(gains))  # the first of equal maxima: the smaller index
        local[step] = best
        scores[step] = gains[best]
        taken[best] = True
        if progress is not None:
            progress("picks", step + 1, budget)
    return BatchBALDSelection(candidates[local], scores)


def _configurations(picks: Tensor, samples: int, generator: torch.Generator) -> Configurations:
    """The configurations of the picks' labels (T, k, C) float64, k >= 1: all of them while
    there are at most ``samples`` (C^k), else ``T * max(1, samples // T)`` drawn."""
    n_picks, n_classes = picks.shape[1], picks.shape[2]
    if n_classes**n_picks <= samples:
        return _exact_configurations(picks)
    return _sampled_configurations(picks, samples, generator)


def _exact_configurations(picks: Tensor) -> Configurations:
    """Every configuration of the picks' labels (T, k, C) float64: first pick the slowest
    digit, as ``itertools.product``; those impossible under every pass are dropped."""
    n_passes = picks.shape[0]
    log_picks = torch.log(picks)  # (T, k, C); -inf for a class of probability 0
    log_joint = torch.zeros(1, n_passes, dtype=torch.float64, device=picks.device)
    for i in range(picks.shape[1]):
        # (K, 1, T) + (1, C, T): configuration (y, c) = y extended by label c of pick i
        log_joint = (log_joint[:, None, :] + log_picks[:, i, :].T[None]).reshape(-1, n_passes)
    log_joint = log_joint[torch.isfinite(log_joint.max(dim=1).values)]
    weights = torch.exp(torch.logsumexp(log_joint, dim=1) - math.log(n_passes))
    return Configurations(log_joint, weights, sampled=False)


def _sampled_configurations(
    picks: Tensor, samples: int, generator: torch.Generator
) -> Configurations:
    """``T * S`` configurations of the picks' labels (T, k, C) float64 drawn from their joint,
    ``S = max(1, samples // T)`` under each pass, with the module's inverse-CDF draw (one
    ``torch.rand((T, S), dtype=float64)`` per pick, in pick order)."""
    n_passes, n_picks, n_classes = picks.shape
    per_pass = max(1, samples // n_passes)
    device = picks.device
    classes = torch.arange(n_classes, device=device)
    log_joint = torch.zeros(n_passes, per_pass, n_passes, dtype=torch.float64, device=device)
    for i in range(n_picks):
        probs = picks[:, i, :]  # (T, C): pass t's probabilities of pick i's classes
        cumulative = probs.cumsum(dim=1)  # (T, C), summed in class order
        # the largest class of positive probability: taken when u * total rounds to total
        last = torch.where(probs > 0, classes, 0).max(dim=1).values  # (T,)
        uniforms = torch.rand((n_passes, per_pass), dtype=torch.float64, generator=generator)
        targets = uniforms.to(device) * cumulative[:, -1:]  # (T, S)
        labels = torch.searchsorted(cumulative, targets, right=True)  # #{c : F_t(c) <= v}
        labels = torch.minimum(labels, last[:, None])  # (T, S) configuration (t, s)'s label
        # log p_t'(label) for every pass t': (C, T')[labels] -> (T, S, T')
        log_joint += torch.log(probs).T[labels]
    log_joint = log_joint.reshape(n_passes * per_pass, n_passes)
    count = log_joint.shape[0]
    weights = torch.full((count,), 1.0 / count, dtype=torch.float64, device=device)
    return Configurations(log_joint, weights, sampled=True)


def _conditional_entropies(
    configurations: Configurations, passes: Tensor, block_elements: int
) -> Tensor:
    """(U,) ``sum_y weight(y) H(sum_t r_t(y) p_t(. | x))`` of every candidate x in passes
    (T, U, C) float64: H(y_x | y_picks), exact or estimated. Candidates go by blocks so that
    a block's (K, candidates, C) conditional probabilities hold at most ``block_elements``."""
    n_passes, n_candidates, n_classes = passes.shape
    posteriors = configurations.posteriors()  # (K, T)
    weights = configurations.weights  # (K,)
    n_configurations = posteriors.shape[0]
    per_block = max(1, block_elements // (n_configurations * n_classes))
    result = torch.empty(n_candidates, dtype=torch.float64, device=passes.device)
    for start in range(0, n_candidates, per_block):
        stop = min(start + per_block, n_candidates)
        block = passes[:, start:stop, :].reshape(n_passes, -1)  # (T, B * C)
        # p(y_x = c | y) of every configuration y, candidate x and class c: (K, B, C)
        conditional = (posteriors @ block).view(n_configurations, stop - start, n_classes)
        negative = torch.special.xlogy(conditional, conditional).sum(dim=2)  # (K, B) -H
        result[start:stop] = -(weights @ negative)
    return result
